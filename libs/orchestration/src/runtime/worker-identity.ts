import { hostname } from 'node:os';

/** The process that ran something: `{ host, pid }` everywhere in the contract. */
export interface WorkerIdentity {
  readonly host: string;
  readonly pid: number;
}

/** This process, as the contract names it: `{ host, pid }`. */
export function currentWorker(): WorkerIdentity {
  return { host: hostname(), pid: process.pid };
}
