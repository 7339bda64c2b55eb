import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import type { SessionStatus } from '../session.types';
import { SESSION_INCLUDES } from './includes';
import source from './deliver-signal.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

export interface DeliverSignalCall {
  /** The session's hash. */
  readonly session: string;
  readonly signal: string;
  /** The payload, as JSON. */
  readonly payload: string;
  /** ISO 8601. */
  readonly at: string;
}

export type DeliverSignalReply =
  | { readonly kind: 'delivered'; readonly taskId: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'finished'; readonly status: SessionStatus }
  | { readonly kind: 'again'; readonly taskId: string }
  | { readonly kind: 'unawaited' };

type RawReply = ['delivered', string] | ['missing'] | ['finished', SessionStatus] | ['again', string] | ['unawaited'];

/** Runs deliver-signal.lua: delivers a signal to the task that waits for it, once. */
export async function deliverSignal(client: Redis, call: DeliverSignalCall): Promise<DeliverSignalReply> {
  const raw = (await SCRIPT.run(client, [call.session], [call.signal, call.payload, call.at])) as RawReply;
  switch (raw[0]) {
    case 'delivered':
    case 'again':
      return { kind: raw[0], taskId: raw[1] };
    case 'finished':
      return { kind: 'finished', status: raw[1] };
    case 'missing':
    case 'unawaited':
      return { kind: raw[0] };
  }
}
