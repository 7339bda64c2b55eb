import { crashAt, failpointsFromEnvironment, NO_FAILPOINTS } from './failpoint';

describe('failpoints', () => {
  it('are none unless SWITCHYARD_FAILPOINT names one, and the production hook does nothing', () => {
    expect(failpointsFromEnvironment({})).toBe(NO_FAILPOINTS);
    expect(NO_FAILPOINTS.armed('write-back-lost')).toBe(false);
    expect(NO_FAILPOINTS.reach('subtasks-decided')).toBeUndefined();
  });

  it('arm the one point SWITCHYARD_FAILPOINT names, and it alone', () => {
    const failpoints = failpointsFromEnvironment({ SWITCHYARD_FAILPOINT: 'root-wake-lost' });
    expect(failpoints.armed('root-wake-lost')).toBe(true);
    expect(failpoints.armed('write-back-lost')).toBe(false);
    // A point not armed is passed through (reaching the armed one would kill this process).
    expect(crashAt('root-wake-lost').reach('subtasks-decided')).toBeUndefined();
  });
});
