import { csvField, csvHeader, csvRow, ndjsonLine } from './log-export-format';

describe('CSV export', () => {
  it('quotes only what must be quoted, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('')).toBe('');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(' padded')).toBe('" padded"');
  });

  it('writes a header and one CRLF-terminated record per entry', () => {
    expect(csvHeader()).toBe('id,time,level,source,sessionId,taskId,agentId,workerHost,workerPid,message,context\r\n');
    const row = csvRow({
      id: '1-0',
      time: 't',
      level: 'warn',
      source: 'agent',
      sessionId: 's',
      taskId: 'x',
      agentId: 'a',
      worker: { host: 'h', pid: 7 },
      message: 'm, "q"',
      context: { k: 'v' },
    });
    expect(row).toBe('1-0,t,warn,agent,s,x,a,h,7,"m, ""q""","{""k"":""v""}"\r\n');
    expect(csvRow({ id: '1-1', time: 't', level: 'info', source: 'system', sessionId: 's', message: 'm' })).toBe('1-1,t,info,system,s,,,,,m,\r\n');
  });

  it('writes NDJSON as one JSON document per line', () => {
    expect(ndjsonLine({ id: '1-0', time: 't', level: 'info', source: 'task', sessionId: 's', message: 'a\nb' })).toBe(
      '{"id":"1-0","time":"t","level":"info","source":"task","sessionId":"s","message":"a\\nb"}\n',
    );
  });
});
