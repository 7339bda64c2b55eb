import { jobIds } from '../redis/keys';
import { ROOT, soleDependants, toPromote, waiterJobId, waitersOf, Waiter } from './waiters';

describe("a finished task's waiters", () => {
  const b: Waiter = { id: 'b', queue: 'web_research', sole: true };
  const c: Waiter = { id: 'c', queue: 'code_review' };

  it('are its dependants, then its parent (by id alone) or, at the top, the session root job', () => {
    expect(waitersOf({ dependants: [b, c], parentId: 'p' })).toEqual([b, c, { id: 'p', queue: '' }]);
    expect(waitersOf({ dependants: [], parentId: null })).toEqual([ROOT]);
  });

  it("are woken by their own job, or the session's root job", () => {
    expect(waiterJobId('s-1', b)).toBe(jobIds.task('s-1', 'b'));
    expect(waiterJobId('s-1', ROOT)).toBe(jobIds.root('s-1'));
  });

  it('that wait for the task alone are promoted right behind its write-back', () => {
    expect(soleDependants({ dependants: [b, c] })).toEqual([b]);
  });

  it('left ready are promoted, but not the parent (BullMQ moves it on) nor those promoted already', () => {
    const parent = { id: 'p', queue: '' };
    expect(toPromote([b, c, parent], { parentId: 'p' }, new Set([b]))).toEqual([c]);
    expect(toPromote([ROOT], { parentId: null }, new Set())).toEqual([ROOT]);
  });
});
