import { ReplyError } from 'ioredis';
import { DelayedError } from 'bullmq';
import { SessionOutputsFullError, StateConflictError, TaskTimeoutError } from './errors';
import { isRedisFault } from './redis-faults';

/** What ioredis rejects a MULTI with when Redis refused its commands as they were queued. */
function execAbort(...previous: Error[]): Error {
  const error = new ReplyError('EXECABORT Transaction discarded because of previous errors.');
  Object.assign(error, { previousErrors: previous });
  return error;
}

/** A Node system error of a socket, as ioredis passes it on. */
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), { code });

describe('isRedisFault', () => {
  it("knows Redis refusing a command for a reason of its own, by the reply's error code, in a script too", () => {
    expect(isRedisFault(new ReplyError("OOM command not allowed when used memory > 'maxmemory'."))).toBe(true);
    expect(isRedisFault(new ReplyError("OOM command not allowed when used memory > 'maxmemory'. script: 91fb98f1, on @user_script:1."))).toBe(true);
    for (const code of ['READONLY', 'LOADING', 'MASTERDOWN', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'NOREPLICAS', 'MISCONF']) {
      expect(isRedisFault(new ReplyError(`${code} the rest of the reply`))).toBe(true);
    }
  });

  it('knows a MULTI aborted for such a reason, and only for such a reason', () => {
    const oom = new ReplyError("OOM command not allowed when used memory > 'maxmemory'.");
    expect(isRedisFault(execAbort(oom, oom))).toBe(true);
    expect(isRedisFault(execAbort(new ReplyError("ERR wrong number of arguments for 'hset' command")))).toBe(false);
    expect(isRedisFault(execAbort())).toBe(false);
  });

  it('knows a connection refused, reset or timed out, and ioredis giving up on a command', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']) expect(isRedisFault(socketError(code))).toBe(true);
    class MaxRetriesPerRequestError extends Error {
      override readonly name = 'MaxRetriesPerRequestError';
    }
    expect(isRedisFault(new MaxRetriesPerRequestError('Reached the max retries per request limit (which is 20).'))).toBe(true);
  });

  it("leaves everything else to the work: a wrong command, a script's own error, a task's, a message that merely mentions OOM", () => {
    expect(isRedisFault(new ReplyError('ERR Error running script (call to f_abc): @user_script:3: wrong kind of value'))).toBe(false);
    expect(isRedisFault(new ReplyError('NOSCRIPT No matching script. Please use EVAL.'))).toBe(false);
    expect(isRedisFault(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisFault(new Error('OOM command not allowed'))).toBe(false);
    expect(isRedisFault(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isRedisFault(new TaskTimeoutError('t', 10))).toBe(false);
    expect(isRedisFault(new StateConflictError('e', 1, 2))).toBe(false);
    expect(isRedisFault(new SessionOutputsFullError('s', 't', 2, 1, 2))).toBe(false);
    expect(isRedisFault(new DelayedError())).toBe(false);
    expect(isRedisFault('OOM')).toBe(false);
    expect(isRedisFault(undefined)).toBe(false);
  });
});
