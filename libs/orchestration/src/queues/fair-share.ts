import type { ClassCount } from './scripts/fair-turns';

/**
 * The scheduling rule of fair share (see docs/fair-share.md): a tenant's new task jobs take turns
 * on a virtual clock, each `turnMs / weight` long. Each priority class of a tenant has its next
 * turn; a job takes its class's, and moves on its class and every less urgent one, so urgent work
 * takes the tenant's earliest free turn while every job costs the tenant one turn. A job's BullMQ
 * priority is its turn's start, in whole turns from the clock's epoch: every capability queue
 * then serves the tenants with waiting jobs in turn (by weight), and a tenant that queued
 * thousands of jobs has their turns far ahead, so another tenant's new job goes before all but
 * the ones whose turn has come.
 */

/** BullMQ's largest priority (2^21 - 1). */
export const MAX_BULL_PRIORITY = 2_097_151;

/** The most priority classes whose next turns the clock keeps per tenant (see fair-turns.lua). */
export const MAX_STORED_CLASSES = 16;

/** What one submission of a tenant's jobs was given on the clock (see fair-turns.lua). */
export interface TurnGrant {
  /** The first turn's start (epoch ms) of each priority class of the submission. */
  readonly starts: ReadonlyMap<number, number>;
  readonly epoch: number;
  readonly turnMs: number;
  readonly weight: number;
}

/** The priority classes of `taskPriorities` (BullMQ priorities) and how many jobs have each, most urgent first. */
export function classCounts(taskPriorities: readonly number[]): ClassCount[] {
  const counts = new Map<number, number>();
  for (const priority of taskPriorities) counts.set(priority, (counts.get(priority) ?? 0) + 1);
  return [...counts].map(([priority, count]) => ({ priority, count })).sort((a, b) => a.priority - b.priority);
}

/**
 * The fair priority of each of `taskPriorities` (BullMQ priorities, the plan's: lower runs
 * first), in their order: the jobs of a class take consecutive turns from its start, in plan
 * order, so a tenant's own priorities still order its tasks.
 */
export function fairPriorities(taskPriorities: readonly number[], grant: TurnGrant): number[] {
  const next = new Map(grant.starts);
  const step = grant.turnMs / grant.weight;
  return taskPriorities.map((priority) => {
    const at = next.get(priority);
    if (at === undefined) throw new RangeError(`no turn was reserved for priority ${priority}`);
    next.set(priority, at + step);
    return Math.min(MAX_BULL_PRIORITY, Math.max(1, 1 + Math.floor((at - grant.epoch) / grant.turnMs)));
  });
}

/** A tenant's weight: its entry in SWITCHYARD_TENANT_WEIGHTS, else 1. */
export function weightOf(weights: Readonly<Record<string, number>>, tenant: string): number {
  return Object.prototype.hasOwnProperty.call(weights, tenant) ? weights[tenant] : 1;
}
