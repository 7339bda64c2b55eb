import { DelayedError } from 'bullmq';
import { scriptClient } from '../testing/script-client';
import { SLOT_RETRY_MS, SlotJob, TenantSlots } from './tenant-slots.service';

const config = (maxRunning: number) => ({ prefix: 'fair', lockDurationMs: 30_000, fairShare: { weights: {}, maxRunning, turnMs: 1000, turns: true } });
const job = (tenant: string | undefined, moves: number[] = []): SlotJob =>
  ({
    id: 'j1',
    data: { tenant },
    moveToDelayed: (at: number) => {
      moves.push(at);
      return Promise.resolve();
    },
  }) as unknown as SlotJob;
const tag = '{fair-0}' as never;

describe('TenantSlots', () => {
  it('runs the work holding a slot of the tenant, and gives it back after', async () => {
    const { client, calls } = scriptClient(() => 1);
    const result = await new TenantSlots({ client }, config(2)).run(tag, job('acme'), 'tok', () => Promise.resolve(42));
    expect(result).toBe(42);
    expect(calls.map((c) => [c.keys[0], ...c.args])).toEqual([
      ['{fair}:_sy:fair:running:acme', 'acquire', '{fair-0}/j1', '90000', '2'],
      ['{fair}:_sy:fair:running:acme', 'release', '{fair-0}/j1'],
    ]);
  });

  it('gives the slot back when the work fails', async () => {
    const { client, calls } = scriptClient(() => 1);
    await expect(new TenantSlots({ client }, config(2)).run(tag, job('acme'), 'tok', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(calls.map((c) => c.args[0])).toEqual(['acquire', 'release']);
  });

  it('sends a job refused a slot back to the delayed set for a short while, without running it', async () => {
    const { client } = scriptClient(() => 0);
    const moves: number[] = [];
    const before = Date.now();
    const work = jest.fn();
    await expect(new TenantSlots({ client }, config(1)).run(tag, job('acme', moves), 'tok', work)).rejects.toBeInstanceOf(DelayedError);
    expect(work).not.toHaveBeenCalled();
    expect(moves).toHaveLength(1);
    expect(moves[0]).toBeGreaterThanOrEqual(before + SLOT_RETRY_MS);
  });

  it('asks nothing of Redis with no cap, or for a job queued without a tenant', async () => {
    const { client } = scriptClient(() => {
      throw new Error('no call was arranged');
    });
    await expect(new TenantSlots({ client }, config(0)).run(tag, job('acme'), 'tok', () => Promise.resolve(1))).resolves.toBe(1);
    await expect(new TenantSlots({ client }, config(3)).run(tag, job(undefined), 'tok', () => Promise.resolve(2))).resolves.toBe(2);
  });
});
