import { ShardTag } from '../redis/keys';
import { StepResultError, StepStore } from './step-store';

const owner = { tag: '{t-0}' as ShardTag, sessionId: 's1', taskId: 'task' };
const key = '{t-0}:_sy:session:s1:steps';

/** The store over a hash in memory: only HGET and HSET of the steps key answer. */
function store() {
  const hash = new Map<string, string>();
  const client = {
    hget: async (k: string, field: string) => {
      expect(k).toBe(key);
      return hash.get(field) ?? null;
    },
    hset: async (k: string, field: string, value: string) => {
      expect(k).toBe(key);
      hash.set(field, value);
      return 1;
    },
  };
  return { steps: new StepStore({ client } as never), hash };
}

describe('StepStore', () => {
  it('runs a step once per task: a finished step is returned from Redis without running again', async () => {
    const { steps, hash } = store();
    let runs = 0;
    const fn = async () => ({ answer: ++runs });
    expect(await steps.run(owner, 'model:0', fn)).toEqual({ answer: 1 });
    expect(await steps.run(owner, 'model:0', fn)).toEqual({ answer: 1 });
    expect(runs).toBe(1);
    expect(hash.get('task model:0')).toBe('{"v":{"answer":1}}');
    // Another task's step of the same name is its own.
    expect(await steps.run({ ...owner, taskId: 'other' }, 'model:0', fn)).toEqual({ answer: 2 });
  });

  it('keeps nothing of a step that failed, so the retry runs it again', async () => {
    const { steps, hash } = store();
    await expect(steps.run(owner, 'parse', async () => Promise.reject(new Error('bad answer')))).rejects.toThrow('bad answer');
    expect(hash.size).toBe(0);
    expect(await steps.run(owner, 'parse', async () => 'ok')).toBe('ok');
  });

  it('keeps undefined and null results, and refuses what JSON cannot carry', async () => {
    const { steps } = store();
    await steps.run(owner, 'nothing', async () => undefined);
    expect(await steps.run(owner, 'nothing', async () => 'ran again')).toBeUndefined();
    await expect(steps.run(owner, 'big', async () => 1n)).rejects.toBeInstanceOf(StepResultError);
  });
});
