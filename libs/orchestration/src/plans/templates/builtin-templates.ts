import { z } from 'zod';
import { TaskSpec } from '../plan.schema';
import { defineTemplate, slug } from './workflow-template';

const text = (what: string, max = 500) => z.string().trim().min(1, `${what} must not be empty`).max(max);

/** Research a topic, write one section per heading (children of the draft), review the draft. */
export const researchReport = defineTemplate({
  name: 'research-report',
  description: 'Research a topic, write the report section by section, and review it.',
  params: z
    .object({
      topic: text('topic'),
      sections: z.array(text('a section', 100)).min(1).max(12).default(['Background', 'Findings', 'Recommendations']),
      audience: text('audience', 200).optional(),
    })
    .strict(),
  example: { topic: 'Redis persistence: AOF and RDB', audience: 'operators' },
  build: ({ topic, sections, audience }) => {
    const context = { topic, ...(audience ? { audience } : {}) };
    const ids = new Set<string>();
    const sectionTasks: TaskSpec[] = sections.map((section) => {
      let id = `section-${slug(section)}`;
      for (let n = 2; ids.has(id); n++) id = `section-${slug(section)}-${n}`;
      ids.add(id);
      return { id, title: `Write "${section}"`, capabilities: ['document_creation'], dependsOn: ['research'], input: { ...context, section } };
    });
    return {
      tasks: [
        { id: 'research', title: `Research ${topic}`, capabilities: ['web_research'], input: context },
        { id: 'draft', title: 'Assemble the report', capabilities: ['document_creation'], input: context, children: sectionTasks },
        { id: 'review', title: 'Review the report', capabilities: ['code_review'], dependsOn: ['draft'], input: context },
      ],
    };
  },
});

/** Design, implement, test and review one feature. */
export const implementAndReview = defineTemplate({
  name: 'implement-and-review',
  description: 'Design a feature, implement it, test it, and review the result.',
  params: z
    .object({
      feature: text('feature', 2000),
      language: z
        .string()
        .regex(/^[A-Za-z0-9+#.-]{1,32}$/, 'must be a language name')
        .default('typescript'),
      withTests: z.boolean().default(true),
    })
    .strict(),
  example: { feature: 'A token-bucket rate limiter for the public API', language: 'typescript' },
  build: ({ feature, language, withTests }) => {
    const input = { feature, language };
    const tasks: TaskSpec[] = [
      { id: 'design', title: 'Design the change', capabilities: ['workflow_design'], input },
      { id: 'implement', title: 'Implement it', capabilities: ['code_generation'], dependsOn: ['design'], input },
    ];
    if (withTests) tasks.push({ id: 'test', title: 'Test it', capabilities: ['testing'], dependsOn: ['implement'], input });
    tasks.push({
      id: 'review',
      title: 'Review the change',
      capabilities: ['code_review'],
      dependsOn: withTests ? ['implement', 'test'] : ['implement'],
      input,
    });
    return { tasks };
  },
});

/** Examine each dataset in parallel, then analyse them together, look for patterns and report. */
export const dataAnalysis = defineTemplate({
  name: 'data-analysis',
  description: 'Examine each dataset in parallel, analyse them together, find patterns and write up the answer.',
  params: z
    .object({
      question: text('question', 2000),
      datasets: z.array(text('a dataset', 500)).min(1).max(20),
    })
    .strict(),
  example: { question: 'Which queue has the worst p99 latency, and since when?', datasets: ['latency-2026-11.csv', 'deploys.json'] },
  build: ({ question, datasets }) => {
    const examine: TaskSpec[] = datasets.map((dataset, i) => ({
      id: `examine-${i + 1}`,
      title: `Examine ${dataset}`,
      capabilities: ['document_analysis'],
      input: { question, dataset },
    }));
    const examined = examine.map((t) => t.id);
    return {
      tasks: [
        ...examine,
        { id: 'analyse', title: 'Analyse the data together', capabilities: ['data_analysis'], dependsOn: examined, input: { question } },
        { id: 'patterns', title: 'Look for patterns', capabilities: ['pattern_recognition'], dependsOn: ['analyse'], input: { question } },
        { id: 'report', title: 'Write up the answer', capabilities: ['document_creation'], dependsOn: ['analyse', 'patterns'], input: { question } },
      ],
    };
  },
});

export const BUILTIN_TEMPLATES = [researchReport, implementAndReview, dataAnalysis];
