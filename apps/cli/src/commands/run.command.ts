import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, FINAL_SESSION_STATUSES, JsonValue, OrchestrateRequest, Session, SwitchyardClient } from '@switchyard/client';
import { EXIT, UsageError } from '../cli-failure';
import { CliContext } from '../cli-context';
import { CliOutput } from '../cli-output';
import { WatchDisplay } from '../watch-display';

interface RunOptions {
  goal?: string;
  plan?: string;
  template?: string;
  param: string[];
  context?: string;
  watch?: boolean;
  /** false with --no-deltas. */
  deltas?: boolean;
  wait?: boolean;
  idempotencyKey?: string;
  budgetTokens?: number;
  budgetCostUsd?: number;
  budgetTasks?: number;
  budgetWallMs?: number;
}

/** A budget option's value: a number above 0, whole unless `fraction`; anything else is a usage error naming the option (exit 2). */
export const budgetNumber =
  (fraction = false) =>
  (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (!fraction && !Number.isInteger(n)))
      throw new InvalidArgumentError(fraction ? 'a number above 0' : 'a whole number above 0');
    return n;
  };

/** `budget` of the orchestrate body, from the `--budget-*` options; undefined without any. */
function budgetOf(options: RunOptions): OrchestrateRequest['budget'] {
  const budget = { tokens: options.budgetTokens, costUsd: options.budgetCostUsd, tasks: options.budgetTasks, wallMs: options.budgetWallMs };
  const set = Object.entries(budget).filter(([, value]) => value !== undefined);
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}

