import { Command, InvalidArgumentError } from 'commander';
import { ForkRequest, JsonValue, Session, SessionStatus } from '@switchyard/client';
import { UsageError } from '../cli-failure';
import { CliContext } from '../cli-context';
import { table } from '../cli-output';
import { budgetLine, readJson, usageLine } from './run.command';

/** A JSON option's value, or a one-line refusal naming the option. */
export function jsonOption(text: string, flag: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UsageError(`${flag} is not JSON: ${(error as Error).message} (quote it: ${flag} '{"topic":"AOF"}')`);
  }
}

/** What a task waits for, in a word or two: a sentence as it is, a time or a signal (with its time-out). */
function waitNote(waitingFor: Session['tasks'][number]['waitingFor']): string | undefined {
  if (waitingFor === undefined || typeof waitingFor === 'string') return waitingFor;
  if ('until' in waitingFor) return `until ${waitingFor.until}`;
  return `signal ${waitingFor.signal}${waitingFor.timeoutAt ? ` (until ${waitingFor.timeoutAt})` : ''}`;
}

/** A budget as `tokens 1000, tasks 3`. */
const budgetText = (budget: NonNullable<Session['budget']>) =>
  Object.entries(budget)
    .map(([limit, value]) => `${limit} ${value}`)
    .join(', ');

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

/** What `sessions show` prints of a session. */
export function show(session: Session): string[] {
  const head = [
    `Session ${session.sessionId}: ${session.status}`,
    ...(session.goal ? [`Goal: ${session.goal}`] : []),
    ...(session.template ? [`Template: ${session.template}`] : []),
    ...(session.forkedFrom ? [`Forked from ${session.forkedFrom.sessionId} at task ${session.forkedFrom.taskId}`] : []),
    `Created ${session.createdAt}, updated ${session.updatedAt}${session.finishedAt ? `, finished ${session.finishedAt}` : ''}`,
    ...(session.error ? [budgetLine(session.error) ?? `Error: ${session.error.message}`] : []),
    ...(session.budget ? [`Budget: ${budgetText(session.budget)}`] : []),
    ...(session.usage ? [`Usage: ${usageLine(session.usage)}`] : []),
    '',
  ];
  // The usage columns only when a task used a model.
  const usage = session.tasks.some((t) => t.usage);
  const rows = session.tasks.map((t) => [
    t.id,
    t.status,
    t.agentId ?? '',
    String(t.attempts),
    ...(usage ? [t.usage ? String(t.usage.totalTokens) : '', t.usage ? `$${t.usage.costUsd}` : ''] : []),
    waitNote(t.waitingFor) ?? t.error?.message ?? (t.reusedFrom ? `reused from ${t.reusedFrom}` : ''),
  ]);
  return [...head, ...table(['TASK', 'STATUS', 'AGENT', 'ATTEMPTS', ...(usage ? ['TOKENS', 'COST'] : []), 'NOTE'], rows)];
}

export function sessionsCommand({ client, output }: CliContext): Command {
  const sessions = new Command('sessions').description('list, show, cancel and fork sessions');
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
    .description('a new session from a finished one: the task and everything that waits on it run again, every other task keeps its output')
    .argument('<id>', 'the session id (completed, failed or cancelled)')
    .requiredOption('--from <task>', 'the task to run again')
    .option('--input <json>', "the task's new input, as JSON")
    .option('--context <file>', 'a JSON file with a merge patch over the shared context')
    .action(async (id: string, options: { from: string; input?: string; context?: string }, command: Command) => {
      const context = options.context === undefined ? undefined : readJson(options.context, 'context');
      if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
        throw new UsageError(`the context file ${options.context} must hold a JSON object`);
      }
      const body: ForkRequest = {
        fromTask: options.from,
        ...(options.input !== undefined ? { input: jsonOption(options.input, '--input') } : {}),
        ...(context !== undefined ? { context: context as ForkRequest['context'] } : {}),
      };
      const answer = await client.sessions.fork(id, body);
      output(command).print(answer, (a) => [
        `Session ${a.sessionId} forked from ${a.forkedFrom.sessionId} at task ${a.forkedFrom.taskId} (${a.status}).`,
        `Runs again: ${a.rerun.join(', ')}`,
        `Keeps: ${a.reused.length > 0 ? a.reused.join(', ') : '(nothing)'}`,
      ]);
    });
  return sessions;
}
