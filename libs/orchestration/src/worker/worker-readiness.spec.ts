import { ShardTag } from '../redis/keys';
import { ReadinessState, readinessReport } from './worker-readiness.service';

const tag = (n: number) => `{sy-${n}}` as ShardTag;

/** A worker that checks out on every count: two shards whose canaries came back. */
const readyState = (): ReadinessState => ({
  redisStatus: 'ready',
  registration: { registered: true, agents: 7 },
  consuming: true,
  draining: false,
  lastRound: {
    at: '2026-12-06T12:00:00.000Z',
    results: [
      { tag: tag(0), ok: true, roundTripMs: 3.2 },
      { tag: tag(1), ok: true, roundTripMs: 4.1 },
    ],
  },
});

describe('readinessReport', () => {
  it('is ready when Redis, agents, queues and every shard’s canary are up and the worker is not draining', () => {
    expect(readinessReport(readyState())).toEqual({
      status: 'ready',
      failed: [],
      checks: {
        redis: { status: 'up' },
        agents: { status: 'up', agents: 7 },
        queues: { status: 'up' },
        canary: {
          status: 'up',
          at: '2026-12-06T12:00:00.000Z',
          shards: [
            { shard: '{sy-0}', ok: true, roundTripMs: 3.2 },
            { shard: '{sy-1}', ok: true, roundTripMs: 4.1 },
          ],
        },
        draining: { status: 'up' },
      },
    });
  });

  it('names each check that fails, with why', () => {
    const report = readinessReport({
      ...readyState(),
      redisStatus: 'reconnecting',
      registration: { registered: false, reason: 'no heartbeat has reached the registry yet' },
      consuming: false,
      draining: true,
      lastRound: undefined,
    });
    expect(report.status).toBe('not_ready');
    expect(report.failed).toEqual(['redis', 'agents', 'queues', 'canary', 'draining']);
    expect(report.checks.redis).toEqual({ status: 'down', message: 'the Redis connection is reconnecting' });
    expect(report.checks.agents).toEqual({ status: 'down', message: 'no heartbeat has reached the registry yet' });
    expect(report.checks.canary).toEqual({ status: 'down', message: 'no canary job has come back yet over the current Redis connection' });
    expect(report.checks.draining).toMatchObject({ status: 'down', message: expect.stringContaining('draining') });
  });

  it('is not ready when the canary of one shard did not come back, and says which', () => {
    const state = readyState();
    const report = readinessReport({
      ...state,
      lastRound: {
        at: state.lastRound!.at,
        results: [state.lastRound!.results[0], { tag: tag(1), ok: false, error: 'the canary job did not come back within 3000 ms' }],
      },
    });
    expect(report.failed).toEqual(['canary']);
    expect(report.checks.canary).toMatchObject({
      status: 'down',
      message: 'the canary job of shard {sy-1} did not come back: the canary job did not come back within 3000 ms',
      shards: [
        { shard: '{sy-0}', ok: true, roundTripMs: 3.2 },
        { shard: '{sy-1}', ok: false, error: 'the canary job did not come back within 3000 ms' },
      ],
    });
  });
});
