import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { FINAL_SESSION_STATUSES, JsonValue, OrchestrateRequest, Session, SwitchyardClient } from '@switchyard/client';
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
  wait?: boolean;
  idempotencyKey?: string;
  budgetTokens?: string;
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
  const body: OrchestrateRequest = context ? { context: context as OrchestrateRequest['context'] } : {};
  if (options.goal !== undefined) return { ...body, goal: options.goal };
  if (options.template !== undefined) return { ...body, template: { name: options.template, params: options.param.reduce((all, p) => param(p, all), {}) } };
  const plan = readJson(options.plan!, 'plan') as { plan?: unknown };
  // The file holds the plan ({ "tasks": [...] }) or a whole orchestrate body ({ "plan": {...} }).
  return { ...body, plan: (plan && typeof plan === 'object' && 'plan' in plan ? plan.plan : plan) as OrchestrateRequest['plan'] };
}

/** The exit code of a finished session. */
const exitOf = (session: Session) => (session.status === 'completed' ? EXIT.ok : EXIT.runFailed);

function summary(session: Session): string[] {
  const lines = [`Session ${session.sessionId} ${session.status}.`];
  if (session.error) lines.push(`Error: ${session.error.message}`);
  if (session.result !== undefined) lines.push(`Result: ${JSON.stringify(session.result)}`);
  return lines;
}

async function watch(client: SwitchyardClient, sessionId: string, out: CliOutput): Promise<Session> {
  const display = out.json ? undefined : new WatchDisplay();
  try {
    for await (const event of client.sessions.events(sessionId)) {
      if (display) display.show(event);
      else out.data(event);
    }
  } finally {
    display?.stop();
  }
  return client.sessions.get(sessionId);
}

export function runCommand({ client, output }: CliContext): Command {
  return new Command('run')
    .description('start a session from a goal, a plan file or a template; --watch or --wait to follow it to its end')
    .option('--goal <text>', 'a goal for the planner agent')
    .option('--plan <file>', 'a JSON file with a plan ({ "tasks": [...] })')
    .option('--template <name>', 'a workflow template (switchyard templates list)')
    .option('--param <key=value>', "a template's param, repeatable (the value as JSON if it parses, else text)", (p: string, all: string[]) => [...all, p], [])
    .option('--context <file>', 'a JSON file with the shared context')
    .option('--watch', 'show every transition live, with a progress bar, until the session ends')
    .option('--wait', 'block until the session ends; exit 0 if it completed, 1 if it failed or was cancelled')
    .option('--idempotency-key <key>', 'a retry with the same key answers the first run instead of starting another')
    .addOption(new Option('--budget-tokens <n>', 'not supported yet').hideHelp())
    .action(async (options: RunOptions, command: Command) => {
      if (options.budgetTokens !== undefined) throw new UsageError('--budget-tokens is not supported yet by this version; leave it out');
      const out = output(command);
      const accepted = await client.orchestrate(requestOf(options), { idempotencyKey: options.idempotencyKey });
      if (!options.watch && !options.wait) {
        out.print(accepted, (a) => [`Session ${a.sessionId} accepted (${a.status}). Follow it: switchyard sessions show ${a.sessionId}`]);
        return;
      }
      out.line(`Session ${accepted.sessionId} accepted (${accepted.status}).`);
      const session = options.watch ? await watch(client, accepted.sessionId, out) : await client.sessions.wait(accepted.sessionId);
      if (!FINAL_SESSION_STATUSES.includes(session.status)) throw new UsageError(`session ${session.sessionId} is ${session.status}, not finished`);
      out.print(session, summary);
      process.exitCode = exitOf(session);
    });
}
