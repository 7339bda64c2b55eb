// A process calling a model server through the shared rate limiter, as a worker's provider does:
// for each of its calls, acquire() and then the HTTP request; on a 429, backOff() by its
// Retry-After and the same call again. Its own Redis connection; prints one JSON line of what it
// saw. Args: url prefix model calls pauseMs limitsJson windowMs
import { Redis } from 'ioredis';
import { RedisModelRateLimiter } from '@switchyard/orchestration';

async function main(): Promise<void> {
  const [url, prefix, model, calls, pauseMs, limits, windowMs] = process.argv.slice(2);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const limiter = new RedisModelRateLimiter(redis, { prefix, limits: JSON.parse(limits), windowMs: Number(windowMs), maxPollMs: 50 });
  let limited = 0;
  // The first request of a process is slow to leave it (connection set-up): not one to count.
  await (await fetch(`${url}?warm-up`, { method: 'POST' })).text();
  await redis.ping();
  try {
    for (let i = 0; i < Number(calls); i++) {
      for (;;) {
        await limiter.acquire(model, 100);
        const answer = await fetch(url, { method: 'POST', headers: { 'x-caller': String(process.pid) }, signal: AbortSignal.timeout(10_000) });
        await answer.text();
        if (answer.status !== 429) break;
        limited++;
        await limiter.backOff(model, Number(answer.headers.get('retry-after')) * 1000);
      }
      if (Number(pauseMs) > 0) await new Promise((resolve) => setTimeout(resolve, Number(pauseMs)));
    }
  } finally {
    await redis.quit();
  }
  process.stdout.write(`${JSON.stringify({ pid: process.pid, limited })}\n`);
}

void main();
