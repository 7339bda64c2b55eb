import { TaskJobData } from '../plans/task-job';

/** A task job's data for unit specs: task `a` of session `s-1`, top-level, with nothing around it unless `over` says so. */
export function taskJobData(over: Partial<TaskJobData> = {}): TaskJobData {
  return {
    type: 'task',
    sessionId: 's-1',
    taskId: 'a',
    capabilities: ['web_research'],
    onFailure: 'fail',
    kind: 'task',
    parentId: null,
    dependsOn: [],
    childIds: [],
    dependants: [],
    ...over,
  };
}
