import { Command } from 'commander';
import { CliContext } from '../cli-context';
import { table } from '../cli-output';

export function agentsCommand({ client, output }: CliContext): Command {
  const agents = new Command('agents').description('the agent registry');
  agents
    .command('list')
    .description('the registered agents')
    .action(async (_options: unknown, command: Command) =>
      output(command).print(await client.agents.list(), (list) =>
        table(
          ['AGENT', 'TYPE', 'STATUS', 'WORKER', 'CAPABILITIES'],
          list.map((a) => [a.id, a.type, a.status, a.worker ? `${a.worker.host}:${a.worker.pid}` : '', a.capabilities.join(',')]),
        ),
      ),
    );
  return agents;
}

export function templatesCommand({ client, output }: CliContext): Command {
  const templates = new Command('templates').description('workflow templates');
  templates
    .command('list')
    .description('the templates a run can start from (switchyard run --template NAME --param k=v)')
    .action(async (_options: unknown, command: Command) =>
      output(command).print(await client.templates(), (list) =>
        table(
          ['TEMPLATE', 'DESCRIPTION'],
          list.map((t) => [t.name, t.description]),
        ),
      ),
    );
  return templates;
}
