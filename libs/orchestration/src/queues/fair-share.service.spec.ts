import type { FlowJob } from 'bullmq';
import { scriptClient } from '../testing/script-client';
import { WAIT_QUEUE } from '../redis/keys';
import { FairShare } from './fair-share.service';

const config = { prefix: 'fair', fairShare: { weights: { acme: 2 }, maxRunning: 0, turnMs: 1000, turns: true } };
const task = (id: string, queueName: string, priority: number, children?: FlowJob[]): FlowJob => ({
  name: id,
  queueName,
  data: { type: 'task', taskId: id },
  opts: { priority },
  ...(children ? { children } : {}),
});

describe('FairShare', () => {
  it('reserves turns for the capability task jobs of a submission, by class, and sets their priorities and tenant', async () => {
    // Class 991 starts at 1 004 000 (turn 5); class 1001 one turn later than weight 2 allows for both.
    const { client, calls } = scriptClient(() => ['1000000', '1004000', '1004000', '1005000']);
    const root: FlowJob = { name: 'session', queueName: 'sy.session', data: { sessionId: 's' } };
    const parent = task('a', 'web_research', 1001, [task('b', 'web_research', 991)]);
    const wait = task('w', WAIT_QUEUE, 1001);
    await new FairShare({ client }, config).apply('acme', [root, parent, wait]);
    expect(calls).toEqual([expect.objectContaining({ keys: ['{fair}:_sy:fair'], args: ['acme', '1000', '2', '2097151', '16', '991', '1', '1001', '1'] })]);
    expect(parent.children![0].opts!.priority).toBe(5);
    expect(parent.opts!.priority).toBe(6);
    expect(parent.data).toMatchObject({ tenant: 'acme' });
    expect(wait.opts!.priority).toBe(1001);
    expect(root.opts).toBeUndefined();
  });

  it('asks nothing of Redis when a submission has no capability task', async () => {
    const { client, calls } = scriptClient(() => {
      throw new Error('no call was arranged');
    });
    await new FairShare({ client }, config).apply('acme', [task('w', WAIT_QUEUE, 1001)]);
    expect(calls).toEqual([]);
  });

  it('with SWITCHYARD_FAIR_SHARE=off, keeps the plan’s priorities and records the tenant, with no clock call', async () => {
    const { client, calls } = scriptClient(() => {
      throw new Error('no call was arranged');
    });
    const parent = task('a', 'web_research', 1001, [task('b', 'web_research', 991)]);
    await new FairShare({ client }, { ...config, fairShare: { ...config.fairShare, turns: false } }).apply('acme', [parent]);
    expect(calls).toEqual([]);
    expect(parent.opts!.priority).toBe(1001);
    expect(parent.children![0].opts!.priority).toBe(991);
    expect(parent.children![0].data).toMatchObject({ tenant: 'acme' });
  });
});
