import type { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QueueDirectory } from '@switchyard/orchestration';

export const BULL_BOARD_PATH = '/admin/queues';

/** Mounts Bull Board at /admin/queues over every queue of the deployment, in every shard. */
export function mountBullBoard(app: INestApplication): void {
  const directory = app.get(QueueDirectory);
  const queues = directory.all();
  const shards = new Set(queues.map((q) => q.tag)).size;
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map(
      ({ tag, name, queue }) =>
        new BullMQAdapter(queue, {
          // With one shard the queue's name says it all; with more, say which shard.
          displayName: shards > 1 ? `${name} ${tag}` : name,
          description: name === 'sy.session' ? 'Each session\'s root job: released when all its tasks are done' : `Tasks needing ${name}`,
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Switchyard' } },
  });
  app.use(BULL_BOARD_PATH, serverAdapter.getRouter());
}
