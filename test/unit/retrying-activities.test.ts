import { retryingActivities } from '../../api/clusters/retrying-activities';

/** What GET …/operations/:id says about calls Temporal is retrying, from the workflow's pending activities. */
describe('retryingActivities', () => {
  it('lists only activities that have failed, with the innermost message and the next attempt time', () => {
    const list = retryingActivities([
      { activityType: { name: 'ensureVpc' }, attempt: 1 },
      {
        activityType: { name: 'deleteNodeInstanceProfile' },
        attempt: 4,
        lastFailure: { message: 'Activity task failed', cause: { message: 'UnexpectedResponse: HTTP 500: the endpoint answered HTML' } },
        nextAttemptScheduleTime: { seconds: 1795000000, nanos: 250_000_000 },
      },
      { activityType: { name: 'deleteSecurityGroup' }, attempt: 2, lastFailure: { message: 'activity Heartbeat timeout' } },
    ]);
    expect(list).toEqual([
      { activity: 'deleteNodeInstanceProfile', attempt: 4, lastError: 'UnexpectedResponse: HTTP 500: the endpoint answered HTML', nextAttemptAt: '2026-11-18T11:06:40.250Z' },
      { activity: 'deleteSecurityGroup', attempt: 2, lastError: 'activity Heartbeat timeout', nextAttemptAt: undefined },
    ]);
  });

  it('is empty when nothing is pending', () => {
    expect(retryingActivities(undefined)).toEqual([]);
    expect(retryingActivities([])).toEqual([]);
  });
});
