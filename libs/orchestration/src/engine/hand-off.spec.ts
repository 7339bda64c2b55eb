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
 * A recording fake of the hand-off's connection: each command (a transaction counts as one, named
 * by what it holds) is recorded when it is sent, and Redis answers it only when the test says so
 * (`answer`), in the order the test chooses.
 */
function recording() {
  const wire: string[] = [];
  const pending = new Map<string, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  const sent = <T>(command: string) => {
    wire.push(command);
    return new Promise<T>((resolve, reject) => pending.set(command, { resolve, reject }));
  };
  const writes = strict('writes', {
    completedWrite: (_tag: ShardTag, _s: string, taskId: string) => ({
      call: { taskId },
      ready: (reply: { refused: boolean; ready: number[] }) => {
        if (reply.refused) throw new Error('refused');
        return reply.ready.map((i) => [b, c][i]);
      },
    }),
    finishAndPromote: (calls: { taskId: string }[], promotions: { jobs: string[] }) =>
      sent(`MULTI ${[...calls.map((call) => `write-back ${call.taskId}`), ...promotions.jobs.map((id) => `promote ${id}`)].join(', ')}`),
    finishTask: (_tag: ShardTag, _s: string, taskId: string) => sent<TaskRef[]>(`write-back ${taskId}`),
  });
  const queues = strict('queues', {
    promotions: async (_tag: ShardTag, jobs: { jobId: string }[]) => ({ jobs: jobs.map((job) => job.jobId) }),
    promote: (_tag: ShardTag, _queue: string, jobId: string) => sent<void>(`promote ${jobId}`),
  });
  const answer = (command: string, value?: unknown) => pending.get(command)!.resolve(value as never);
  const refuse = (command: string) => pending.get(command)!.reject(new Error('refused'));
  return { handOff: new HandOff(writes as never, queues as never), wire, answer, refuse };
}

const jobB = jobIds.task('s-1', 'b');
const jobC = jobIds.task('s-1', 'c');

describe('HandOff', () => {
  it("sends a completed task's write-back and promotions as one transaction, and lets the job complete once it is answered", async () => {
    const { handOff, wire, answer } = recording();
    const completing = handOff.complete(tag, write).then(({ ready }) => ready.then((woken) => wire.push(`BullMQ completes the job (${woken.length} ready)`)));
    await settle();
    const multi = `MULTI write-back a, promote ${jobB}, promote ${jobC}`;
    expect(wire).toEqual([multi]);
    answer(multi, { finishes: [{ refused: false, ready: [0, 1] }], promoted: [true, true] });
    await completing;
    expect(wire).toEqual([multi, 'BullMQ completes the job (2 ready)']);
  });

  it('sends the tasks of one shard completing in one tick in one transaction', async () => {
    const { handOff, wire, answer } = recording();
    const other = { ...write, taskId: 'x', promote: [] };
    const both = Promise.all([handOff.complete(tag, write), handOff.complete(tag, other)]);
    await settle();
    const multi = `MULTI write-back a, write-back x, promote ${jobB}, promote ${jobC}`;
    expect(wire).toEqual([multi]);
    answer(multi, {
      finishes: [
        { refused: false, ready: [0] },
        { refused: false, ready: [] },
      ],
      promoted: [true, true],
    });
    const [first, second] = await both;
    await expect(first.ready).resolves.toEqual([b]);
    await expect(second.ready).resolves.toEqual([]);
  });

  it('promotes on its own, before the job completes, a dependant the transaction found not held yet', async () => {
    const { handOff, wire, answer } = recording();
    const completing = handOff.complete(tag, write).then(() => wire.push('BullMQ completes the job'));
    await settle();
    const multi = `MULTI write-back a, promote ${jobB}, promote ${jobC}`;
    answer(multi, { finishes: [{ refused: false, ready: [0, 1] }], promoted: [true, false] });
    await settle();
    expect(wire).toEqual([multi, `promote ${jobC}`]);
    answer(`promote ${jobC}`);
    await completing;
    expect(wire).toEqual([multi, `promote ${jobC}`, 'BullMQ completes the job']);
  });

  it('hands a refused write-back to the caller (its promotions went with it: a dependant that finds the task pending holds itself again)', async () => {
    const { handOff, wire, answer } = recording();
    const completing = handOff.complete(tag, write);
    await settle();
    const multi = `MULTI write-back a, promote ${jobB}, promote ${jobC}`;
    answer(multi, { finishes: [{ refused: true, heldBytes: 10 }], promoted: [true, true] });
    const { ready, promotions } = await completing;
    await expect(ready).rejects.toThrow('refused');
    expect(promotions).toHaveLength(2);
    expect(wire).toEqual([multi]);
  });

  it('promotes nothing more when the transaction fails whole, and hands the failure to the caller', async () => {
    const { handOff, wire, refuse } = recording();
    const completing = handOff.complete(tag, write);
    await settle();
    refuse(`MULTI write-back a, promote ${jobB}, promote ${jobC}`);
    const { ready, promotions } = await completing;
    await expect(ready).rejects.toThrow('refused');
    expect(promotions).toEqual([]);
    expect(wire).toHaveLength(1);
  });

  it("sends a finish's promotions once its write-back is answered, and answers once they are", async () => {
    const { handOff, wire, answer } = recording();
    const finishing = handOff.finish(tag, { sessionId: 's-1', taskId: 'a', outcome: { status: 'skipped' }, waiters: [b], promote: [b], job });
    await settle();
    expect(wire).toEqual(['write-back a']);
    answer('write-back a', [b]);
    await settle();
    expect(wire).toEqual(['write-back a', `promote ${jobB}`]);
    answer(`promote ${jobB}`);
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
