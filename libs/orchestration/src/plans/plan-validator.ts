import { MAX_TASK_CAPABILITIES, repeatedCapabilities } from '../agents/capability-catalog';
import { Plan, planSchema, TaskSpec, WAITING_KINDS } from './plan.schema';
import { buildPlanGraph, FlatTask, findCycle, flattenPlan, PlanGraph, PlannedTask } from './plan-graph';

/** One thing wrong with a plan: where (a path into the request) and what. */
export interface PlanIssue {
  readonly path: string;
  readonly message: string;
}

export interface PlanLimits {
  readonly maxTasks: number;
  readonly maxDepth: number;
  /** Largest serialised `input` of one task, in bytes. */
  readonly maxInputBytes: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = { maxTasks: 10_000, maxDepth: 16, maxInputBytes: 256 * 1024 };

/** What a plan fragment spawned at run time may refer to in its session. */
export interface SessionContext {
  /** Every task id of the session: new ids must differ. */
  readonly existingIds: ReadonlySet<string>;
  /** Tasks of the session that finished: new tasks may depend on them. */
  readonly finishedIds: ReadonlySet<string>;
  /**
   * The dependencies of the task that spawns the new tasks (its own and its ancestors', all
   * finished): passed down to the new tasks, which receive their results.
   */
  readonly inherited?: readonly string[];
}

export type PlanValidation =
  { readonly ok: true; readonly plan: Plan; readonly graph: PlanGraph } | { readonly ok: false; readonly issues: readonly PlanIssue[] };

/**
 * Validates a plan completely before anything is enqueued: its shape, unique ids, known
 * references and capabilities, size and depth limits, and that it can run at all (no cycle
 * through dependencies or through the parent/child tree). Every issue names its culprit.
 */
export function validatePlan(
  raw: unknown,
  knownCapabilities: ReadonlySet<string>,
  limits: PlanLimits = DEFAULT_PLAN_LIMITS,
  basePath = 'plan',
  session?: SessionContext,
): PlanValidation {
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((issue) => ({ path: issuePath(basePath, issue.path), message: issue.message })) };
  const plan = parsed.data;
  const flat = flattenPlan(plan, basePath);
  if (flat.length > limits.maxTasks) {
    return { ok: false, issues: [{ path: `${basePath}.tasks`, message: `the plan has ${flat.length} tasks; the limit is ${limits.maxTasks}` }] };
  }

  const issues: PlanIssue[] = [];
  const firstSeen = new Map<string, FlatTask>();
  const signals = new Map<string, FlatTask>();
  for (const task of flat) {
    const earlier = firstSeen.get(task.id);
    if (session?.existingIds.has(task.id)) {
      issues.push({ path: `${task.path}.id`, message: `task id "${task.id}" is already a task of the session` });
    } else if (earlier) {
      issues.push({ path: `${task.path}.id`, message: `duplicate task id "${task.id}" (already used at ${earlier.path})` });
    } else {
      firstSeen.set(task.id, task);
    }
    if (task.depth > limits.maxDepth) {
      issues.push({ path: task.path, message: `task "${task.id}" is nested ${task.depth} deep; the limit is ${limits.maxDepth}` });
    }
    issues.push(...kindIssues(task, signals), ...capabilityIssues(task, knownCapabilities));
    if (task.spec.input !== undefined) {
      const bytes = Buffer.byteLength(JSON.stringify(task.spec.input));
      if (bytes > limits.maxInputBytes) {
        issues.push({ path: `${task.path}.input`, message: `input of task "${task.id}" is ${bytes} bytes; the limit is ${limits.maxInputBytes}` });
      }
    }
  }
  for (const task of flat) issues.push(...dependencyIssues(task, firstSeen, session));
  if (issues.length > 0) return { ok: false, issues };

  const graph = buildPlanGraph(flat, session?.inherited);
  const cycle = findCycle(graph.tasks);
  if (cycle) {
    const culprit = graph.tasks.get(cycle[0])!;
    const message = `these tasks wait for each other and can never run: ${cycle.join(' → ')}${cycleNotes(graph.tasks, cycle)}`;
    return { ok: false, issues: [{ path: culprit.path, message }] };
  }
  return { ok: true, plan, graph };
}

/** A path into the request, as zod gives it (`['tasks', 0, 'id']`), written as `plan.tasks[0].id`. */
function issuePath(basePath: string, path: readonly PropertyKey[]): string {
  return [basePath, ...path].reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

/** What is wrong with a task's capabilities: one listed twice, too many, or one no agent offers. */
function capabilityIssues(task: FlatTask, knownCapabilities: ReadonlySet<string>): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const capabilities = task.spec.capabilities ?? [];
  for (const { index, name } of repeatedCapabilities(capabilities)) {
    issues.push({ path: `${task.path}.capabilities[${index}]`, message: `task "${task.id}" lists capability "${name}" twice` });
  }
  if (capabilities.length > MAX_TASK_CAPABILITIES) {
    issues.push({
      path: `${task.path}.capabilities`,
      message: `task "${task.id}" lists ${capabilities.length} capabilities; a task takes at most ${MAX_TASK_CAPABILITIES}`,
    });
    return issues;
  }
  capabilities.forEach((capability, i) => {
    if (!knownCapabilities.has(capability)) issues.push({ path: `${task.path}.capabilities[${i}]`, message: `unknown capability "${capability}"` });
  });
  return issues;
}

