import { Command, InvalidArgumentError } from 'commander';
import { Session, SessionStatus } from '@switchyard/client';
import { UsageError } from '../cli-failure';
import { CliContext } from '../cli-context';
import { table } from '../cli-output';

const STATUSES: SessionStatus[] = ['pending', 'planning', 'running', 'paused', 'completed', 'failed', 'cancelled'];

function statuses(text: string): SessionStatus[] {
  const list = text.split(',').map((s) => s.trim());
  const unknown = list.filter((s) => !STATUSES.includes(s as SessionStatus));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown status ${unknown.join(', ')}; one of ${STATUSES.join(', ')}`);
  return list as SessionStatus[];
}

function limit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('a whole number from 1 to 100');
  return n;
}

function show(session: Session): string[] {
  const head = [
    `Session ${session.sessionId}: ${session.status}`,
    ...(session.goal ? [`Goal: ${session.goal}`] : []),
    ...(session.template ? [`Template: ${session.template}`] : []),
    `Created ${session.createdAt}, updated ${session.updatedAt}${session.finishedAt ? `, finished ${session.finishedAt}` : ''}`,
    ...(session.error ? [`Error: ${session.error.message}`] : []),
    '',
  ];
  const rows = session.tasks.map((t) => [t.id, t.status, t.agentId ?? '', String(t.attempts), t.waitingFor ?? t.error?.message ?? '']);
  return [...head, ...table(['TASK', 'STATUS', 'AGENT', 'ATTEMPTS', 'NOTE'], rows)];
}

export function sessionsCommand({ client, output }: CliContext): Command {
  const sessions = new Command('sessions').description('list, show and cancel sessions');
  sessions
    .command('list')
    .description('the sessions of your tenant, newest first')
    .option('--status <list>', `only these statuses, comma-separated (${STATUSES.join(', ')})`, statuses)
    .option('--since <time>', 'only sessions created at or after this ISO 8601 time')
    .option('--limit <n>', 'at most this many (1-100)', limit, 20)
    .option('--cursor <cursor>', 'the next page: the nextCursor of the previous one')
    .action(async (options: { status?: SessionStatus[]; since?: string; limit: number; cursor?: string }, command: Command) => {
      const page = await client.sessions.list(options);
      output(command).print(page, ({ sessions: list, nextCursor }) => [
        ...table(
          ['SESSION', 'STATUS', 'TASKS', 'CREATED', 'GOAL'],
          list.map((s) => [s.sessionId, s.status, String(s.tasks.total), s.createdAt, s.goal ?? '']),
        ),
        ...(nextCursor ? [`More: switchyard sessions list --cursor ${nextCursor}`] : []),
      ]);
    });
  sessions
    .command('show')
    .description("a session's status and tasks")
    .argument('<id>', 'the session id')
    .action(async (id: string, _options: unknown, command: Command) => output(command).print(await client.sessions.get(id), show));
  sessions
    .command('cancel')
    .description('cancel a session: nothing more starts, running agents are aborted')
    .argument('<id>', 'the session id')
    .action(async (id: string, _options: unknown, command: Command) =>
      output(command).print(await client.sessions.cancel(id), (a) => [`Session ${a.sessionId} ${a.status}.`]),
    );
  sessions
    .command('fork')
    .description('not supported yet')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError('sessions fork is not supported yet by this version');
    });
  return sessions;
}
