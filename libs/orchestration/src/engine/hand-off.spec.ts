import { TaskRef } from '../plans/task-job';
import { bullJobKey, jobIds, keys, ShardTag } from '../redis/keys';
import { strict } from '../testing/strict-fake';
import { HandOff } from './hand-off';

const tag = '{t-0}' as ShardTag;
const b: TaskRef = { id: 'b', queue: 'web_research', sole: true };
const c: TaskRef = { id: 'c', queue: 'code_review', sole: true };
const job = { queue: 'web_research', hasChildren: false, keepSeconds: 60 };
const write = { sessionId: 's-1', taskId: 'a', output: 1, waiters: [b, c], promote: [b, c], job, at: '2026-12-06T15:00:00.000Z' };

/** Lets every pending callback and promise reaction run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A recording fake of the hand-off's connection: each command is recorded when it is sent, and
 * Redis answers it only when the test says so (`answer`), in the order the test chooses.
 */
function recording() {
  const wire: string[] = [];
  const pending = new Map<string, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  const sent = <T>(command: string) => {
    wire.push(command);
    return new Promise<T>((resolve, reject) => pending.set(command, { resolve, reject }));
  };
  const writes = strict('writes', {
    finishAhead: (_tag: ShardTag, _s: string, taskId: string) => sent<TaskRef[]>(`write-back ${taskId}`),
    finishTask: (_tag: ShardTag, _s: string, taskId: string) => sent<TaskRef[]>(`write-back ${taskId}`),
  });
  const queues = strict('queues', { promote: (_tag: ShardTag, _queue: string, jobId: string) => sent<void>(`promote ${jobId}`) });
  const answer = (command: string, value?: unknown) => pending.get(command)!.resolve(value as never);
  const refuse = (command: string) => pending.get(command)!.reject(new Error('refused'));
  return { handOff: new HandOff(writes as never, queues as never), wire, answer, refuse };
}

describe('HandOff', () => {
  it("sends a completed task's promotions once its write-back is answered, and lets the job complete once they are", async () => {
    const { handOff, wire, answer } = recording();
    const completing = handOff.complete(tag, write).then(() => wire.push('BullMQ completes the job'));
    await settle();
    expect(wire).toEqual(['write-back a']);
    answer('write-back a', [b, c]);
    await settle();
    const promotions = [`promote ${jobIds.task('s-1', 'b')}`, `promote ${jobIds.task('s-1', 'c')}`];
    expect(wire).toEqual(['write-back a', ...promotions]);
    answer(promotions[1]);
    await settle();
    // The job completes only once every promotion is answered.
    expect(wire).toHaveLength(3);
    answer(promotions[0]);
    await completing;
    expect(wire).toEqual(['write-back a', ...promotions, 'BullMQ completes the job']);
  });

  it('promotes nothing when the write-back is refused, and hands the refusal to the caller', async () => {
    const { handOff, wire, refuse } = recording();
    const completing = handOff.complete(tag, write);
    await settle();
    refuse('write-back a');
    const { ready, promotions } = await completing;
    await expect(ready).rejects.toThrow('refused');
    expect(promotions).toEqual([]);
    expect(wire).toEqual(['write-back a']);
  });

  it("sends a finish's promotions once its write-back is answered, and answers once they are", async () => {
    const { handOff, wire, answer } = recording();
    const finishing = handOff.finish(tag, { sessionId: 's-1', taskId: 'a', outcome: { status: 'skipped' }, waiters: [b], promote: [b], job });
    await settle();
    expect(wire).toEqual(['write-back a']);
    answer('write-back a', [b]);
    await settle();
    expect(wire).toEqual(['write-back a', `promote ${jobIds.task('s-1', 'b')}`]);
    answer(`promote ${jobIds.task('s-1', 'b')}`);
    await expect(finishing).resolves.toEqual([b]);
  });

  it('sends on a connection of its own, which nothing else is given', () => {
    const names: string[] = [];
    const own = strict('own connection', {});
    // The shared connection (redis.client) is not arranged: touching it fails the test.
    const redis = strict('redis', { duplicate: (name: string) => (names.push(name), own) });
    expect(HandOff.connect(redis as never, { maxSessionBytes: 1000 })).toBeInstanceOf(HandOff);
    expect(names).toEqual(['hand-off']);
  });

  it("touches keys of the session's shard only, so a Redis Cluster sends them all to one node", () => {
    const hashTag = (key: string) => /\{[^}]*\}/.exec(key)?.[0];
    expect(hashTag(keys.session(tag, 's-1'))).toBe(tag);
    expect(hashTag(bullJobKey(tag, b.queue, jobIds.task('s-1', 'b')))).toBe(tag);
  });
});
