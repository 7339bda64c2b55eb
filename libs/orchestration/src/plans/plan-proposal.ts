/**
 * A planner's answer for a session's goal that came from a model: the plan and which model wrote
 * it. The planning step validates the plan like a client's, and when it is invalid runs the
 * planner again with `input.repair` (the plan and the validator's issues), up to
 * SWITCHYARD_PLAN_REPAIR_ROUNDS times; the session's `planning` shows the round accepted.
 */
export class PlanProposal {
  constructor(
    readonly plan: unknown,
    readonly model: string,
  ) {}
}

/** What the planner is given to repair (`input.repair` of its planning run). */
export interface PlanRepair {
  /** 1 for the first repair, ... */
  readonly round: number;
  readonly plan: unknown;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
}
