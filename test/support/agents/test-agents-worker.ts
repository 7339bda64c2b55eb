// A worker app for tests of what agents report besides their output, with the built-in agents:
// - `streamer` (capability `stream_text`): input `{ count, pauseMs? }`; emits `count` deltas,
//   `piece-0`, `piece-1`, …, pausing `pauseMs` after every tenth (so that a subscriber sees them
//   arrive over time); output `{ pieces: count }`, whatever it streamed.
// - `spender` (capability `spend_tokens`): input `{ calls: [{ model, promptTokens, completionTokens }], holdMs? }`;
//   records each call's usage, then holds `holdMs` (or until its signal aborts it: it then
//   throws the signal's reason); output `{ calls: n }`.
// Run it with test/support/swc-register.js (see testAgentsWorkerEnv).
import { BUILTIN_AGENTS, defineAgent, startWorker } from '@switchyard/agents';

const streamer = defineAgent({ type: 'streamer', capabilities: ['stream_text'], concurrency: 8 }, async (task, context) => {
  const { count, pauseMs = 0 } = task.input as { count: number; pauseMs?: number };
  for (let i = 0; i < count; i++) {
    context.emit(`piece-${i}`);
    if (pauseMs > 0 && i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return { pieces: count };
});

interface Call {
  model: string;
  promptTokens: number;
  completionTokens: number;
}

const spender = defineAgent({ type: 'spender', capabilities: ['spend_tokens'], concurrency: 8 }, async (task, context) => {
  const { calls, holdMs = 0 } = task.input as { calls: Call[]; holdMs?: number };
  for (const call of calls) context.recordUsage({ ...call, totalTokens: call.promptTokens + call.completionTokens });
  if (holdMs > 0) {
    const { signal } = context;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, holdMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
  }
  return { calls: calls.length };
});

startWorker({ agents: BUILTIN_AGENTS, functions: [streamer, spender] });
