import type { Redis } from 'ioredis';
import { strict } from '../../testing/strict-fake';
import { workersPerQueue } from './worker-connections';

const b64 = (name: string) => Buffer.from(name).toString('base64');
const line = (id: number, name: string) => `id=${id} addr=127.0.0.1:${40000 + id} laddr=127.0.0.1:6379 fd=8 name=${name} age=1 idle=0 flags=N db=0`;

describe('workersPerQueue', () => {
  it("counts each queue's worker connections, named or not, from one client list", async () => {
    const list = [
      line(1, `{sy-0}:${b64('web_research')}`),
      line(2, `{sy-0}:${b64('web_research')}:w:worker-a`),
      line(3, `{sy-1}:${b64('web_research')}`),
      line(4, 'switchyard:main'),
      line(5, ''),
    ].join('\n');
    let lists = 0;
    const client = strict<Redis>('client', {
      isCluster: false,
      client: (sub: string) => {
        lists++;
        expect(sub).toBe('LIST');
        return Promise.resolve(list);
      },
    });
    const queues = [
      { prefix: '{sy-0}', name: 'web_research' },
      { prefix: '{sy-1}', name: 'web_research' },
      { prefix: '{sy-0}', name: 'data_analysis' },
    ];
    expect(await workersPerQueue(client, queues)).toEqual([2, 1, 0]);
    expect(lists).toBe(1);
  });

  it('on a cluster, asks every master once and counts on the node that shows the most', async () => {
    const node = (list: string) => strict<Redis>('node', { client: () => Promise.resolve(list) });
    const name = `{sy-0}:${b64('testing')}`;
    const client = strict<Redis>('cluster', {
      isCluster: true,
      nodes: (role: string) => (role === 'master' ? [node([line(1, name), line(2, name)].join('\n')), node(line(3, name)), node('')] : []),
    });
    expect(await workersPerQueue(client, [{ prefix: '{sy-0}', name: 'testing' }])).toEqual([2]);
  });
});
