// A worker app for tests of streamed output: the built-in agents and `streamer`, which takes the
// capability `stream_text`. Its input `{ count, pauseMs? }` makes it emit `count` deltas,
// `piece-0`, `piece-1`, …, pausing `pauseMs` after every tenth (so that a subscriber sees them
// arrive over time); its output is `{ pieces: count }`, whatever it streamed. Run it with
// test/support/swc-register.js (see streamingWorkerEnv).
import { BUILTIN_AGENTS, defineAgent, startWorker } from '@switchyard/agents';

const streamer = defineAgent({ type: 'streamer', capabilities: ['stream_text'], concurrency: 8 }, async (task, context) => {
  const { count, pauseMs = 0 } = task.input as { count: number; pauseMs?: number };
  for (let i = 0; i < count; i++) {
    context.emit(`piece-${i}`);
    if (pauseMs > 0 && i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return { pieces: count };
});

startWorker({ agents: BUILTIN_AGENTS, functions: [streamer] });
