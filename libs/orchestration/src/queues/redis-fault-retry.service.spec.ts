import { ReplyError } from 'ioredis';
import { Logger } from '@nestjs/common';
import { DelayedError } from 'bullmq';
import { DeferrableJob, RedisFaultRetry } from './redis-fault-retry.service';

const oom = () => new ReplyError("OOM command not allowed when used memory > 'maxmemory'.");

/** A job whose deferrals are recorded; `refusals` of them fail first with `refusal`. */
function job(id: string, refusals = 0, refusal: Error = oom()) {
  const delays: number[] = [];
  let left = refusals;
  const fake: DeferrableJob = {
    id,
    queueQualifiedName: '{t-0}:web_research',
    moveToDelayed: async (timestamp: number) => {
      if (left-- > 0) throw refusal;
      delays.push(timestamp - Date.now());
    },
  };
  return { fake, delays };
}

describe('RedisFaultRetry', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new Logger()));
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setTimeout', 'setImmediate', 'nextTick'] }).setSystemTime(1_000_000));
  afterEach(() => jest.useRealTimers());

  it('lets a job whose work Redis refused wait for Redis for SWITCHYARD_REDIS_RETRY_S from the first refusal, not longer', () => {
    const retry = new RedisFaultRetry({ redisRetrySeconds: 60 });
    const { fake } = job('a');
    expect(retry.waits(fake, oom())).toBe(true);
    jest.setSystemTime(1_000_000 + 59_999);
    expect(retry.waits(fake, oom())).toBe(true);
    jest.setSystemTime(1_000_000 + 60_000);
    expect(retry.waits(fake, oom())).toBe(false);
    // A run that ended otherwise starts the window afresh.
    retry.cleared(fake);
    expect(retry.waits(fake, oom())).toBe(true);
  });

  it('never holds a job back for an error of its own', () => {
    const retry = new RedisFaultRetry({ redisRetrySeconds: 60 });
    expect(retry.waits(job('a').fake, new Error('the agent failed'))).toBe(false);
    expect(retry.waits(job('a').fake, new ReplyError('ERR unknown command'))).toBe(false);
  });

  it('defers the job to the delayed set, backed off from 1 s and doubled up to 30 s, and tells BullMQ so', async () => {
    const retry = new RedisFaultRetry({ redisRetrySeconds: 600 });
    const { fake, delays } = job('a');
    for (let i = 0; i < 7; i++) {
      expect(retry.waits(fake, oom())).toBe(true);
      await expect(retry.defer(fake, 'token', oom())).rejects.toBeInstanceOf(DelayedError);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it("tries a deferral Redis refused again, and passes the job's error on when Redis keeps refusing it", async () => {
    const retry = new RedisFaultRetry({ redisRetrySeconds: 600 });
    const once = job('a', 1);
    retry.waits(once.fake, oom());
    await expect(retry.defer(once.fake, 'token', oom())).rejects.toBeInstanceOf(DelayedError);
    expect(once.delays).toHaveLength(1);

    const always = job('b', 3);
    const error = oom();
    retry.waits(always.fake, error);
    await expect(retry.defer(always.fake, 'token', error)).rejects.toBe(error);
    expect(always.delays).toEqual([]);

    // A deferral refused for another reason (the job's lock lost) is not tried again.
    const lost = job('c', 1, new Error('Missing lock for job c. moveToDelayed'));
    retry.waits(lost.fake, error);
    await expect(retry.defer(lost.fake, 'token', error)).rejects.toBe(error);
  }, 10_000);
});
