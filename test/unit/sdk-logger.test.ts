import { createLogger } from '../../common/logging';
import { workflowIdParts } from '../../common/workflow-ids';
import { PinoSdkLogger } from '../../worker/sdk-logger';

/** The worker's Temporal runtime logger: the SDK's metadata as JSON fields, plus the cluster and operation its workflow id names. */
describe('the worker SDK logger', () => {
  function capture() {
    const lines: string[] = [];
    const logger = new PinoSdkLogger(createLogger('worker', { level: 'debug', destination: { write: (line: string) => void lines.push(line) } }));
    return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('names the cluster and operation of an activity of an operation, keeps the SDK attributes, drops the task token', () => {
    const { logger, lines } = capture();
    logger.warn('Activity failed', {
      sdkComponent: 'activity',
      workflowId: 'cluster/team-a/demo/op-3-scale',
      activityType: 'launchNode',
      attempt: 2,
      taskToken: 'Q2lzY28gdGFzayB0b2tlbg==',
      error: new Error('InsufficientInstanceCapacity: none left'),
    });
    const [line] = lines();
    expect(line).toMatchObject({ level: 'warn', component: 'worker', msg: 'Activity failed', cluster: 'team-a/demo', operationId: 'op-3-scale', activityType: 'launchNode', attempt: 2 });
    expect(line.err).toMatchObject({ message: 'InsufficientInstanceCapacity: none left' });
    expect(line).not.toHaveProperty('taskToken');
  });

  it('redacts key and token fields wherever a caller puts them', () => {
    const { logger, lines } = capture();
    logger.info('oops', { secretAccessKey: 'plainSecret', input: { sessionToken: 'plainSession' } });
    expect(JSON.stringify(lines())).not.toMatch(/plainSecret|plainSession/);
    expect(lines()[0]).toMatchObject({ secretAccessKey: '[redacted]', input: { sessionToken: '[redacted]' } });
  });

  it('redacts the store’s URL and password, a whole config logged included', () => {
    const { logger, lines } = capture();
    logger.info('settings', { storeUrl: 'postgres://u:plainUrlPassword@db/x', config: { storePassword: 'plainStorePassword', storeUrl: 'postgres://u:plainUrlPassword@db/x' } });
    expect(JSON.stringify(lines())).not.toMatch(/plainUrlPassword|plainStorePassword/);
    expect(lines()[0]).toMatchObject({ storeUrl: '[redacted]', config: { storePassword: '[redacted]', storeUrl: '[redacted]' } });
  });

  it('reads the cluster and operation out of each kind of workflow id', () => {
    expect(workflowIdParts('cluster/default/demo')).toEqual({ cluster: 'default/demo' });
    expect(workflowIdParts('cluster/default/demo/op-1-create/rollback')).toEqual({ cluster: 'default/demo', operationId: 'op-1-create' });
    expect(workflowIdParts('cluster/p/demo/spot/spot-a')).toEqual({ cluster: 'p/demo' });
    expect(workflowIdParts('discover-region-123')).toEqual({});
  });
});