/** A JSON file's content, or a one-line refusal naming the file. */
export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the ${what} file ${file} is not JSON: ${(error as Error).message}`);
  }
}

/** `k=v`: the value as JSON when it parses as JSON (`n=3`, `tags=["a"]`), else as a string. */
function param(text: string, params: Record<string, JsonValue>): Record<string, JsonValue> {
  const equals = text.indexOf('=');
  if (equals < 1) throw new UsageError(`--param ${text} is not of the form key=value`);
  const value = text.slice(equals + 1);
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(value) as JsonValue;
  } catch {
    parsed = value;
  }
  return { ...params, [text.slice(0, equals)]: parsed };
}

/** The orchestrate body the options ask for: exactly one of goal, plan and template. */
export function requestOf(options: RunOptions): OrchestrateRequest {
  const given = (['goal', 'plan', 'template'] as const).filter((source) => options[source] !== undefined);
  if (given.length !== 1)
    throw new UsageError(
      `give exactly one of --goal TEXT, --plan FILE, --template NAME (got ${given.length ? given.map((g) => `--${g}`).join(', ') : 'none'})`,
    );
  if (options.param.length > 0 && !options.template) throw new UsageError('--param goes with --template NAME');
  const context = options.context === undefined ? undefined : readJson(options.context, 'context');
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
    throw new UsageError(`the context file ${options.context} must hold a JSON object`);
  }
  const budget = budgetOf(options);
  const body: OrchestrateRequest = { ...(context ? { context: context as OrchestrateRequest['context'] } : {}), ...(budget ? { budget } : {}) };
  if (options.goal !== undefined) return { ...body, goal: options.goal };
  if (options.template !== undefined) return { ...body, template: { name: options.template, params: options.param.reduce((all, p) => param(p, all), {}) } };
  const plan = readJson(options.plan!, 'plan') as { plan?: unknown };
  // The file holds the plan ({ "tasks": [...] }) or a whole orchestrate body ({ "plan": {...} }).
  return { ...body, plan: (plan && typeof plan === 'object' && 'plan' in plan ? plan.plan : plan) as OrchestrateRequest['plan'] };
}

/** The exit code of a finished session. */
const exitOf = (session: Session) => (session.status === 'completed' ? EXIT.ok : EXIT.runFailed);

/** Model usage in a few words: tokens (prompt + completion), calls and cost. */
export function usageLine(usage: NonNullable<Session['usage']>): string {
  const calls = `${usage.calls} model call${usage.calls === 1 ? '' : 's'}`;
  return `${usage.totalTokens} tokens (${usage.promptTokens} prompt + ${usage.completionTokens} completion), ${calls}, $${usage.costUsd}`;
}

/** The one line a session that reached its budget failed with: the limit, what was used and the budget; undefined for any other failure. */
export function budgetLine(error: Session['error']): string | undefined {
  if (error?.code !== 'budget_exceeded' || !error.limit) return undefined;
  const limit = error.budget?.[error.limit];
  return `Budget exceeded: ${error.limit} used ${error.used ?? '?'} of ${limit ?? '?'} (--budget-${BUDGET_FLAGS[error.limit]}).`;
}

const BUDGET_FLAGS = { tokens: 'tokens', costUsd: 'cost-usd', tasks: 'tasks', wallMs: 'wall-ms' } as const;

function summary(session: Session): string[] {
  const lines = [`Session ${session.sessionId} ${session.status}.`];
  if (session.error) lines.push(budgetLine(session.error) ?? `Error: ${session.error.message}`);
  if (session.usage) lines.push(`Usage: ${usageLine(session.usage)}`);
  if (session.result !== undefined) lines.push(`Result: ${JSON.stringify(session.result)}`);
  return lines;
}

/**
 * The session once its events ended. Like the event stream, it rides out a dropped connection
 * (a few tries, 250 ms apart and doubling) rather than end a watch that saw everything on exit 2.
 */
async function finalSession(client: SwitchyardClient, sessionId: string): Promise<Session> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await client.sessions.get(sessionId);
    } catch (error) {
      if (!(error instanceof ConnectionError) || attempt >= 3) throw error;
      await sleep(250 * 2 ** attempt);
    }
  }
}

/** Follows the session's events (the client resumes them with Last-Event-ID across dropped connections) to its end: shown live, or as JSON lines under `--json`. */
async function watch(client: SwitchyardClient, sessionId: string, out: CliOutput, deltas: boolean): Promise<Session> {
  const display = out.json ? undefined : new WatchDisplay();
  try {
    for await (const event of client.sessions.events(sessionId, { deltas })) {
      if (display) display.show(event);
      else out.data(event);
    }
  } finally {
    display?.stop();
  }
  return finalSession(client, sessionId);
}

export function runCommand({ client, output }: CliContext): Command {
  return new Command('run')
    .description('start a session from a goal, a plan file or a template; --watch or --wait to follow it to its end')
    .option('--goal <text>', 'a goal for the planner agent')
    .option('--plan <file>', 'a JSON file with a plan ({ "tasks": [...] })')
    .option('--template <name>', 'a workflow template (switchyard templates list)')
    .option('--param <key=value>', "a template's param, repeatable (the value as JSON if it parses, else text)", (p: string, all: string[]) => [...all, p], [])
    .option('--context <file>', 'a JSON file with the shared context')
    .option('--watch', 'show every transition and the text the running tasks stream, live, with a progress bar, until the session ends')
    .option('--no-deltas', 'with --watch: leave out the text the running tasks stream')
    .option('--wait', 'block until the session ends; exit 0 if it completed, 1 if it failed or was cancelled')
    .option('--idempotency-key <key>', 'a retry with the same key answers the first run instead of starting another')
    .option('--budget-tokens <n>', 'fail the session once its model calls used this many tokens (prompt and completion)', budgetNumber())
    .option('--budget-cost-usd <usd>', 'fail the session once its model calls cost this much (priced by SWITCHYARD_MODEL_PRICES)', budgetNumber(true))
    .option('--budget-tasks <n>', 'start at most this many task runs (retries not counted)', budgetNumber())
    .option('--budget-wall-ms <ms>', 'fail the session this many milliseconds after it was created', budgetNumber())
    .action(async (options: RunOptions, command: Command) => {
      const out = output(command);
      const accepted = await client.orchestrate(requestOf(options), { idempotencyKey: options.idempotencyKey });
      if (!options.watch && !options.wait) {
        out.print(accepted, (a) => [`Session ${a.sessionId} accepted (${a.status}). Follow it: switchyard sessions show ${a.sessionId}`]);
        return;
      }
      out.line(`Session ${accepted.sessionId} accepted (${accepted.status}).`);
      const session = options.watch ? await watch(client, accepted.sessionId, out, options.deltas !== false) : await client.sessions.wait(accepted.sessionId);
      if (!FINAL_SESSION_STATUSES.includes(session.status)) throw new UsageError(`session ${session.sessionId} is ${session.status}, not finished`);
      out.print(session, summary);
      process.exitCode = exitOf(session);
    });
}
