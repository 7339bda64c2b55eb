import type { Plan, TaskSpec } from '@switchyard/orchestration';

interface Intent {
  readonly key: 'code' | 'data' | 'document' | 'slides';
  readonly words: RegExp;
}

const INTENTS: readonly Intent[] = [
  {
    key: 'code',
    words: /\b(implement\w*|build\w*|cod(e|ing)|program\w*|scripts?|functions?|apis?|endpoints?|services?|apps?|library|bugs?|fix\w*|refactor\w*|cli)\b/i,
  },
  { key: 'data', words: /\b(analy[sz]\w*|data(set)?s?|statistic\w*|metrics?|csv|trends?|benchmark\w*|measur\w*)\b/i },
  { key: 'document', words: /\b(reports?|documents?|writ(e|ing)|summar\w*|articles?|guides?|docs?|brief\w*|emails?|posts?|explain\w*)\b/i },
  { key: 'slides', words: /\b(presentations?|slides?|decks?|pitch\w*)\b/i },
];

/** "compare A with B", "A versus B": two subjects researched side by side. */
const COMPARISON = /\bcompar\w*\s+(.+?)\s+(?:with|and|to|against|vs\.?|versus)\s+(.+?)(?:[.;]|$)/i;

/**
 * The offline planner's decomposition: a deterministic plan for any goal, shaped by what the
 * goal asks for. Research always comes first (fanned out when the goal compares two subjects);
 * code, analysis, writing and slides follow from it as the goal mentions them; a review of every
 * final product closes the plan. Every plan has at least three steps with dependencies.
 */
export function draftPlan(goal: string): Plan {
  const draft = new Draft(goal.trim());
  const research = researchSteps(draft);
  const products = productSteps(draft, research);
  draft.add({
    id: 'review',
    title: 'Review the result',
    capabilities: ['code_review'],
    dependsOn: products,
    input: draft.instruction('Check the result against the goal'),
  });
  return { tasks: draft.tasks };
}

/** A plan being drafted for a goal: its tasks so far, and what the goal asks for. */
class Draft {
  readonly tasks: TaskSpec[] = [];
  readonly wants: ReadonlySet<Intent['key']>;

  constructor(readonly goal: string) {
    this.wants = new Set(INTENTS.filter((i) => i.words.test(goal)).map((i) => i.key));
  }

  /** Adds a task; answers its id. */
  add(task: TaskSpec): string {
    this.tasks.push(task);
    return task.id;
  }

  /** A task's input: the goal, and what the task is to do with it. */
  instruction(what: string): { goal: string; instruction: string } {
    return { goal: this.goal, instruction: what };
  }
}

/** The research: one task, or one per subject of a comparison and a task that sets them side by side. Answers the tasks to build on. */
function researchSteps(draft: Draft): string[] {
  const comparison = COMPARISON.exec(draft.goal);
  if (!comparison) {
    const input = { ...draft.instruction('Find what is known'), topic: draft.goal };
    return [draft.add({ id: 'research', title: 'Research the goal', capabilities: ['web_research'], input })];
  }
  const subjects = [comparison[1], comparison[2]].map((s) => s.trim());
  const research = subjects.map((subject, i) =>
    draft.add({
      id: `research-${i + 1}`,
      title: `Research ${subject}`,
      capabilities: ['web_research'],
      input: { ...draft.instruction(`Research ${subject}`), topic: subject },
    }),
  );
  return [
    draft.add({
      id: 'compare',
      title: 'Compare the findings',
      capabilities: ['data_synthesis'],
      dependsOn: research,
      input: draft.instruction('Set the findings side by side'),
    }),
  ];
}

/** What the goal asks to produce from the research: tested code, an analysis, a document or slides. Answers the final products. */
function productSteps(draft: Draft, research: string[]): string[] {
  const { wants } = draft;
  const products: string[] = [];
  if (wants.has('code')) {
    const implement = draft.add({
      id: 'implement',
      title: 'Write the code',
      capabilities: ['code_generation'],
      dependsOn: research,
      input: draft.instruction('Implement what the goal asks for'),
    });
    products.push(
      draft.add({
        id: 'test',
        title: 'Test the code',
        capabilities: ['testing'],
        dependsOn: [implement],
        input: draft.instruction('Write and run tests for the implementation'),
      }),
    );
  }
  const analysis = wants.has('data')
    ? [
        draft.add({
          id: 'analyse',
          title: 'Analyse the data',
          capabilities: ['data_analysis'],
          dependsOn: research,
          input: draft.instruction('Compute what the goal asks to measure'),
        }),
      ]
    : [];
  if (!(wants.has('document') || wants.has('slides') || products.length === 0)) return [...products, ...analysis];
  const document = draft.add({
    id: 'draft',
    title: 'Write it up',
    capabilities: ['document_creation'],
    dependsOn: [...research, ...analysis, ...(wants.has('code') ? ['implement'] : [])],
    input: draft.instruction('Write the document the goal asks for'),
  });
  if (!wants.has('slides')) return [...products, document];
  const slides = draft.add({
    id: 'slides',
    title: 'Prepare the slides',
    capabilities: ['presentation'],
    dependsOn: [document],
    input: draft.instruction('Turn the document into slides'),
  });
  return [...products, slides];
}