/**
 * What is wrong with a task's `dependsOn`: itself, an unknown task, or (for a fragment spawned at
 * run time) a task of the session that has not finished. `planIds` holds the plan's own tasks.
 */
function dependencyIssues(task: FlatTask, planIds: ReadonlyMap<string, FlatTask>, session?: SessionContext): PlanIssue[] {
  const issues: PlanIssue[] = [];
  (task.spec.dependsOn ?? []).forEach((dep, i) => {
    const path = `${task.path}.dependsOn[${i}]`;
    if (dep === task.id) {
      issues.push({ path, message: `task "${task.id}" depends on itself` });
    } else if (planIds.has(dep) || session?.finishedIds.has(dep)) {
      // a task of this plan, or a finished task of the session
    } else if (session?.existingIds.has(dep)) {
      issues.push({
        path,
        message: `task "${task.id}" depends on "${dep}", which has not finished; new tasks may depend only on each other and on finished tasks`,
      });
    } else {
      issues.push({ path, message: `task "${task.id}" depends on unknown task "${dep}"` });
    }
  });
  return issues;
}

/**
 * What is wrong with a task for its kind: an agent's task (`task`, `approval`) needs capabilities
 * and takes no wait fields; a `wait` needs `durationMs` or `until` (one of them); a `signal` needs
 * its `signal`, a name no other task of the plan waits for (`signals` records the first of each).
 * Neither of these runs an agent: they take no capabilities, agent type or children.
 */
function kindIssues(task: FlatTask, signals: Map<string, FlatTask>): PlanIssue[] {
  const { spec, path, id } = task;
  const kind = spec.kind ?? 'task';
  const issue = (field: string, message: string): PlanIssue => ({ path: `${path}.${field}`, message: `task "${id}" ${message}` });
  const issues: PlanIssue[] = [];
  const forbid = (fields: readonly (keyof TaskSpec)[], why: string) => {
    for (const field of fields) if (spec[field] !== undefined) issues.push(issue(field, `of kind "${kind}" takes no ${field}: ${why}`));
  };
  if (!WAITING_KINDS.has(kind)) {
    if (spec.capabilities === undefined) issues.push(issue('capabilities', 'needs at least one capability'));
    forbid(['durationMs', 'until', 'signal'], 'only kinds "wait" and "signal" do');
    return issues;
  }
  forbid(['capabilities', 'agentType', 'children'], 'it runs no agent');
  if (kind === 'wait') {
    if ((spec.durationMs === undefined) === (spec.until === undefined)) issues.push(issue('durationMs', 'of kind "wait" needs either durationMs or until'));
    forbid(['signal', 'timeoutMs'], 'a wait ends at its time');
    return issues;
  }
  forbid(['durationMs', 'until'], 'a signal task waits for its signal (timeoutMs bounds it)');
  if (spec.signal === undefined) {
    issues.push(issue('signal', 'of kind "signal" needs the name of its signal'));
  } else if (signals.has(spec.signal)) {
    issues.push(issue('signal', `waits for signal "${spec.signal}", which task "${signals.get(spec.signal)!.id}" waits for already`));
  } else {
    signals.set(spec.signal, task);
  }
  return issues;
}

/**
 * Why the edges of a cycle (in run order: each task waits for the one before it) that are not a
 * task's own `dependsOn` exist: a parent waiting for its child, or a task waiting for an
 * ancestor's dependency.
 */
function cycleNotes(tasks: ReadonlyMap<string, PlannedTask>, cycle: readonly string[]): string {
  const notes: string[] = [];
  let parentEdge = false;
  for (let i = 1; i < cycle.length; i++) {
    const [before, waiter] = [cycle[i - 1], tasks.get(cycle[i])!];
    if (waiter.childIds.includes(before)) {
      parentEdge = true;
    } else if (!waiter.dependsOn.includes(before)) {
      let ancestor = waiter.parentId === null ? undefined : tasks.get(waiter.parentId);
      while (ancestor && !ancestor.dependsOn.includes(before)) ancestor = ancestor.parentId === null ? undefined : tasks.get(ancestor.parentId);
      if (ancestor)
        notes.push(`"${waiter.id}" waits for "${before}" because its ancestor "${ancestor.id}" depends on it: a task's children wait for its dependencies`);
    }
  }
  if (parentEdge) notes.push('a parent waits for its children, so a task cannot depend on its own ancestor');
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}
