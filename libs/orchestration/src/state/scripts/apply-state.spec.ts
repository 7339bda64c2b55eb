import { scriptClient } from '../../testing/script-client';
import { ApplyEntry, ApplyStateCall } from './apply-state';

const session = { session: '{p-0}:session:s-1', sequence: '{p-0}:session:s-1:state:seq', index: '{p-0}:session:s-1:state:index' };
const shared = (field: string): ApplyEntry => ({ dataKey: '{p-0}:session:s-1:state:shared', dataField: field, indexed: false });
const temp: ApplyEntry = { dataKey: '{p-0}:session:s-1:state:temp:t', dataField: 'v', indexed: true };

describe('ApplyStateCall', () => {
  it("lays transactions out as apply-state.lua's header says, each key once in KEYS", async () => {
    const { client, calls } = scriptClient(() => [
      ['ok', 7, '3'],
      ['conflict', 1, 5],
    ]);
    const call = new ApplyStateCall(session, 1000);
    call.add({
      ops: [{ kind: 'incr', entry: shared('n'), payload: '1', ttlMs: 0 }],
      checks: [],
      fences: [{ lockKey: '{p-0}:lock:n', token: 'tok' }],
      free: [],
    });
    call.add({
      ops: [{ kind: 'set', entry: temp, payload: '"x"', ttlMs: 500 }],
      checks: [{ entry: shared('n'), version: 4 }],
      fences: [],
      free: ['{p-0}:lock:n'],
    });
    expect(call.transactions).toBe(2);
    const replies = await call.run(client);
    expect(calls[0].keys).toEqual([...Object.values(session), '{p-0}:lock:n', '{p-0}:session:s-1:state:shared', '{p-0}:session:s-1:state:temp:t']);
    // ARGV: the limit, T, then per transaction its count of arguments and its arguments.
    expect(calls[0].args).toEqual([
      '1000',
      '2',
      '11',
      '1',
      '4',
      'tok',
      '0',
      '0',
      'incr',
      '5',
      'n',
      '1',
      '0',
      '0',
      '13',
      '0',
      '1',
      '4',
      '1',
      '5',
      'n',
      '4',
      'set',
      '6',
      'v',
      '"x"',
      '500',
      '1',
    ]);
    expect(replies).toEqual([
      { outcome: 'ok', version: 7, results: [3] },
      { outcome: 'conflict', check: 1, actual: 5 },
    ]);
  });

  it('names the fields of every refusal', async () => {
    const replies = [
      ['session_gone'],
      ['lock_expired', 2],
      ['locked', 1],
      ['too_large', 3, 2048],
      ['not_number', 1],
      ['not_array', 2],
      ['failed', 'WRONGTYPE'],
    ];
    const { client } = scriptClient(() => replies);
    const call = new ApplyStateCall(session, 1000);
    for (let i = 0; i < replies.length; i++) call.add({ ops: [], checks: [], fences: [], free: [] });
    expect(await call.run(client)).toEqual([
      { outcome: 'session_gone' },
      { outcome: 'lock_expired', fence: 2 },
      { outcome: 'locked', free: 1 },
      { outcome: 'too_large', op: 3, bytes: 2048 },
      { outcome: 'not_number', op: 1 },
      { outcome: 'not_array', op: 2 },
      { outcome: 'failed', error: 'WRONGTYPE' },
    ]);
  });
});
