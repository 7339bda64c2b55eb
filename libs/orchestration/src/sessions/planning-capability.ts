/** The capability whose queue takes goals to plan. */
export const PLANNING_CAPABILITY = 'task_decomposition';
/** The pseudo task id under which the planner's run is logged. */
export const PLANNING_STEP_ID = 'plan';
