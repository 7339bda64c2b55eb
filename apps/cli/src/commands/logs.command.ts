import { Command, Option } from 'commander';
import { LogEntry, LogLevel } from '@switchyard/client';
import { CliContext } from '../cli-context';
import { CliOutput } from '../cli-output';

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'critical'];

const lineOf = (e: LogEntry) => `${e.time}  ${e.level.padEnd(8)} ${e.source.padEnd(12)} ${e.taskId ? `[${e.taskId}] ` : ''}${e.message}`;

function print(out: CliOutput, entry: LogEntry): void {
  if (out.json) out.data(entry);
  else out.line(lineOf(entry));
}

export function logsCommand({ client, output }: CliContext): Command {
  return new Command('logs')
    .description("a session's log, oldest first; --follow keeps printing until the session ends")
    .argument('<id>', 'the session id')
    .addOption(new Option('--level <level>', 'only entries of this level or a more severe one').choices(LEVELS))
    .option('--follow', 'print new entries as they come, until the session ends')
    .action(async (id: string, options: { level?: LogLevel; follow?: boolean }, command: Command) => {
      const out = output(command);
      if (options.follow) {
        // The event stream replays the log from the start and then follows it, in order (its deltas left out).
        for await (const event of client.sessions.events(id, { logLevel: options.level ?? 'debug', deltas: false }))
          if (event.event === 'log') print(out, event.data);
        return;
      }
      let cursor: string | undefined;
      do {
        const page = await client.sessions.logs(id, { minLevel: options.level, order: 'asc', limit: 500, cursor });
        for (const entry of page.entries) print(out, entry);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    });
}
