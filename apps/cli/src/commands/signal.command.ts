import { Command } from 'commander';
import { CliContext } from '../cli-context';
import { jsonOption } from './sessions.command';

export function signalCommand({ client, output }: CliContext): Command {
  return new Command('signal')
    .description('deliver a signal to the task of a session that waits for it (kind signal)')
    .argument('<id>', 'the session id')
    .argument('<name>', "the signal's name")
    .option('--payload <json>', "the waiting task's output, as JSON (null without it)")
    .action(async (id: string, name: string, options: { payload?: string }, command: Command) => {
      const body = options.payload === undefined ? {} : { payload: jsonOption(options.payload, '--payload') };
      const answer = await client.sessions.signal(id, name, body);
      output(command).print(answer, (a) => [`Signal ${a.signal} delivered to task ${a.taskId} of ${a.sessionId} (task ${a.taskStatus}).`]);
    });
}
