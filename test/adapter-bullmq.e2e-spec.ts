import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Job, Queue, Worker } from 'bullmq';
import { expireQueueKeys, FlowEntry, FlowTransaction, QUEUE_KEY_SUFFIXES, readQueueBacklog } from '@switchyard/orchestration/adapters/bullmq';
import { loadDefinedScripts, repliesOrThrow, transaction } from '@switchyard/orchestration/adapters/ioredis';
import { OwnRedis } from './support/redis-server';
import { until } from './support/until';

/** The version the adapter is written for; package.json pins it exactly. */
const BULLMQ = '6.7.0';

/**
 * The contract of the BullMQ adapter (libs/orchestration/src/adapters/bullmq) with the BullMQ it
 * is pinned to, on a redis-server of its own (one test flushes its scripts): what it calls below
 * BullMQ's public API still exists, with the same shape, and does what the adapter relies on.
 */
describe('the BullMQ adapter', () => {
  let server: OwnRedis;
  let client: Redis;
  let queues: Queue[];
  const prefix = `{t${randomBytes(4).toString('hex')}}`;

  const queue = (name: string) => {
    const made = new Queue(name, { connection: client, prefix });
    made.on('error', () => undefined);
    queues.push(made);
    return made;
  };

  /** BullMQ's flow entry for a job of `on`, as Job.toFlowEntry makes it. */
  const entry = (on: Queue, id: string, options: { parent?: { id: string; queue: string }; children?: boolean; delay?: number } = {}): FlowEntry => {
    const job = new Job(on, id, { id }, { jobId: id, parent: options.parent, delay: options.delay }, id);
    const parentKey = options.parent ? `${options.parent.queue}:${options.parent.id}` : undefined;
    return job.toFlowEntry({
      ...(parentKey ? { parentKey, parentDependenciesKey: `${parentKey}:dependencies` } : {}),
      ...(options.children ? { addToWaitingChildren: true } : {}),
    });
  };

  beforeAll(async () => {
    server = await OwnRedis.start();
  });
  beforeEach(() => {
    client = new Redis(server.url, { maxRetriesPerRequest: null });
    queues = [];
  });
  afterEach(async () => {
    await Promise.all(queues.map((q) => q.close()));
    await client.flushall();
    await client.quit();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('is the pinned BullMQ', () => {
    const installed = JSON.parse(readFileSync(join(require.resolve('bullmq'), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(BULLMQ);
    const pinned = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pinned.dependencies.bullmq).toBe(BULLMQ);
  });

  it("finds BullMQ's insert and script runner on the queue backend, with the arguments it passes", async () => {
    const work = queue('work');
    await work.waitUntilReady();
    expect(typeof work.backend.addJobToTransaction).toBe('function');
    expect(typeof work.backend.execCommand).toBe('function');
    // (transaction, jobData, jobId, parentKeyOpts, keys); the last two are optional, so length counts three.
    expect(work.backend.addJobToTransaction.length).toBeGreaterThanOrEqual(3);
    expect(work.backend.execCommand.length).toBe(3);
  });

  it('records only runCommand calls, named `<script>:<version>`, for an insert and a parent release', async () => {
    const parents = queue('parents');
    const work = queue('work');
    await Promise.all([parents.waitUntilReady(), work.waitUntilReady()]);
    const flow = new FlowTransaction();
    const recorded: string[] = [];
    const runCommand = flow.runCommand.bind(flow);
    // A recorder in the adapter's own place: every call BullMQ makes on the transaction lands here.
    const spy = new Proxy(flow, {
      get(target, name, receiver) {
        if (name === 'runCommand')
          return (command: string, args: unknown[]) => {
            recorded.push(command);
            return runCommand(command, args);
          };
        if (typeof name === 'string' && !['addJob', 'releaseParent', 'sendWith', 'size'].includes(name)) recorded.push(`unexpected:${name}`);
        return Reflect.get(target, name, receiver);
      },
    });
    spy.addJob(parents, entry(parents, 'root', { children: true }));
    spy.addJob(work, entry(work, 'leaf', { parent: { id: 'root', queue: parents.qualifiedName } }));
    spy.releaseParent(parents, { key: `${parents.qualifiedName}:root`, id: 'root', queueKey: parents.qualifiedName }, Date.now());
    expect(recorded).toEqual([`addParentJob:${BULLMQ}`, `addStandardJob:${BULLMQ}`, `releaseParentIfNoPendingDependencies:${BULLMQ}`]);
    expect(flow.size).toBe(3);
    // Each is a command ioredis knows on the connection, by that name, defined by BullMQ.
    const defined = client as unknown as Record<string, unknown>;
    for (const name of recorded) expect(typeof defined[name]).toBe('function');
    expect(Object.keys(client.scriptsSet)).toEqual(expect.arrayContaining(recorded));
  });

  it("adds a flow with the caller's own commands in one MULTI: the parent waits for its child, which waits in its list", async () => {
    const parents = queue('parents');
    const work = queue('work');
    await Promise.all([parents.waitUntilReady(), work.waitUntilReady()]);
    const flow = new FlowTransaction();
    flow.addJob(parents, entry(parents, 'root', { children: true }));
    flow.addJob(work, entry(work, 'leaf', { parent: { id: 'root', queue: parents.qualifiedName } }));
    flow.releaseParent(parents, { key: `${parents.qualifiedName}:root`, id: 'root', queueKey: parents.qualifiedName }, Date.now());
    const replies = repliesOrThrow(await transaction(client, (c) => [c.set(`${prefix}:own`, 'record'), ...flow.sendWith(c)]));
    // The caller's reply, then BullMQ's per job (its id), then the release's.
    expect(replies.slice(0, 3)).toEqual(['OK', 'root', 'leaf']);
    expect(await parents.getJobState('root')).toBe('waiting-children');
    expect(await work.getJobState('leaf')).toBe('waiting');
    expect(await client.smembers(`${parents.qualifiedName}:root:dependencies`)).toEqual([`${work.qualifiedName}:leaf`]);
  });

  it("promotes a delayed job with BullMQ's own promote script in the caller's MULTI, waking a blocked Worker; a job not delayed answers a negative code", async () => {
    const work = queue('work');
    await work.waitUntilReady();
    const held = await work.add('held', {}, { jobId: 'held', delay: 3_600_000 });
    const seen: string[] = [];
    const blocking = client.duplicate();
    const worker = new Worker('work', async (job) => void seen.push(job.id!), { connection: blocking, prefix, drainDelay: 30 });
    worker.on('error', () => undefined);
    try {
      await worker.waitUntilReady();
      // The Worker now blocks on the queue's marker, for up to its drain delay (30 s).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const flow = new FlowTransaction();
      const recorded: string[] = [];
      const runCommand = flow.runCommand.bind(flow);
      flow.runCommand = (command: string, args: unknown[]) => (recorded.push(command), runCommand(command, args));
      flow.promote(work, 'held');
      flow.promote(work, 'missing');
      expect(recorded).toEqual([`promote:${BULLMQ}`, `promote:${BULLMQ}`]);
      const replies = await transaction(client, (c) => [c.set(`${prefix}:own`, 'record'), ...flow.sendWith(c)]);
      expect(replies.map(([error]) => error)).toEqual([null, null, null]);
      expect(replies[1][1]).toBe(0);
      expect(Number(replies[2][1])).toBeLessThan(0);
      // Promoted as Job.promote does: the blocked Worker is woken by the marker and takes it at once.
      await until('the worker took the promoted job', async () => (seen.length === 1 ? true : undefined), 5_000);
      expect(seen).toEqual(['held']);
      expect(await held.getState()).toBe('completed');
    } finally {
      await worker.close();
      blocking.disconnect();
    }
  });

  it('releases a parent whose children are all done before the release (none pending): it waits in its list', async () => {
    const parents = queue('parents');
    await parents.waitUntilReady();
    const flow = new FlowTransaction();
    flow.addJob(parents, entry(parents, 'lonely', { children: true }));
    flow.releaseParent(parents, { key: `${parents.qualifiedName}:lonely`, id: 'lonely', queueKey: parents.qualifiedName }, Date.now());
    repliesOrThrow(await transaction(client, (c) => flow.sendWith(c)));
    expect(await parents.getJobState('lonely')).toBe('waiting');
  });

  it("reads BullMQ's scripts from ioredis' scriptsSet, so that a flow goes in again after SCRIPT FLUSH", async () => {
    const work = queue('work');
    await work.waitUntilReady();
    const add = async (id: string) => {
      const flow = new FlowTransaction();
      flow.addJob(work, entry(work, id));
      return transaction(client, (c) => flow.sendWith(c));
    };
    repliesOrThrow(await add('first'));
    await client.script('FLUSH');
    // Inside a MULTI ioredis does not send the source again after NOSCRIPT.
    await expect(add('second').then(repliesOrThrow)).rejects.toThrow(/NOSCRIPT/);
    await loadDefinedScripts(client);
    expect(repliesOrThrow(await add('third'))).toEqual(['third']);
    expect(await work.getJobState('third')).toBe('waiting');
  });

  it("reads a queue's backlog where BullMQ keeps it: the wait list, the prioritized set and the delayed jobs that are due", async () => {
    const work = queue('backlog');
    await work.add('plain', {}, { jobId: 'plain-1' });
    await work.add('plain', {}, { jobId: 'plain-2' });
    // Two priority levels: the first job added to each is its oldest.
    await work.add('p', {}, { jobId: 'p5-old', priority: 5 });
    await work.add('p', {}, { jobId: 'p1-old', priority: 1 });
    await work.add('p', {}, { jobId: 'p5-new', priority: 5 });
    await work.add('p', {}, { jobId: 'p1-new', priority: 1 });
    await work.add('d', {}, { jobId: 'due', delay: 1 });
    await work.add('d', {}, { jobId: 'later', delay: 3_600_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));

    const reading = await readQueueBacklog(client, work.qualifiedName);
    const counts = await work.getJobCounts('wait', 'prioritized', 'delayed');
    // BullMQ's own counts agree on what is waiting, but cannot tell the due delayed job from the later one.
    expect({ waiting: reading.waiting, prioritized: reading.prioritized }).toEqual({ waiting: counts.wait, prioritized: counts.prioritized });
    expect({ waiting: reading.waiting, prioritized: reading.prioritized, due: reading.due, delayed: counts.delayed }).toEqual({
      waiting: 2,
      prioritized: 4,
      due: 1,
      delayed: 2,
    });
    const due = await work.getJob('due');
    expect(reading.firstDueAt).toBe(due!.timestamp + 1);
    const byId = Object.fromEntries(reading.candidates.map((c) => [c.jobId, c.addedAt]));
    expect(Object.keys(byId).sort()).toEqual(['p1-old', 'p5-old', 'plain-1']);
    expect(byId['plain-1']).toBe((await work.getJob('plain-1'))!.timestamp);

    // An empty queue has no backlog and no candidates.
    expect(await readQueueBacklog(client, queue('empty').qualifiedName)).toEqual({ waiting: 0, prioritized: 0, due: 0, candidates: [] });
  });

  it('names every key a queue keeps once its jobs are removed as they complete, and gives them a time to live', async () => {
    const own = queue('own');
    const worker = new Worker('own', async () => 'done', { connection: client, prefix, concurrency: 1 });
    worker.on('error', () => undefined);
    try {
      const done = new Promise((resolve) => worker.once('completed', resolve));
      await own.add('x', {}, { removeOnComplete: true, removeOnFail: true, priority: 2 });
      await own.add('y', {}, { removeOnComplete: true, removeOnFail: true });
      await done;
      await until('both jobs to complete', async () =>
        (await own.getJobCounts('completed', 'wait', 'prioritized', 'active')).active === 0 && (await own.count()) === 0 ? true : undefined,
      );
    } finally {
      await worker.close();
    }
    const left = (await client.keys(`${own.qualifiedName}:*`)).map((key) => key.slice(own.qualifiedName.length + 1));
    // What stays is named (or is the stalled check, which expires by itself).
    expect(left.filter((suffix) => !(QUEUE_KEY_SUFFIXES as readonly string[]).includes(suffix) && suffix !== 'stalled-check')).toEqual([]);
    await expireQueueKeys(client, own.qualifiedName, 60);
    for (const suffix of left.filter((s) => s !== 'stalled-check')) {
      const ttl = await client.ttl(`${own.qualifiedName}:${suffix}`);
      expect({ suffix, expires: ttl > 0 && ttl <= 60 }).toEqual({ suffix, expires: true });
    }
    expect(await client.pttl(`${own.qualifiedName}:stalled-check`)).not.toBe(-1);
  });
});
