import { BUILTIN_CAPABILITY_NAMES, validatePlan } from '@switchyard/orchestration';
import { draftPlan } from './offline-planner';

const shape = (goal: string) => draftPlan(goal).tasks.map((t) => `${t.id}<${(t.dependsOn ?? []).join(',')}>:${(t.capabilities ?? []).join('+')}`);

describe('draftPlan', () => {
  it('plans research, writing and review for a report', () => {
    expect(shape('Write a report on Redis persistence')).toEqual(['research<>:web_research', 'draft<research>:document_creation', 'review<draft>:code_review']);
  });

  it('plans code and tests for an implementation goal', () => {
    expect(shape('Implement a rate limiter API in TypeScript')).toEqual([
      'research<>:web_research',
      'implement<research>:code_generation',
      'test<implement>:testing',
      'review<test>:code_review',
    ]);
  });

  it('fans research out and in when the goal compares two subjects', () => {
    expect(shape('Compare AOF with RDB snapshots and write a summary')).toEqual([
      'research-1<>:web_research',
      'research-2<>:web_research',
      'compare<research-1,research-2>:data_synthesis',
      'draft<compare>:document_creation',
      'review<draft>:code_review',
    ]);
    expect(draftPlan('Compare AOF with RDB snapshots').tasks[0].input).toMatchObject({ topic: 'AOF' });
  });

  it('adds analysis and slides when asked', () => {
    expect(shape("Analyse last week's latency metrics and prepare a presentation")).toEqual([
      'research<>:web_research',
      'analyse<research>:data_analysis',
      'draft<research,analyse>:document_creation',
      'slides<draft>:presentation',
      'review<slides>:code_review',
    ]);
  });

  it('carries the goal into every step and always yields a valid plan of three steps or more', () => {
    for (const goal of ['x', 'Fix the login bug', 'Benchmark Redis 7', 'Explain BullMQ flows', 'Compare A and B']) {
      const plan = draftPlan(goal);
      expect(plan.tasks.length).toBeGreaterThanOrEqual(3);
      expect(plan.tasks.every((t) => (t.input as { goal: string }).goal === goal)).toBe(true);
      expect(validatePlan(plan, BUILTIN_CAPABILITY_NAMES).ok).toBe(true);
    }
  });

  it('is deterministic', () => {
    expect(draftPlan('Build a CLI for backups')).toEqual(draftPlan('Build a CLI for backups'));
  });
});
