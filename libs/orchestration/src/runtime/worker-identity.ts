import { hostname } from 'node:os';
import type { WorkerIdentity } from '../sessions/session.types';

/** This process, as the contract names it: `{ host, pid }`. */
export function currentWorker(): WorkerIdentity {
  return { host: hostname(), pid: process.pid };
}
