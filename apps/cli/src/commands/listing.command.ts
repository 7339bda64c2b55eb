import { Command } from 'commander';
import { Agent } from '@switchyard/client';
import { CliContext } from '../cli-context';
import { table } from '../cli-output';

/** Where an agent runs: the worker that hosts it, or `remote` for one registered over REST that pulls its tasks over HTTP (with its tenant when the key may see it). */
export const whereOf = (agent: Agent) =>
  agent.worker ? `${agent.worker.host}:${agent.worker.pid}` : agent.source === 'api' ? `remote${agent.tenant ? ` (${agent.tenant})` : ''}` : '';

export function agentsCommand({ client, output }: CliContext): Command {
  const agents = new Command('agents').description('the agent registry');
  agents
    .command('list')
    .description('the registered agents: hosted by a worker, or remote (registered over REST, pulling their tasks over HTTP)')
    .action(async (_options: unknown, command: Command) =>
      output(command).print(await client.agents.list(), (list) =>
        table(
          ['AGENT', 'TYPE', 'STATUS', 'WHERE', 'LAST HEARTBEAT', 'CAPABILITIES'],
          list.map((a) => [a.id, a.type, a.status, whereOf(a), a.lastHeartbeat ?? '', a.capabilities.join(',')]),
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
