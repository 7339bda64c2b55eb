import { scriptClient } from '../../testing/script-client';
import { decodeFinishTasks, FinishTaskCall, finishTask, sendFinishTasks } from './finish-task';

const call: FinishTaskCall = {
  session: '{p-0}:session:s-1',
  taskId: 'a',
  outcome: { status: 'completed', output: '{"n":1}' },
  at: '2026-12-06T15:00:00.000Z',
  job: { key: '{p-0}:web_research:t:s-1:a', keepSeconds: 60, hasChildren: true },
  log: { bound: 1000, json: '{"message":"done"}' },
  maxOutputBytes: 4096,
  waiters: ['b', 'c', 'd'],
};

describe('finishTask', () => {
  it("sends finish-task.lua's arguments in its header's order", async () => {
    const { client, calls } = scriptClient(() => []);
    await finishTask(client, call);
    expect(calls).toEqual([
      {
        command: 'evalsha',
        keys: ['{p-0}:session:s-1'],
        args: [
          'a',
          '{"n":1}',
          '2026-12-06T15:00:00.000Z',
          'completed',
          '{p-0}:web_research:t:s-1:a',
          '60',
          '1',
          '1000',
          '{"message":"done"}',
          '4096',
          'b',
          'c',
          'd',
        ],
      },
    ]);
  });

  it('sends no output, job or log entry when there is none', async () => {
    const { client, calls } = scriptClient(() => []);
    await finishTask(client, { ...call, outcome: { status: 'failed' }, job: undefined, log: undefined, waiters: [] });
    expect(calls[0].args).toEqual(['a', '', '2026-12-06T15:00:00.000Z', 'failed', '', '0', '0', '0', '', '4096']);
  });

  it('names the waiters left ready by their index in the call, and a refused output by the bytes held', async () => {
    expect(await finishTask(scriptClient(() => [1, 3]).client, call)).toEqual({ refused: false, ready: [0, 2] });
    expect(await finishTask(scriptClient(() => []).client, call)).toEqual({ refused: false, ready: [] });
    expect(await finishTask(scriptClient(() => [0, 4000]).client, call)).toEqual({ refused: true, heldBytes: 4000 });
  });
});

describe('sendFinishTasks', () => {
  it("puts each task's keys in KEYS and its counts and arguments in ARGV, by the script's SHA; its reply reads as one per task", async () => {
    const { client, calls } = scriptClient(() => [[2], [0, 10]]);
    const reply = await sendFinishTasks(client, [call, { ...call, taskId: 'e', waiters: ['f'] }]);
    expect(calls.map((c) => c.command)).toEqual(['evalsha']);
    expect(calls[0].keys).toEqual(['{p-0}:session:s-1', '{p-0}:session:s-1']);
    expect(calls[0].args.slice(0, 3)).toEqual(['1', '13', 'a']);
    expect(calls[0].args.slice(15, 18)).toEqual(['1', '11', 'e']);
    expect(decodeFinishTasks(reply)).toEqual([
      { refused: false, ready: [1] },
      { refused: true, heldBytes: 10 },
    ]);
  });
});
