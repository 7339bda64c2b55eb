#!/usr/bin/env node
// The main job, end to end on this machine: start the API and one worker against Redis, submit
// a goal, print each task's progress as it happens, print the result, stop both.
// Usage: npm run demo [-- "your goal"]      Environment: REDIS_URL, PORT, SWITCHYARD_PREFIX.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { mkdirSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const goal = process.argv.slice(2).join(' ') || 'Implement a token-bucket rate limiter API and write a report on it';
// A closed stdout (the demo piped into head) must not stop the demo before it stops its apps.
process.stdout.on('error', () => undefined);
const say = (line) => process.stdout.write(`${line}\n`);

async function redisAnswers() {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

if (!(await redisAnswers())) {
  say(`No Redis answers at ${REDIS_URL}: install one (sudo apt-get install redis-server) or run "docker compose up -d redis", or set REDIS_URL.`);
  process.exit(1);
}

let port = Number(process.env.PORT || 3000);
if (!(await portFree(port))) {
  port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const free = server.address().port;
      server.close(() => resolve(free));
    });
  });
}

mkdirSync('.tmp', { recursive: true });
// Offline model calls take a little while by default, as real ones would, so the progress is visible.
// The API demands a key: the demo makes a throwaway admin key for its own API.
const demoKey = `sy_${randomBytes(32).toString('base64url')}`;
const env = {
  SWITCHYARD_OFFLINE_LATENCY_MS: '300',
  // The demo's worker probes on any free port: a worker already running here may hold 3001.
  SWITCHYARD_WORKER_HEALTH_PORT: '0',
  ...process.env,
  REDIS_URL,
  PORT: String(port),
  SWITCHYARD_API_KEYS: `demo:admin:demo:${createHash('sha256').update(demoKey).digest('hex')}`,
};
const auth = { authorization: `Bearer ${demoKey}` };
const children = [];
function start(app) {
  const child = spawn(process.execPath, [`dist/apps/${app}/main.js`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(`.tmp/demo-${app}.log`);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const ready = new Promise((resolve, reject) => {
    const marker = app === 'api' ? '"msg":"api listening"' : '"msg":"worker ready"';
    createInterface({ input: child.stdout }).on('line', (line) => line.includes(marker) && resolve());
    createInterface({ input: child.stderr }).on('line', (line) => line.startsWith('switchyard') && say(line));
    child.once('exit', (code) => reject(new Error(`the ${app} exited with code ${code} while starting; its log is .tmp/demo-${app}.log`)));
  });
  children.push(child);
  return ready;
}

async function stopAll() {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

let exitCode = 0;
try {
  say(`Starting the API (port ${port}) and one worker against ${REDIS_URL} ...`);
  await Promise.race([
    Promise.all([start('api'), start('worker')]),
    new Promise((_, reject) => setTimeout(() => reject(new Error('the apps did not start within 60 s; see .tmp/demo-*.log')), 60000)),
  ]);
  const base = `http://127.0.0.1:${port}/api/orchestrator`;
  const accepted = await (
    await fetch(`${base}/orchestrate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ goal }),
    })
  ).json();
  say(`Goal: ${goal}`);
  say(`Session ${accepted.sessionId} accepted (${accepted.status}); Swagger UI: http://127.0.0.1:${port}/docs`);

  // Every transition as it happens, from the session's live event stream (Server-Sent Events).
  const stream = await fetch(`${base}/sessions/${accepted.sessionId}/events`, { headers: auth, signal: AbortSignal.timeout(120000) });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of stream.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const kind = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!kind || !data) continue;
      const event = JSON.parse(data);
      if (kind === 'session') say(`  session   ${event.status}`);
      if (kind === 'task') {
        const who = event.agentId ? ` ${event.agentId} (pid ${event.worker.pid}, attempt ${event.attempt})` : '';
        say(`  task      ${event.taskId.padEnd(12)} ${event.status.padEnd(9)}${who}`);
      }
    }
  }
  const session = await (await fetch(`${base}/sessions/${accepted.sessionId}`, { headers: auth })).json();
  if (session.planning?.agentId) say(`Planned by ${session.planning.agentId} (pid ${session.planning.worker.pid}).`);
  if (session.status === 'completed') {
    say("Result (the final outputs; every task's output is in result.outputs):");
    say(JSON.stringify(session.result.final, null, 2));
    const ms = Date.parse(session.finishedAt) - Date.parse(session.createdAt);
    say(`Completed ${session.result.completedTasks} tasks in ${ms} ms.`);
  } else {
    say(`The session ended ${session.status}: ${session.error?.message ?? 'no error recorded'}`);
    exitCode = 1;
  }
} catch (error) {
  say(`demo: ${error.message}`);
  exitCode = 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
