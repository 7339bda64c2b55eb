import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { strict } from '../../testing/strict-fake';
import { FlowEntry, FlowTransaction } from './flow-transaction';

/** A queue whose backend records into the transaction it is given, as BullMQ's does (runCommand only). */
function queueRecording(calls: unknown[][]): Queue {
  const keys = { wait: 'q:wait' };
  const backend = strict('backend', {
    addJobToTransaction: (transaction: FlowTransaction, ...rest: unknown[]) => {
      calls.push(['addJobToTransaction', ...rest]);
      transaction.runCommand('addStandardJob:6.7.0', ['job', rest[1]]);
      return Promise.resolve('');
    },
    execCommand: (transaction: FlowTransaction, name: string, args: unknown[]) => {
      calls.push(['execCommand', name, args]);
      transaction.runCommand(`${name}:6.7.0`, args);
    },
  });
  return strict<Queue>('queue', { backend, keys });
}

const entry = (jobId: string, parentKey?: string) =>
  ({ jobId, jobData: { name: jobId }, parentKeyOpts: parentKey ? { parentKey } : undefined }) as unknown as FlowEntry;

describe('FlowTransaction', () => {
  it("hands BullMQ each insert with the parent's release deferred and the queue's keys, and each parent release in BullMQ's layout", () => {
    const calls: unknown[][] = [];
    const queue = queueRecording(calls);
    const flow = new FlowTransaction();
    flow.addJob(queue, entry('root'));
    flow.addJob(queue, entry('leaf', 'q:root'));
    flow.releaseParent(queue, { key: 'q:root', id: 'root', queueKey: 'q' }, 1234);
    expect(calls).toEqual([
      ['addJobToTransaction', { name: 'root' }, 'root', { deferParentRelease: true }, { wait: 'q:wait' }],
      ['addJobToTransaction', { name: 'leaf' }, 'leaf', { parentKey: 'q:root', deferParentRelease: true }, { wait: 'q:wait' }],
      ['execCommand', 'releaseParentIfNoPendingDependencies', ['q:root', 'q:root:dependencies', 'q', 'root', 1234]],
    ]);
    expect(flow.size).toBe(3);
  });

  it('sends what it recorded in order, each as the command of its name on the client, and answers their replies', async () => {
    const queue = queueRecording([]);
    const flow = new FlowTransaction();
    flow.addJob(queue, entry('a'));
    flow.releaseParent(queue, { key: 'q:a', id: 'a', queueKey: 'q' }, 1);
    const sent: unknown[][] = [];
    const client = strict<Redis>('client', {
      'addStandardJob:6.7.0': (args: unknown[]) => (sent.push(['addStandardJob', args]), Promise.resolve('a')),
      'releaseParentIfNoPendingDependencies:6.7.0': (args: unknown[]) => (sent.push(['release', args]), Promise.resolve(1)),
    });
    expect(await Promise.all(flow.sendWith(client))).toEqual(['a', 1]);
    expect(sent).toEqual([
      ['addStandardJob', ['job', 'a']],
      ['release', ['q:a', 'q:a:dependencies', 'q', 'a', 1]],
    ]);
  });
});
