import { Job, UnrecoverableError } from 'bullmq';
import { NoCapableAgentError, OutputTooLargeError, SessionOutputsFullError, TaskTimeoutError } from './errors';
import { failureInfo, isFinalAttempt } from './failure-info';

const job = (attemptsMade: number, attempts?: number) => ({ attemptsMade, opts: { attempts } }) as unknown as Job;

describe('isFinalAttempt', () => {
  it('retries a plain error or a retryable Switchyard error while attempts remain', () => {
    expect(isFinalAttempt(job(0, 3), new Error('flaky'))).toBe(false);
    expect(isFinalAttempt(job(1, 3), new TaskTimeoutError('t', 10))).toBe(false);
    expect(isFinalAttempt(job(2, 3), new Error('flaky'))).toBe(true);
  });

  it('treats one attempt as the default', () => {
    expect(isFinalAttempt(job(0), new Error('x'))).toBe(true);
  });

  it('never retries what cannot succeed again, by its type', () => {
    expect(isFinalAttempt(job(0, 5), new NoCapableAgentError('t', ['web_research']))).toBe(true);
    expect(isFinalAttempt(job(0, 5), new UnrecoverableError('no'))).toBe(true);
    expect(isFinalAttempt(job(0, 5), new OutputTooLargeError('t', 2048, 1024))).toBe(true);
    expect(isFinalAttempt(job(0, 5), new SessionOutputsFullError('s', 't', 2048, 0, 1024))).toBe(true);
  });
});

describe('failureInfo', () => {
  it('keeps the name and message, and names the task', () => {
    expect(failureInfo(new TaskTimeoutError('t', 10), 't')).toEqual({
      name: 'TaskTimeoutError',
      message: 'Task "t" did not finish within its timeout of 10 ms',
      taskId: 't',
    });
    expect(failureInfo('plain')).toEqual({ name: 'Error', message: 'plain' });
  });
});
