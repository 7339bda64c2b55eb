import { buildTaskGraph, FlatTask as GraphTask, flattenTasks, PlannedTask as GraphPlannedTask, TaskGraph } from '../dag/task-graph';
import { Plan, TaskSpec } from './plan.schema';

export { findCycle, prerequisites } from '../dag/task-graph';

/** A task of a plan, flattened (see the dependency resolver's task graph, dag/task-graph.ts). */
export type FlatTask = GraphTask<TaskSpec>;
/** A task of a validated plan. */
export type PlannedTask = GraphPlannedTask<TaskSpec>;
/** A flattened, validated plan. */
export type PlanGraph = TaskGraph<TaskSpec>;

/** Flattens a plan's tree depth first. Assumes ids are unique (checked by the validator first). */
export const flattenPlan = (plan: Plan, basePath = 'plan'): FlatTask[] => flattenTasks(plan.tasks, basePath);

/** Builds the graph of a flattened plan (see buildTaskGraph). */
export const buildPlanGraph = (flat: readonly FlatTask[], inherited: readonly string[] = []): PlanGraph => buildTaskGraph(flat, inherited);
