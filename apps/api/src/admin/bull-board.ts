import { HttpException, INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { roleAllows } from '@switchyard/orchestration';
import { AuthGuard } from '../auth/auth.guard';
import { toProblem } from '../http/problem-details.filter';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QueueDirectory } from '@switchyard/orchestration';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Only admins see the board. Browsers get a Basic-auth prompt (any user name, the API key as
 * the password); scripts can send the key as for the API.
 */
function adminOnly(guard: AuthGuard) {
  return (request: Request, response: Response, next: NextFunction) => {
    try {
      const principal = guard.authenticate(request.headers);
      if (!roleAllows(principal.role, 'admin')) throw new HttpException(`Bull Board needs the admin role; the key "${principal.keyId}" is ${principal.role}`, 403);
      next();
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Basic realm="Switchyard admin", charset="UTF-8"');
      response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
    }
  };
}

/** Mounts Bull Board at /admin/queues over every queue of the deployment, in every shard, for admins. */
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
  app.use(BULL_BOARD_PATH, adminOnly(app.get(AuthGuard)), serverAdapter.getRouter());
}
