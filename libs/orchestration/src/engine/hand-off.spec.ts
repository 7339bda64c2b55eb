import { TaskRef } from '../plans/task-job';
import { bullJobKey, jobIds, keys, ShardTag } from '../redis/keys';
import { strict } from '../testing/strict-fake';
import { HandOff } from './hand-off';

const tag = '{t-0}' as ShardTag;
const b: TaskRef = { id: 'b', queue: 'web_research', sole: true };
const c: TaskRef = { id: 'c', queue: 'code_review', sole: true };
const job = { queue: 'web_research', hasChildren: false, keepSeconds: 60 };

/**
 * A recording fake of the command connection's users: each records when its command would be
 * on the connection. The write-back is on it once `sent` resolves (the tick's batch went out).
 */
function recording() {
  const wire: string[] = [];
  let putOnWire!: () => void;
  const writes = strict('writes', {
    finishAhead: (_tag: ShardTag, _s: string, taskId: string) => ({
      sent: new Promise<void>((resolve) => (putOnWire = () => (wire.push(`write-back ${taskId}`), resolve()))),
      ready: Promise.resolve([b, c]),
    }),
    finishTask: async (_tag: ShardTag, _s: string, taskId: string) => (wire.push(`write-back ${taskId}`), [b]),
  });
  const queues = strict('queues', {
    promoteNow: async (_tag: ShardTag, _queue: string, jobId: string) => void wire.push(`promote ${jobId}`),
    promote: async (_tag: ShardTag, _queue: string, jobId: string) => void wire.push(`promote ${jobId}`),
  });
  return { handOff: new HandOff(writes as never, queues as never), wire, send: () => putOnWire() };
}

describe('HandOff', () => {
  it("sends a completed task's write-back, then its dependants' promotion, and only then lets the job complete", async () => {
    const { handOff, wire, send } = recording();
    const write = { sessionId: 's-1', taskId: 'a', output: 1, waiters: [b, c], promote: [b, c], job, at: '2026-12-06T15:00:00.000Z' };
    const completing = handOff.complete(tag, write).then(() => wire.push('BullMQ completes the job'));
    // Nothing is promoted before the write-back is on the connection.
    await new Promise((resolve) => setImmediate(resolve));
    expect(wire).toEqual([]);
    send();
    await completing;
    expect(wire).toEqual(['write-back a', `promote ${jobIds.task('s-1', 'b')}`, `promote ${jobIds.task('s-1', 'c')}`, 'BullMQ completes the job']);
  });

  it("sends a finish's promotions behind its write-back, before its answer", () => {
    const { handOff, wire } = recording();
    handOff.finish(tag, { sessionId: 's-1', taskId: 'a', outcome: { status: 'skipped' }, waiters: [b], promote: [b], job });
    expect(wire).toEqual(['write-back a', `promote ${jobIds.task('s-1', 'b')}`]);
  });

  it("touches keys of the session's shard only, so a Redis Cluster sends them all to one node", () => {
    const hashTag = (key: string) => /\{[^}]*\}/.exec(key)?.[0];
    expect(hashTag(keys.session(tag, 's-1'))).toBe(tag);
    expect(hashTag(bullJobKey(tag, b.queue, jobIds.task('s-1', 'b')))).toBe(tag);
  });
});
