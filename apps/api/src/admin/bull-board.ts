import { HttpException, INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { CapabilityCatalog, QueueDirectory, roleAllows, SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';
import { AuthGuard } from '../auth/auth.guard';
import { toProblem } from '../http/problem-details.filter';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';

export const BULL_BOARD_PATH = '/admin/queues';

function sendProblem(response: Response, problem: ReturnType<typeof toProblem>): void {
  response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/**
 * Only admins see the board. Browsers get a Basic-auth prompt (any user name, the API key as
 * the password); scripts can send the key as for the API.
 */
function adminOnly(guard: AuthGuard) {
  return (request: Request, response: Response, next: NextFunction) => {
    try {
      const principal = guard.authenticate(request.headers);
      if (!roleAllows(principal.role, 'admin'))
        throw new HttpException(`Bull Board needs the admin role; the key "${principal.keyId}" is ${principal.role}`, 403);
      next();
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Basic realm="Switchyard admin", charset="UTF-8"');
      sendProblem(response, problem);
    }
  };
}

/**
 * In read-only mode, every request that is not a read is refused here, before Bull Board: its own
 * read-only mode refuses the routes of one queue or job (405), but answers its routes over every
 * queue (pause all, resume all) with a 200 that does nothing, and a route a later Bull Board adds
 * would only be refused if it checks the mode itself.
 */
function readsOnly(request: Request, response: Response, next: NextFunction) {
  if (request.method === 'GET' || request.method === 'HEAD') return next();
  response.setHeader('Allow', 'GET, HEAD');
  sendProblem(
    response,
    toProblem(
      new HttpException(
        "Bull Board is read-only (SWITCHYARD_BULL_BOARD=readonly): change sessions through Switchyard's routes (cancel, resolve), which keep them consistent",
        405,
      ),
    ),
  );
}

/** How often, at most, the board looks for queues of capabilities added at run time. */
const REFRESH_MS = 1000;

/**
 * Mounts Bull Board at /admin/queues over every queue of the deployment, in every shard, for
 * admins, as SWITCHYARD_BULL_BOARD says: read-only (the default), `full`, or not at all (`off`).
 * Queues of custom capabilities registered while the API runs join the board on the next
 * request after they appear (the catalog is read back from Redis at most once a second).
 */
export function mountBullBoard(app: INestApplication): void {
  const mode = app.get<SwitchyardConfig>(SWITCHYARD_CONFIG).bullBoard;
  if (mode === 'off') return;
  const readOnlyMode = mode === 'readonly';
  const directory = app.get(QueueDirectory);
  const catalog = app.get(CapabilityCatalog);
  /** The deployment's queues now, and a key that changes when their set does. */
  const current = () => {
    const queues = directory.all();
    return { queues, key: queues.map((q) => `${q.tag} ${q.name}`).join(',') };
  };
  const adapters = (queues: ReturnType<typeof directory.all>) => {
    const shards = new Set(queues.map((q) => q.tag)).size;
    return queues.map(
      ({ tag, name, queue }) =>
        new BullMQAdapter(queue, {
          // With one shard the queue's name says it all; with more, say which shard, and name each
          // queue by its shard too (`{sy-1}:web_research`): the board keys queues by name, and one
          // capability's queues in two shards would otherwise show as one.
          displayName: shards > 1 ? `${name} ${tag}` : name,
          ...(shards > 1 ? { prefix: `${tag}:` } : {}),
          readOnlyMode,
          description:
            name === 'sy.session'
              ? "Each session's root job: held (delayed) until all its tasks are done, then it completes the session"
              : `Tasks needing ${name}`,
        }),
    );
  };
  let mounted = current();
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  const board = createBullBoard({ queues: adapters(mounted.queues), serverAdapter, options: { uiConfig: { boardTitle: 'Switchyard' } } });

  let checkedAt = 0;
  const followCatalog = async (_request: Request, _response: Response, next: NextFunction) => {
    if (Date.now() - checkedAt >= REFRESH_MS) {
      checkedAt = Date.now();
      try {
        await catalog.refresh();
        const now = current();
        if (now.key !== mounted.key) {
          mounted = now;
          board.replaceQueues(adapters(now.queues));
        }
      } catch {
        // Redis unreachable: show the queues known so far; the health probe reports the outage.
      }
    }
    next();
  };
  const guards = readOnlyMode ? [adminOnly(app.get(AuthGuard)), readsOnly] : [adminOnly(app.get(AuthGuard))];
  app.use(BULL_BOARD_PATH, ...guards, followCatalog, serverAdapter.getRouter());
}
