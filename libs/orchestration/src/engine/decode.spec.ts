import { Job, WaitingError } from 'bullmq';
import { AgentUnavailableError, NoCapableAgentError } from '../errors/errors';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { strict } from '../testing/strict-fake';
import { TaskDecode } from './decode.service';

const tag = '{t-0}' as ShardTag;
const task = { sessionId: 's-1', taskId: 'a', capabilities: ['web_research'], agentType: 'researcher' } as unknown as TaskJobData;

function decode(acquire: () => unknown) {
  const calls: string[] = [];
  const pool = strict('pool', {
    acquire: (taskId: string, requirement: { capabilities: string[] }) => (calls.push(`acquire ${taskId} ${requirement.capabilities}`), acquire()),
  });
  const exceptions = strict('exceptions', {
    failed: async (_tag: ShardTag, _job: Job, _token: string, error: Error, unrecoverable: boolean) => {
      calls.push(`failed ${error.name} unrecoverable=${unrecoverable}`);
      throw error;
    },
  });
  const job = strict<Job<TaskJobData>>('job', { data: task, moveToWait: async () => void calls.push('moveToWait') });
  return { service: new TaskDecode(pool as never, exceptions as never), job, calls };
}

describe('TaskDecode.withAgent', () => {
  const lease = (calls: string[]) => ({ agent: { descriptor: { id: 'r-1' } }, release: () => void calls.push('release') });

  it('releases the agent once the run ends, whether it returns or throws', async () => {
    const ok = decode(() => lease(ok.calls));
    await expect(ok.service.withAgent(tag, ok.job, 'token', async () => (ok.calls.push('run'), 'out'))).resolves.toBe('out');
    expect(ok.calls).toEqual(['acquire a web_research', 'run', 'release']);

    const failing = decode(() => lease(failing.calls));
    const error = new Error('agent failed');
    await expect(failing.service.withAgent(tag, failing.job, 'token', async () => Promise.reject(error))).rejects.toBe(error);
    expect(failing.calls).toEqual(['acquire a web_research', 'release']);
  });

  it('hands the job back to its queue when the agents here that could take it take no new tasks', async () => {
    const { service, job, calls } = decode(() => {
      throw new AgentUnavailableError('a', ['r-1']);
    });
    await expect(service.withAgent(tag, job, 'token', async () => 'never')).rejects.toBeInstanceOf(WaitingError);
    expect(calls).toEqual(['acquire a web_research', 'moveToWait']);
  });

  it('fails the task, for good, when no agent here has what it needs', async () => {
    const { service, job, calls } = decode(() => {
      throw new NoCapableAgentError('a', ['web_research']);
    });
    await expect(service.withAgent(tag, job, 'token', async () => 'never')).rejects.toBeInstanceOf(NoCapableAgentError);
    expect(calls).toEqual(['acquire a web_research', 'failed NoCapableAgentError unrecoverable=true']);
  });
});
