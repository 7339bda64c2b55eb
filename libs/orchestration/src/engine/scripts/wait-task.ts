import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { SESSION_INCLUDES } from '../../sessions/scripts/includes';
import { parse } from '../../sessions/json-fields';
import type { DurableWaitingFor } from '../../sessions/session.types';
import source from './wait-task.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/** One wait step of a `wait` or `signal` task (see wait-task.lua). */
export interface WaitTaskCall {
  /** The session's hash. */
  readonly session: string;
  readonly taskId: string;
  readonly kind: 'wait' | 'signal';
  /** The worker's clock. */
  readonly now: Date;
  /** When the wait ends, should it start now (a signal without a time-out: never). */
  readonly wakeAt?: Date;
  /** What it waits for, should it start now. */
  readonly waitingFor: DurableWaitingFor;
  /** Starts the wait afresh (an operator's retry after a signal's time-out). */
  readonly restart?: boolean;
}

export type WaitTaskReply =
  | { readonly kind: 'gone' }
  | { readonly kind: 'due'; readonly waitedMs: number }
  | { readonly kind: 'signal'; readonly payload: unknown }
  | { readonly kind: 'timeout'; readonly waitedMs: number }
  | { readonly kind: 'park'; readonly wakeAtMs?: number };

type RawReply = ['gone'] | ['due', number] | ['signal', string | null] | ['timeout', number] | ['park', string];

/** Runs wait-task.lua for one task. */
export async function waitTask(client: Redis, call: WaitTaskCall): Promise<WaitTaskReply> {
  const args = [
    call.taskId,
    call.now.toISOString(),
    call.now.getTime(),
    call.kind,
    call.wakeAt ? call.wakeAt.getTime() : '',
    JSON.stringify(call.waitingFor),
    call.restart ? '1' : '0',
  ];
  const raw = (await SCRIPT.run(client, [call.session], args)) as RawReply;
  switch (raw[0]) {
    case 'gone':
      return { kind: 'gone' };
    case 'due':
      return { kind: 'due', waitedMs: raw[1] };
    case 'signal':
      return { kind: 'signal', payload: parse(raw[1]) ?? null };
    case 'timeout':
      return { kind: 'timeout', waitedMs: raw[1] };
    case 'park':
      return { kind: 'park', wakeAtMs: raw[1] === '' ? undefined : Number(raw[1]) };
  }
}
