import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from './support/stack';

const ROOT = join(__dirname, '..');

/**
 * The README's custom agent, as it stands there, in a worker app of its own
 * (examples/custom-agent, built by `npm run build`) next to the built-in agents.
 */
describe("the README's custom-agent example", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0 });
    await stack.addWorker({}, 'example-worker');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is the code the README shows', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const file of ['summariser.agent.ts', 'main.ts']) {
      const code = readFileSync(join(ROOT, 'examples', 'custom-agent', 'src', file), 'utf8');
      expect(readme).toContain(`\`\`\`ts\n// src/${file}\n${code}\`\`\``);
    }
    expect(
      readFileSync(join(ROOT, 'examples', 'custom-agent', 'src', 'summariser.agent.ts'), 'utf8')
        .trimEnd()
        .split('\n').length,
    ).toBeLessThanOrEqual(20);
  });

  it('runs a session in which the custom agent takes the tasks of its custom capability', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
          { id: 'summary', capabilities: ['summarise'], dependsOn: ['research'] },
        ],
      },
    });
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    const research = session.tasks.find((t: any) => t.id === 'research');
    const summary = session.tasks.find((t: any) => t.id === 'summary');
    expect(research.agentId).toMatch(/^researcher@/);
    expect(summary.agentId).toMatch(/^summariser@/);
    expect(summary.output).toEqual({ summary: `research: ${JSON.stringify(research.output)}`, headline: expect.stringContaining('switchyard-offline-1') });
    expect(stack.workers[0].lines.some((l) => l.includes('"msg":"summarising"') && l.includes('"sources":1'))).toBe(true);
  });
});
