import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Type } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { ModulesContainer } from '@nestjs/core';
import { createApiApp, openApiDocument } from '../../api/app';
import { handlerParameterClasses, validatedClasses } from '../../api/common/openapi-constraints';
import { loadConfig } from '../../common/config';
import { PROJECT_NAME_PATTERN } from '../../common/projects';

/**
 * The OpenAPI document is a contract tools are generated from (docs/api.md#the-contract). These
 * checks read the document the API builds and compare it with what the code enforces: every
 * class-validator rule of every DTO is stated in the DTO's schema, every route lists the guard's
 * and the body parser's statuses, every error has the error schema, and creates link to the
 * routes that read what they made. test/e2e/api-contract.test.ts fuzzes the running API against it.
 */

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema; required?: string[] };
interface Response {
  content?: Record<string, { schema?: { $ref?: string } }>;
  links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
}
interface Rule {
  name?: string;
  type: string;
  propertyName: string;
  constraints: unknown[];
  each: boolean;
}

/** What the schema must say for each constraint: the test's own reading of class-validator's rules. */
const EXPECTED: Record<string, (c: unknown[]) => Record<string, unknown>> = {
  isString: () => ({ type: 'string' }),
  isInt: () => ({ type: 'integer' }),
  isBoolean: () => ({ type: 'boolean' }),
  isArray: () => ({ type: 'array' }),
  isObject: () => ({}),
  matches: ([re]) => ({ pattern: (re as RegExp).source }),
  isLength: ([min, max]) => ({ minLength: min, maxLength: max }),
  maxLength: ([max]) => ({ maxLength: max }),
  minLength: ([min]) => ({ minLength: min }),
  min: ([min]) => ({ minimum: min }),
  max: ([max]) => ({ maximum: max }),
  isIn: ([values]) => ({ enum: values }),
  arrayMinSize: ([min]) => ({ minItems: min }),
  arrayMaxSize: ([max]) => ({ maxItems: max }),
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

describe('the OpenAPI contract', () => {
  let doc: OpenAPIObject;
  let dataDir: string;
  let controllers: Type[];
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-contract-'));
    const { app } = await createApiApp(loadConfig({ CLUSTERFLOW_DATA_DIR: dataDir, TEMPORAL_ADDRESS: '127.0.0.1:1' }), []);
    try {
      doc = openApiDocument(app);
      controllers = [...app.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.values()].map((w) => w.metatype as Type));
    } finally {
      await app.close();
    }
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const schemas = () => doc.components!.schemas as Record<string, Schema>;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([route, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ route, method, op: op as { operationId: string; security?: unknown[]; requestBody?: unknown; parameters?: Array<{ name: string; in: string }>; responses: Record<string, Response> } })),
    );

  it('states every class-validator rule of every DTO in its schema (a rule added without its schema fails here)', () => {
    const storage = getMetadataStorage();
    // Which classes: all class-validator knows, and the handlers' bodies (a DTO made with OmitType inherits all its rules).
    const targets = [...validatedClasses(handlerParameterClasses(controllers)).keys()];
    const checked: string[] = [];
    const missing: string[] = [];
    for (const target of targets) {
      const schema = schemas()[target.name];
      if (!schema) continue;
      const rules = storage.getTargetValidationMetadatas(target, '', true, false) as unknown as Rule[];
      expect({ dto: target.name, additionalProperties: schema.additionalProperties }).toEqual({ dto: target.name, additionalProperties: false });
      const optional = new Set(rules.filter((r) => r.type === 'conditionalValidation').map((r) => r.propertyName));
      const required = [...new Set(rules.map((r) => r.propertyName))].filter((p) => !optional.has(p)).sort();
      expect({ dto: target.name, required: [...(schema.required ?? [])].sort() }).toEqual({ dto: target.name, required });
      for (const rule of rules.filter((r) => r.type === 'customValidation')) {
        const where = `${target.name}.${rule.propertyName} ${rule.name}${rule.each ? ' (each)' : ''}`;
        const expected = rule.name ? EXPECTED[rule.name] : undefined;
        if (!expected) {
          missing.push(`${where}: the test knows no schema for this rule`);
          continue;
        }
        const property = schema.properties?.[rule.propertyName];
        const stated = rule.each ? property?.items : property;
        for (const [keyword, value] of Object.entries(expected(rule.constraints))) {
          if (value === undefined) continue;
          if (JSON.stringify(stated?.[keyword]) !== JSON.stringify(value)) missing.push(`${where}: ${keyword} ${JSON.stringify(value)}, the schema says ${JSON.stringify(stated?.[keyword])}`);
        }
        checked.push(where);
      }
    }
    expect(missing).toEqual([]);
    // The DTOs the API validates are all here (a renamed component would silently skip them).
    expect(checked.length).toBeGreaterThan(60);
    for (const dto of ['ClusterSpecDto', 'PoolDto', 'CloudDto', 'UpdatePoolDto', 'UpgradeClusterDto', 'CreateCloudAccountDto', 'RotateCloudAccountKeysDto', 'CreateClusterProfileDto', 'PackDto', 'CreateProjectDto', 'CreateProjectTokenDto']) {
      expect(checked.some((c) => c.startsWith(`${dto}.`))).toBe(true);
    }
  });

  it('states the rules of the query parameters it checks', () => {
    const param = (route: string, name: string) => (doc.paths[route].get!.parameters as unknown as Array<{ name: string; schema: Schema }>).find((p) => p.name === name)!.schema;
    expect(param('/v1/clusters', 'limit')).toMatchObject({ type: 'integer', minimum: 1, maximum: 200 });
    expect(param('/v1/clusters', 'region')).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(param('/v1/clusters', 'phase')).toMatchObject({ enum: ['Provisioning', 'Running', 'Updating', 'Deleting', 'Failed'] });
    expect(param('/v1/clusters/{name}/operations', 'limit')).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(new RegExp(param('/v1/clusters/{name}/operations', 'before').pattern as string).test('op-12-scale')).toBe(true);
    expect(param('/v1/clusters', 'X-Clusterflow-Project')).toMatchObject({ type: 'string', pattern: PROJECT_NAME_PATTERN.source });
  });

  it('lists the guard’s statuses on every protected route, the body parser’s on every route with a body, each error with the error schema', () => {
    const problems: string[] = [];
    for (const { route, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${route}`;
      const isPublic = op.security === undefined;
      if (isPublic && !['/healthz', '/readyz'].includes(route)) problems.push(`${where}: no security`);
      const wanted = [...(isPublic ? [] : ['400', '401', '403', '404']), ...(op.requestBody ? ['400', '413', '415'] : [])];
      for (const status of wanted) if (!op.responses[status]) problems.push(`${where}: no ${status}`);
      if (!Object.keys(op.responses).some((s) => s.startsWith('2'))) problems.push(`${where}: no success status`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && response.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ErrorBody') problems.push(`${where}: ${status} without the error schema`);
      }
    }
    expect(problems).toEqual([]);
    expect(schemas().ErrorBody).toMatchObject({ required: ['statusCode', 'error', 'message'] });
  });

  it('lists the statuses the handlers answer beyond the shared ones', () => {
    const statuses = (route: string, method: string) => Object.keys((doc.paths[route] as Record<string, { responses: object }>)[method].responses);
    expect(statuses('/v1/clusters', 'post')).toEqual(expect.arrayContaining(['200', '202', '409', '422', '502']));
    expect(statuses('/v1/clusters/{name}', 'get')).toEqual(expect.arrayContaining(['200']));
    expect(statuses('/v1/clusters/{name}/pools/{pool}', 'delete')).toEqual(expect.arrayContaining(['202', '409', '422']));
    expect(statuses('/v1/cloud-accounts/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '409']));
    expect(statuses('/v1/cluster-profiles/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '409']));
    expect(statuses('/v1/cloud-accounts', 'post')).toEqual(expect.arrayContaining(['201', '409', '502']));
    expect(statuses('/readyz', 'get')).toEqual(['200', '503']);
    expect(Object.keys((doc.paths['/metrics'].get!.responses['200'] as { content: object }).content)).toEqual(['text/plain']);
  });

  it('links each create to the routes that read what it made, with parameters those routes take', () => {
    const byId = new Map(operations().map((o) => [o.op.operationId, o]));
    const linksOf = (id: string, status: string) => byId.get(id)!.op.responses[status].links ?? {};
    const targets = (id: string, status: string) => Object.values(linksOf(id, status)).map((l) => l.operationId).sort();
    expect(targets('ClustersController_create', '202')).toEqual(['ClustersController_get', 'ClustersController_operation', 'ClustersController_operations']);
    expect(targets('CloudAccountsController_create', '201')).toEqual(['CloudAccountsController_get']);
    expect(targets('ClusterProfilesController_create', '201')).toEqual(['ClusterProfilesController_get']);
    expect(targets('ProjectsController_create', '201')).toEqual(['ProjectsController_get', 'ProjectsController_listTokens']);
    expect(targets('ProjectsController_createToken', '201')).toEqual(['ProjectsController_listTokens']);
    expect(targets('ClustersController_updatePool', '202')).toEqual(['ClustersController_operation']);
    for (const { op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const link of Object.values(response.links ?? {})) {
          const target = byId.get(link.operationId);
          expect(target).toBeDefined();
          const pathParams = (target!.op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
          expect({ from: `${op.operationId} ${status}`, to: link.operationId, params: Object.keys(link.parameters).sort() }).toEqual({ from: `${op.operationId} ${status}`, to: link.operationId, params: pathParams });
          // A `$response.body#/x` the answer's schema does not have would be a dead link.
          const schemaRef = response.content?.['application/json']?.schema?.$ref;
          const answer = schemaRef ? schemas()[schemaRef.split('/').pop()!] : undefined;
          for (const expression of Object.values(link.parameters)) {
            const field = /^\$response\.body#\/(\w+)$/.exec(expression)?.[1];
            if (field) expect({ link: `${op.operationId} → ${link.operationId}`, field, stated: answer?.properties?.[field] !== undefined }).toEqual({ link: `${op.operationId} → ${link.operationId}`, field, stated: true });
          }
        }
      }
    }
  });
});
