import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RemoteLeaseConflictError, RemoteLeaseLostError } from '@switchyard/orchestration/errors/errors';
import { remoteKeys } from '@switchyard/orchestration/redis/keys';
import { RemoteTask, RemoteTaskBroker, remoteScripts } from '@switchyard/orchestration/remote/remote-task-broker';
import { REDIS_URL } from './support/stack';

/** The remote agents' lease scripts on the real Redis, driven through the broker both sides use. */
describe('remote agent leases in Redis', () => {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const scripts = remoteScripts(redis);
  const broker = (leaseMs = 2000, keepMs = 5000) => new RemoteTaskBroker(scripts, { prefix, leaseMs, pollMs: 20, keepMs });
  const task = (taskId: string, capabilities = ['translation']): RemoteTask => ({
    sessionId: '0-3f6c2a4e-8d1b-4c3a-9e2f-5b7d1a0c9e8f',
    taskId,
    capabilities,
    input: { text: 'Hello' },
    dependencies: {},
    attempt: 1,
    shared: {},
  });
  const agent = (capabilities = ['translation'], tenant = 'acme') => ({ id: 'translator-1', type: 'translator', capabilities, tenant });
  const ourKeys = async () => (await redis.keys(`{${prefix}}*`)).sort();
  const settled = (promise: Promise<unknown>) =>
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

  afterAll(async () => {
    const left = await redis.keys(`{${prefix}}*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  });

  it('hands a parked task to an agent, keeps its lease alive on heartbeats, and gives the worker its output', async () => {
    const b = broker(400);
    const run = b.run('acme', task('t1'));
    const assignment = await b.next(agent(), 2000);
    expect(assignment?.task).toEqual(task('t1'));
    // Heartbeats keep it past three lease durations.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await b.heartbeat('translator-1', 't1', assignment!.leaseToken);
    }
    await b.settle('translator-1', 't1', assignment!.leaseToken, { output: { text: 'Bonjour' } });
    expect(await run).toEqual({ agentId: 'translator-1', output: { text: 'Bonjour' } });
    expect(await ourKeys()).toEqual([]);
  });

  it('ends a lapsed lease: the worker gets a retryable error, the agent a 409 for any later call', async () => {
    const b = broker(300);
    const run = settled(b.run('acme', task('t2')));
    const assignment = (await b.next(agent(), 2000))!;
    const { error } = (await run) as { error: unknown };
    expect(error).toBeInstanceOf(RemoteLeaseLostError);
    expect(error).toMatchObject({ retryable: true, agentId: 'translator-1', taskId: 't2' });
    await expect(b.settle('translator-1', 't2', assignment.leaseToken, { output: 'late' })).rejects.toMatchObject({ reason: 'unknown' });
    await expect(b.heartbeat('translator-1', 't2', assignment.leaseToken)).rejects.toBeInstanceOf(RemoteLeaseConflictError);
    expect(await ourKeys()).toEqual([]);
  });

  it('refuses a lapsed lease before the worker has looked, and a token of another agent, task or secret', async () => {
    const b = broker(200);
    const parkId = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
    const pendingKey = remoteKeys.pending(prefix, 'acme', 'translation');
    await scripts.park({ pendingKey, parkKey: remoteKeys.park(prefix, parkId), parkId, taskId: 't3', task: JSON.stringify(task('t3')), ttlMs: 5000 });
    const assignment = (await b.next(agent(), 1000))!;
    const [, secret] = assignment.leaseToken.split('.');
    const other = `${parkId}.${'A'.repeat(32)}`;
    await expect(b.heartbeat('translator-2', 't3', assignment.leaseToken)).rejects.toMatchObject({ reason: 'unknown' });
    await expect(b.heartbeat('translator-1', 'x', assignment.leaseToken)).rejects.toMatchObject({ reason: 'unknown' });
    await expect(b.heartbeat('translator-1', 't3', other)).rejects.toMatchObject({ reason: 'unknown' });
    expect(secret).toHaveLength(32);
    await new Promise((r) => setTimeout(r, 300));
    await expect(b.settle('translator-1', 't3', assignment.leaseToken, { output: 1 })).rejects.toMatchObject({ reason: 'expired' });
    await redis.del(remoteKeys.park(prefix, parkId));
  });

  it("gives an agent only its tenant's tasks that need nothing it lacks, oldest first", async () => {
    const b = broker();
    const controller = new AbortController();
    const runs = [
      settled(b.run('acme', task('both', ['translation', 'proofreading']), controller.signal)),
      settled(b.run('acme', task('one'), controller.signal)),
      settled(b.run('globex', task('theirs'), controller.signal)),
    ];
    await new Promise((r) => setTimeout(r, 100));
    expect(await b.next(agent(['translation'], 'other'), 0)).toBeUndefined();
    // It lacks proofreading: the first task stays parked, the second is its.
    expect((await b.next(agent(['translation']), 0))?.task.taskId).toBe('one');
    expect((await b.next(agent(['proofreading', 'translation']), 0))?.task.taskId).toBe('both');
    expect((await b.next(agent(['translation'], 'globex'), 0))?.task.taskId).toBe('theirs');
    controller.abort(new Error('test over'));
    for (const run of await Promise.all(runs)) expect(run).toEqual({ error: new Error('test over') });
    // Aborted runs take their tasks back, leases and all.
    expect(await ourKeys()).toEqual([]);
  });

  it('drops the id of a task whose worker stopped looking, instead of handing it out', async () => {
    const b = broker();
    const parkId = '2c5f39cb-3fb2-42e3-994a-1127e4ddb538';
    const pendingKey = remoteKeys.pending(prefix, 'acme', 'translation');
    await scripts.park({ pendingKey, parkKey: remoteKeys.park(prefix, parkId), parkId, taskId: 'orphan', task: JSON.stringify(task('orphan')), ttlMs: 100 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await b.next(agent(), 0)).toBeUndefined();
    expect(await ourKeys()).toEqual([]);
  });
});
