import { strict } from '../testing/strict-fake';
import { TaskExceptions } from './exception.service';
import { HandOff } from './hand-off';
import { TaskWriteBack } from './write-back.service';

/**
 * For the engine's unit specs: the write-back and exception steps wired as the module wires them,
 * on the strict fakes a spec arranges. `store` is what the exception step reads (the write-back's
 * own is never called); the log takes anything, the retention is 60 s.
 */
export function wireWriteBack(fakes: { runs: unknown; queues: unknown; terminator: unknown; store?: unknown }) {
  const log = strict('log', { write: () => undefined, flush: async () => undefined });
  const config = strict('config', { retentionSeconds: 60 });
  const writeBack = new TaskWriteBack(
    strict('store', {}) as never,
    fakes.runs as never,
    new HandOff(fakes.runs as never, fakes.queues as never),
    fakes.queues as never,
    fakes.terminator as never,
    log as never,
    config as never,
  );
  const exceptions = new TaskExceptions(
    (fakes.store ?? strict('store', {})) as never,
    writeBack,
    fakes.queues as never,
    fakes.terminator as never,
    log as never,
    strict('redisFaults', {}) as never,
  );
  return { writeBack, exceptions };
}
