/**
 * The scheduling rule of fair share (see docs/fair-share.md): a tenant's new task jobs take turns
 * on a virtual clock, each `turnMs / weight` long, from the later of the tenant's last reserved
 * turn and now. A job's BullMQ priority is its turn's start, in whole turns from the clock's
 * epoch: every capability queue then serves the tenants with waiting jobs in turn (by weight),
 * and a tenant that queued thousands of jobs has their turns far ahead, so another tenant's new
 * job goes before all but the ones whose turn has come.
 */

/** BullMQ's largest priority (2^21 - 1). */
export const MAX_BULL_PRIORITY = 2_097_151;

/** What one submission of a tenant's jobs was given on the clock (see fair-turns.lua). */
export interface TurnGrant {
  readonly start: number;
  readonly epoch: number;
  readonly turnMs: number;
  readonly weight: number;
}

/**
 * The fair priority of each of `taskPriorities` (BullMQ priorities, the plan's: lower runs
 * first), in their order: the jobs take consecutive turns, the plan's priorities deciding which
 * takes which (ties in plan order), so a tenant's own priorities still order its tasks.
 */
export function fairPriorities(taskPriorities: readonly number[], grant: TurnGrant): number[] {
  const order = taskPriorities.map((priority, index) => ({ priority, index })).sort((a, b) => a.priority - b.priority || a.index - b.index);
  const result = new Array<number>(taskPriorities.length);
  const step = grant.turnMs / grant.weight;
  order.forEach(({ index }, turn) => {
    const at = grant.start + turn * step;
    result[index] = Math.min(MAX_BULL_PRIORITY, Math.max(1, 1 + Math.floor((at - grant.epoch) / grant.turnMs)));
  });
  return result;
}

/** A tenant's weight: its entry in SWITCHYARD_TENANT_WEIGHTS, else 1. */
export function weightOf(weights: Readonly<Record<string, number>>, tenant: string): number {
  return Object.prototype.hasOwnProperty.call(weights, tenant) ? weights[tenant] : 1;
}
