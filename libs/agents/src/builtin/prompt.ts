import type { TaskContext, TaskRun } from '@switchyard/orchestration';
import { estimateTokens } from '../models/model-provider';

/** What a built-in agent's prompt is made of, and what was trimmed to fit its token budget. */
export interface Prompt {
  readonly text: string;
  readonly estimatedTokens: number;
  /** The parts cut to fit (dependency ids, `context`), with their tokens before and after; empty when nothing was. */
  readonly trimmed: readonly { readonly part: string; readonly fromTokens: number; readonly toTokens: number }[];
}

/** Fields of a built-in agent's output that say nothing about its work (its text is shown first). */
const BOOKKEEPING = new Set(['capability', 'text', 'model', 'basedOn']);

/** A dependency's full result as the prompt shows it: its text, then its other fields as JSON. */
function renderResult(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result && typeof result === 'object' && !Array.isArray(result) && typeof (result as { text?: unknown }).text === 'string') {
    const record = result as Record<string, unknown>;
    const rest = Object.fromEntries(Object.entries(record).filter(([k]) => !BOOKKEEPING.has(k)));
    return Object.keys(rest).length > 0 ? `${record.text as string}\n${JSON.stringify(rest)}` : (record.text as string);
  }
  return JSON.stringify(result) ?? 'null';
}

/** `text` cut to about `tokens` tokens (see estimateTokens), its end marked. */
function cutToTokens(text: string, tokens: number): string {
  const chars = Math.max(0, tokens * 4 - 20);
  return text.length <= chars ? text : `${text.slice(0, chars)} ...[trimmed]`;
}

/**
 * Builds a built-in agent's prompt: the task's instruction, the goal and topic, the session's
 * shared context and the full results of its dependencies. When the estimate exceeds `maxTokens`,
 * the context and the results are trimmed (never the instruction): each gets an equal share of
 * what is left, a part smaller than its share keeps all of it and leaves the rest to the others.
 */
export function buildPrompt(task: TaskRun, shared: TaskContext['shared'], maxTokens: number): Prompt {
  const input = (task.input ?? {}) as Record<string, unknown>;
  const head = [
    `Task ${task.taskId}: ${task.title ?? String(input.instruction ?? task.capabilities.join(', '))}.`,
    task.goal ? `Goal: ${task.goal}` : undefined,
    input.topic ? `Topic: ${String(input.topic)}` : undefined,
    input.instruction && task.title ? `Instruction: ${String(input.instruction)}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');
  const parts = [
    ...(Object.keys(shared).length > 0 ? [{ part: 'context', label: 'Context', body: JSON.stringify(shared) }] : []),
    ...Object.entries(task.dependencies).map(([id, result]) => ({ part: id, label: `From ${id}`, body: renderResult(result) })),
  ];
  const render = (bodies: string[]) => [head, ...parts.map((p, i) => `${p.label}: ${bodies[i]}`)].join('\n');
  const full = render(parts.map((p) => p.body));
  const fullTokens = estimateTokens(full);
  if (fullTokens <= maxTokens) return { text: full, estimatedTokens: fullTokens, trimmed: [] };

  // Water-filling: the smallest parts keep all they have, the larger share what remains equally.
  let left = Math.max(0, maxTokens - estimateTokens(head) - parts.reduce((n, p) => n + estimateTokens(`${p.label}: \n`), 0));
  const sizes = parts.map((p) => estimateTokens(p.body));
  const budget = new Array<number>(parts.length).fill(0);
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[a] - sizes[b]);
  order.forEach((index, k) => {
    const share = Math.floor(left / (order.length - k));
    budget[index] = Math.min(sizes[index], share);
    left -= budget[index];
  });
  const bodies = parts.map((p, i) => (sizes[i] <= budget[i] ? p.body : cutToTokens(p.body, budget[i])));
  const text = render(bodies);
  const trimmed = parts.flatMap((p, i) => (sizes[i] <= budget[i] ? [] : [{ part: p.part, fromTokens: sizes[i], toTokens: estimateTokens(bodies[i]) }]));
  return { text, estimatedTokens: estimateTokens(text), trimmed };
}
