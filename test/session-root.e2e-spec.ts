import { Stack } from './support/stack';
import { until } from './support/until';

/**
 * A session's root job waits in the delayed set for the top-level tasks (see buildSessionFlow):
 * the write-back of the last of them promotes it; meanwhile it checks on the session, twice the
 * job lock duration (here 1 s) after the start and then less and less often, and waits again
 * while tasks are pending. Offline model calls take 1.5 s here, so a session outlives a check.
 */
describe("a session's root job", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_LOCK_DURATION_MS: '1000', SWITCHYARD_OFFLINE_LATENCY_MS: '1500' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The root job's hash key, once it exists. */
  /**
   * The key of a session's root job: in its session's shard (the id's first part), queue
   * `sy.session`, job id the session's. Built, not searched for: a session that fails at once
   * can have its root job removed before a search would find it.
   */
  function rootJobKey(sessionId: string): string {
    return `{${stack.prefix}-${sessionId.split('-')[0]}}:sy.session:${sessionId}`;
  }

  it('waits again at a check while tasks run, and is woken by the last write-back, not by its next check', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'a', capabilities: ['web_research'] },
          { id: 'b', capabilities: ['web_research'] },
          { id: 'c', capabilities: ['document_creation'], dependsOn: ['a', 'b'] },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    const rootKey = rootJobKey(sessionId);
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    expect(Object.keys(session.result.outputs).sort()).toEqual(['a', 'b', 'c']);
    // c ran from ~1.5 s to ~3 s: the check at 2 s found it running and held the root again, until 6 s.
    expect(JSON.parse((await stack.redis.hget(rootKey, 'data'))!)).toMatchObject({ sessionId, checks: 1 });
    const lastFinished = Math.max(...session.tasks.map((t: any) => Date.parse(t.finishedAt)));
    expect(Date.parse(session.finishedAt) - lastFinished).toBeLessThan(1000);
  });

  it('leaves the delayed set when its session fails', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'slow', capabilities: ['web_research'] },
          { id: 'doomed', capabilities: ['web_research'], timeoutMs: 1, attempts: 1 },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    const rootKey = rootJobKey(sessionId);
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('failed');
    // The session shows as failed first; its root job is removed right after (SessionTerminator).
    const delayed = rootKey.replace(new RegExp(`${sessionId}$`), 'delayed');
    await until('the root job to leave the delayed set', async () => ((await stack.redis.zscore(delayed, sessionId)) === null ? true : undefined), 5000);
    await until('the root job to be removed', async () => ((await stack.redis.exists(rootKey)) === 0 ? true : undefined), 5000);
  });
});
