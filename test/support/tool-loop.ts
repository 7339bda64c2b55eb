import { join } from 'node:path';
import type { Reply } from './openai-server';

/** The worker app of tool-worker.ts (one function agent, `toolbox`, capability `tool_loop`, tool `lookup`). */
export const TOOL_WORKER = join(__dirname, 'tool-worker.js');

/** What `lookupLoop` has the model answer last. */
export const LOOKUP_ANSWER = 'a is value of a; broken has no row';

/**
 * A tool loop for the `toolbox` agent, as the scripted model's replies: first two `lookup` calls
 * (`c1` for key "a", `c2` for key "broken", whose handler throws), then the final answer.
 */
export function lookupLoop(): Reply[] {
  return [
    {
      toolCalls: [
        { id: 'c1', name: 'lookup', arguments: { key: 'a' } },
        { id: 'c2', name: 'lookup', arguments: { key: 'broken' } },
      ],
    },
    { text: LOOKUP_ANSWER },
  ];
}
