import { Argument, Command } from 'commander';
import { JsonValue, ResolveAction } from '@switchyard/client';
import { UsageError } from '../cli-failure';
import { CliContext } from '../cli-context';

export function resolveCommand({ client, output }: CliContext): Command {
  return new Command('resolve')
    .description('answer a task paused for operator input')
    .argument('<id>', 'the session id')
    .argument('<task>', 'the paused task')
    .addArgument(new Argument('<action>', 'retry it, skip it, abort the session, or provide its output').choices(['retry', 'skip', 'abort', 'provide']))
    .option('--output <json>', "with provide: the task's output, as JSON")
    .action(async (id: string, task: string, action: ResolveAction, options: { output?: string }, command: Command) => {
      if ((action === 'provide') !== (options.output !== undefined)) throw new UsageError('--output JSON goes with provide, and provide needs it');
      let value: JsonValue | undefined;
      if (options.output !== undefined) {
        try {
          value = JSON.parse(options.output) as JsonValue;
        } catch (error) {
          throw new UsageError(`--output is not JSON: ${(error as Error).message} (quote it: --output '{"verdict":"ok"}')`);
        }
      }
      const answer = await client.sessions.resolve(id, task, value === undefined ? { action } : { action, output: value });
      output(command).print(answer, (a) => [`Task ${a.taskId} of ${a.sessionId}: ${a.action} -> task ${a.taskStatus}, session ${a.sessionStatus}.`]);
    });
}
