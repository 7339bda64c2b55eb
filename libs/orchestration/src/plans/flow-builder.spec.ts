import type { FlowJob, FlowJobNode } from 'bullmq';
import { BUILTIN_CAPABILITY_NAMES } from '../agents/capability-catalog';
import { shardTag } from '../redis/keys';
import { buildSessionFlow, HOLD_DELAY_MS, rootCheckDelayMs, taskDefaultsFor, toBullPriority } from './flow-builder';
import { validatePlan } from './plan-validator';
import { TaskJobData } from './task-job';

function graphOf(plan: unknown) {
  const result = validatePlan(plan, BUILTIN_CAPABILITY_NAMES);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.graph;
}

const tag = shardTag('sy', 0);

describe('buildSessionFlow', () => {
  const graph = graphOf({
    tasks: [
      { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
      {
        id: 'draft',
        capabilities: ['document_creation', 'data_synthesis'],
        dependsOn: ['research'],
        children: [{ id: 'outline', capabilities: ['workflow_design'] }],
      },
      { id: 'review', capabilities: ['code_review'], dependsOn: ['draft'], attempts: 5, backoffMs: 200, priority: 5 },
    ],
  });
  const [root, ...tops] = buildSessionFlow('0-s', tag, graph);
  const byName = (nodes: FlowJobNode[] | undefined, name: string) => nodes!.find((n) => n.name === name)!;

  it("keeps every job of the session, root included, for the session's retention once it finishes", () => {
    const kept = buildSessionFlow('0-s', tag, graph, taskDefaultsFor(3600));
    const all = (node: FlowJob): FlowJob[] => [node, ...(node.children ?? []).flatMap((c) => all(c as FlowJob))];
    const jobs = kept.flatMap(all);
    expect(jobs).toHaveLength(5);
    for (const job of jobs) expect(job.opts).toMatchObject({ removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
  });

  it('holds the session root, and makes each top-level task a flow of its own, in the shard prefix', () => {
    expect(root).toMatchObject({ name: 'session', queueName: 'sy.session', prefix: '{sy-0}', data: { sessionId: '0-s' } });
    expect(root.opts).toMatchObject({ jobId: '0-s', delay: rootCheckDelayMs(30_000, 0) });
    expect(root.children).toBeUndefined();
    expect(tops.map((c) => c.name)).toEqual(['research', 'draft', 'review']);
    for (const top of tops) expect(top).toMatchObject({ prefix: '{sy-0}', opts: expect.not.objectContaining({ parent: expect.anything() }) });
  });

  it('checks on the session from twice the job lock duration, then less and less often', () => {
    const [held] = buildSessionFlow('0-s', tag, graph, taskDefaultsFor(3600, 2000));
    expect(held.opts?.delay).toBe(4000);
    expect([1, 2, 3, 4, 20].map((checks) => rootCheckDelayMs(2000, checks))).toEqual([8000, 16_000, 32_000, 32_000, 32_000]);
  });

  it('nests children under their parent and routes each task to its first capability', () => {
    const draft = byName(tops, 'draft');
    expect(draft.queueName).toBe('document_creation');
    expect(draft.children!.map((c) => [c.name, c.queueName])).toEqual([['outline', 'workflow_design']]);
  });

  it("holds leaves that wait for dependencies (their ancestors' too), and not parents or free tasks", () => {
    expect(byName(tops, 'research').opts?.delay).toBeUndefined();
    expect(byName(tops, 'review').opts?.delay).toBe(HOLD_DELAY_MS);
    expect(byName(tops, 'draft').opts?.delay).toBeUndefined();
    expect(byName(byName(tops, 'draft').children, 'outline').opts?.delay).toBe(HOLD_DELAY_MS);
  });

  it('carries the task and who to tell when it completes', () => {
    const research = byName(tops, 'research').data as TaskJobData;
    expect(research).toMatchObject({
      sessionId: '0-s',
      taskId: 'research',
      input: { topic: 'AOF' },
      parentId: null,
      onFailure: 'fail',
      dependants: [
        { id: 'draft', queue: 'document_creation' },
        { id: 'outline', queue: 'workflow_design', sole: true },
      ],
    });
    const outline = byName(byName(tops, 'draft').children, 'outline').data as TaskJobData;
    // Its parent's dependency is its own: it waits for it and receives its result.
    expect(outline).toMatchObject({ parentId: 'draft', dependsOn: ['research'] });
  });

  it('marks a dependant that waits for nothing but the task as its sole dependant', () => {
    // draft also waits for its child outline; outline and review wait for research and draft alone.
    expect((byName(tops, 'research').data as TaskJobData).dependants).toEqual([
      { id: 'draft', queue: 'document_creation' },
      { id: 'outline', queue: 'workflow_design', sole: true },
    ]);
    expect((byName(tops, 'draft').data as TaskJobData).dependants).toEqual([{ id: 'review', queue: 'code_review', sole: true }]);
    const fanIn = graphOf({
      tasks: [
        { id: 'a', capabilities: ['web_research'] },
        { id: 'b', capabilities: ['web_research'] },
        { id: 'c', capabilities: ['data_synthesis'], dependsOn: ['a', 'b'] },
        { id: 'd', capabilities: ['data_synthesis'], dependsOn: ['a'] },
      ],
    });
    const a = byName(buildSessionFlow('0-f', tag, fanIn).slice(1), 'a').data as TaskJobData;
    expect(a.dependants).toEqual([
      { id: 'c', queue: 'data_synthesis' },
      { id: 'd', queue: 'data_synthesis', sole: true },
    ]);
  });

  it('maps attempts, backoff and priority to BullMQ options', () => {
    const review = byName(tops, 'review').opts!;
    expect(review).toMatchObject({ jobId: '0-s.t.review', attempts: 5, backoff: { type: 'exponential', delay: 200 }, failParentOnFailure: true });
    expect(review.priority).toBe(toBullPriority(5));
    expect(toBullPriority(1000)).toBe(1);
    expect(toBullPriority(0)).toBeGreaterThan(toBullPriority(5));
    expect(byName(tops, 'research').opts?.priority).toBe(toBullPriority(0));
  });

  it('gives every job an id that BullMQ accepts (no ":")', () => {
    const ids: string[] = [];
    const walk = (node: FlowJob | FlowJobNode) => {
      ids.push(node.opts!.jobId!);
      (node.children ?? []).forEach(walk);
    };
    for (const flow of [root, ...tops]) walk(flow);
    expect(ids.every((id) => !id.includes(':'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
