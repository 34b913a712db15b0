import type * as http from 'node:http';
import { errorResponse } from '../../sim/errors';
import { globMatch } from '../../sim/filters';
import { filtersOf, isMutating, listParam, recognise, withoutFilters } from '../../sim/protocol';
import { drawsFor } from '../../sim/throttling';
import { defaultConfig } from '../../sim/config';
import { vcpuClassOf } from '../../sim/quotas';

/** How the simulator recognises a call from the request alone (no Clusterflow knowledge involved). */

function request(headers: Record<string, string>, url = '/', method = 'POST'): http.IncomingMessage {
  return { headers, url, method } as unknown as http.IncomingMessage;
}

const auth = (service: string, region = 'eu-west-1', key = 'AKIAEXAMPLE') =>
  `AWS4-HMAC-SHA256 Credential=${key}/20240101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef`;

it('reads the service and region from the SigV4 credential scope and the action from Action', () => {
  const call = recognise(
    request({ authorization: auth('ec2'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }),
    Buffer.from('Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=2&InstanceId.1=i-a&InstanceId.2=i-b'),
  );
  expect(call).toMatchObject({ service: 'ec2', action: 'RunInstances', region: 'eu-west-1', accessKeyId: 'AKIAEXAMPLE', protocol: 'ec2', key: 'ec2:RunInstances' });
  expect(listParam(call?.params as URLSearchParams, 'InstanceId')).toEqual(['i-a', 'i-b']);
});

it('tells classic ELB from ELBv2 by API version, both signed as elasticloadbalancing', () => {
  const form = { authorization: auth('elasticloadbalancing'), 'content-type': 'application/x-www-form-urlencoded' };
  expect(recognise(request(form), Buffer.from('Action=DescribeLoadBalancers&Version=2012-06-01'))?.key).toBe('elb:DescribeLoadBalancers');
  expect(recognise(request(form), Buffer.from('Action=DescribeLoadBalancers&Version=2015-12-01'))?.key).toBe('elbv2:DescribeLoadBalancers');
  expect(recognise(request(form), Buffer.from('Action=DescribeLoadBalancers&Version=2015-12-01'))?.protocol).toBe('query');
});

it('reads JSON-protocol actions from X-Amz-Target', () => {
  const call = recognise(
    request({ authorization: auth('pricing', 'us-east-1'), 'x-amz-target': 'AWSPriceListService.GetProducts', 'content-type': 'application/x-amz-json-1.1' }),
    Buffer.from('{"ServiceCode":"AmazonEC2"}'),
  );
  expect(call).toMatchObject({ service: 'pricing', action: 'GetProducts', protocol: 'json', json: { ServiceCode: 'AmazonEC2' } });
  const quotas = recognise(request({ authorization: auth('servicequotas'), 'x-amz-target': 'ServiceQuotasV20190624.GetServiceQuota' }), Buffer.from('{}'));
  expect(quotas?.key).toBe('servicequotas:GetServiceQuota');
});

it('reads presigned query-string credentials and GET query parameters', () => {
  const call = recognise(
    request({}, '/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=AKIAQS%2F20240101%2Fus-west-2%2Fsts%2Faws4_request', 'GET'),
    Buffer.alloc(0),
  );
  expect(call).toMatchObject({ service: 'sts', action: 'GetCallerIdentity', region: 'us-west-2', accessKeyId: 'AKIAQS' });
});

it('leaves unsigned, action-less requests unrecognised', () => {
  expect(recognise(request({}, '/moto-api/', 'GET'), Buffer.alloc(0))).toBeUndefined();
});

it('classifies mutating calls; DryRun calls are not', () => {
  const call = (service: string, body: string) =>
    recognise(request({ authorization: auth(service), 'content-type': 'application/x-www-form-urlencoded' }), Buffer.from(body));
  expect(isMutating(call('ec2', 'Action=DescribeInstances') as never)).toBe(false);
  expect(isMutating(call('ec2', 'Action=CreateTags') as never)).toBe(true);
  expect(isMutating(call('ec2', 'Action=RunInstances&DryRun=true') as never)).toBe(false);
  expect(isMutating(call('sts', 'Action=GetCallerIdentity') as never)).toBe(false);
  expect(isMutating(call('iam', 'Action=CreateRole') as never)).toBe(true);
});

it('parses and strips EC2 filters', () => {
  const params = new URLSearchParams('Action=DescribeInstances&Filter.1.Name=tag:a&Filter.1.Value.1=x&Filter.1.Value.2=y&Filter.2.Name=instance-state-name&Filter.2.Value.1=pending');
  expect(filtersOf(params)).toEqual([
    { name: 'tag:a', values: ['x', 'y'] },
    { name: 'instance-state-name', values: ['pending'] },
  ]);
  const kept = withoutFilters(params, (name) => name === 'tag:a');
  expect(filtersOf(kept)).toEqual([{ name: 'instance-state-name', values: ['pending'] }]);
  expect(kept.get('Filter.1.Name')).toBe('instance-state-name');
  expect(globMatch('default/*', 'default/demo')).toBe(true);
  expect(globMatch('d?mo', 'demo')).toBe(true);
  expect(globMatch('demo', 'demo2')).toBe(false);
});

it('picks the documented throttling buckets', () => {
  const t = defaultConfig().throttling;
  const call = (body: string) =>
    recognise(request({ authorization: auth('ec2'), 'content-type': 'application/x-www-form-urlencoded' }), Buffer.from(body)) as never;
  expect(drawsFor(call('Action=DescribeInstances'), t)).toEqual([{ bucket: 'DescribeInstances#unfiltered', size: expect.objectContaining({ capacity: 50, refillPerSecond: 10 }), tokens: 1 }]);
  expect(drawsFor(call('Action=DescribeInstances&MaxResults=5'), t)[0].bucket).toBe('DescribeInstances');
  expect(drawsFor(call('Action=DescribeVpcs'), t)[0].size).toMatchObject({ capacity: 100, refillPerSecond: 20 });
  expect(drawsFor(call('Action=AuthorizeSecurityGroupIngress'), t)[0].size).toMatchObject({ capacity: 50, refillPerSecond: 5 });
  expect(drawsFor(call('Action=CreateTags'), t)[0].size).toEqual({ capacity: 100, refillPerSecond: 10 });
  expect(drawsFor(call('Action=CreateNatGateway'), t)[0].size).toEqual({ capacity: 10, refillPerSecond: 1 });
  const run = drawsFor(call('Action=RunInstances&MinCount=1&MaxCount=4'), t);
  expect(run.map((d) => [d.bucket, d.tokens])).toEqual([
    ['RunInstances', 1],
    ['RunInstances#resource', 4],
  ]);
  const terminate = drawsFor(call('Action=TerminateInstances&InstanceId.1=i-1&InstanceId.2=i-2'), t);
  expect(terminate[1]).toEqual({ bucket: 'TerminateInstances#resource', size: { capacity: 1000, refillPerSecond: 20 }, tokens: 2 });
});

it('renders each protocol’s error shape', () => {
  const ec2 = errorResponse({ protocol: 'ec2', service: 'ec2' }, 'InternalError', 'boom');
  expect(ec2.status).toBe(500);
  expect(ec2.body.toString()).toMatch(/<Response><Errors><Error><Code>InternalError<\/Code><Message>boom<\/Message><\/Error><\/Errors><RequestID>/);
  const query = errorResponse({ protocol: 'query', service: 'elbv2' }, 'Throttling', 'Rate exceeded');
  expect(query.status).toBe(400);
  expect(query.body.toString()).toContain('<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>Throttling</Code>');
  const json = errorResponse({ protocol: 'json', service: 'secretsmanager' }, 'ResourceNotFoundException', 'nope');
  expect(JSON.parse(json.body.toString())).toEqual({ __type: 'ResourceNotFoundException', message: 'nope' });
});

it('groups instance families into the vCPU quota buckets', () => {
  expect(vcpuClassOf('m5.large')).toBe('standard');
  expect(vcpuClassOf('t3.micro')).toBe('standard');
  expect(vcpuClassOf('g4dn.xlarge')).toBe('g-vt');
  expect(vcpuClassOf('p3.2xlarge')).toBe('other');
});
