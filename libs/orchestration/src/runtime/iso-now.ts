let lastMs = -1;
let lastIso = '';

/**
 * `new Date().toISOString()`, made once per millisecond: a task's start, write-back and log
 * entries each stamp the time, mostly within the same millisecond as the other tasks of their
 * tick, so the same string serves them all instead of formatting the date again each time.
 */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
