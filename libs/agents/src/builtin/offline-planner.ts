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
  const text = goal.trim();
  const wants = new Set(INTENTS.filter((i) => i.words.test(text)).map((i) => i.key));
  const tasks: TaskSpec[] = [];
  const add = (task: TaskSpec) => {
    tasks.push(task);
    return task.id;
  };
  const instruction = (what: string) => ({ goal: text, instruction: what });

  let research: string[];
  const comparison = COMPARISON.exec(text);
  if (comparison) {
    const subjects = [comparison[1], comparison[2]].map((s) => s.trim());
    research = subjects.map((subject, i) =>
      add({
        id: `research-${i + 1}`,
        title: `Research ${subject}`,
        capabilities: ['web_research'],
        input: { ...instruction(`Research ${subject}`), topic: subject },
      }),
    );
    research = [
      add({
        id: 'compare',
        title: 'Compare the findings',
        capabilities: ['data_synthesis'],
        dependsOn: research,
        input: instruction('Set the findings side by side'),
      }),
    ];
  } else {
    research = [
      add({ id: 'research', title: 'Research the goal', capabilities: ['web_research'], input: { ...instruction('Find what is known'), topic: text } }),
    ];
  }

  const products: string[] = [];
  if (wants.has('code')) {
    const implement = add({
      id: 'implement',
      title: 'Write the code',
      capabilities: ['code_generation'],
      dependsOn: research,
      input: instruction('Implement what the goal asks for'),
    });
    products.push(
      add({
        id: 'test',
        title: 'Test the code',
        capabilities: ['testing'],
        dependsOn: [implement],
        input: instruction('Write and run tests for the implementation'),
      }),
    );
  }
  const analysis = wants.has('data')
    ? [
        add({
          id: 'analyse',
          title: 'Analyse the data',
          capabilities: ['data_analysis'],
          dependsOn: research,
          input: instruction('Compute what the goal asks to measure'),
        }),
      ]
    : [];
  if (wants.has('document') || wants.has('slides') || products.length === 0) {
    const draft = add({
      id: 'draft',
      title: 'Write it up',
      capabilities: ['document_creation'],
      dependsOn: [...research, ...analysis, ...(wants.has('code') ? ['implement'] : [])],
      input: instruction('Write the document the goal asks for'),
    });
    products.push(
      wants.has('slides')
        ? add({
            id: 'slides',
            title: 'Prepare the slides',
            capabilities: ['presentation'],
            dependsOn: [draft],
            input: instruction('Turn the document into slides'),
          })
        : draft,
    );
  } else {
    products.push(...analysis);
  }
  add({
    id: 'review',
    title: 'Review the result',
    capabilities: ['code_review'],
    dependsOn: products,
    input: instruction('Check the result against the goal'),
  });
  return { tasks };
}
