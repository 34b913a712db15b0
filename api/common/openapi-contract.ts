import type { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { LinkObject, OperationObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ADMIN_ONLY, VIEWER_MAY_DRY_RUN } from '../auth/access';
import { IS_PUBLIC } from '../auth/public.decorator';
import { handlerParameterClasses, stateValidationRules } from './openapi-constraints';

/**
 * Makes the document Nest builds a contract tools can be generated from (docs/api.md#the-contract):
 * every route lists every status it can answer, each error with the one error schema; the DTOs'
 * validation rules are stated in their schemas; creates link to the routes that read what they made.
 * The statuses every route shares come from the guard and the body parser, so they are added
 * here from the same metadata the guard reads, rather than restated on each handler.
 */

export const ERROR_SCHEMA = 'ErrorBody';
const FIELD_PROBLEM_SCHEMA = 'FieldProblem';
const ERROR_REF = { $ref: `#/components/schemas/${ERROR_SCHEMA}` };

/** api/common/error-shape.ts's ErrorBody and FieldProblem, as schemas. */
const ERROR_SCHEMAS: Record<string, SchemaObject> = {
  [FIELD_PROBLEM_SCHEMA]: {
    type: 'object',
    required: ['field', 'message'],
    properties: {
      field: { type: 'string', description: 'a dotted path into the body (`pools.0.size`), a query parameter, a header, or `body`' },
      rule: { type: 'string', description: 'the rule broken (`matches`, `control-plane-size`, …)' },
      message: { type: 'string' },
    },
  },
  [ERROR_SCHEMA]: {
    type: 'object',
    required: ['statusCode', 'error', 'message'],
    additionalProperties: false,
    properties: {
      statusCode: { type: 'integer', minimum: 400, maximum: 599, description: 'the HTTP status again' },
      error: { type: 'string', description: 'the status in words (`Unprocessable Entity`)' },
      message: { type: 'string', description: 'what happened, naming the field' },
      details: {
        description: 'usually one {field, rule, message} per problem; a few errors carry an object instead ({operationId} for 409 busy, {clusters} for an account in use, the checks of /readyz)',
        anyOf: [{ type: 'array', items: { $ref: `#/components/schemas/${FIELD_PROBLEM_SCHEMA}` } }, { type: 'object' }],
      },
    },
  },
};

/**
 * Rules over a whole body that class-validator does not hold: PATCH …/pools/:pool needs at least
 * one change (ClustersService.poolChange, rule one-change); every field of its body is one.
 */
const BODY_RULES: Record<string, Partial<SchemaObject>> = {
  UpdatePoolDto: { minProperties: 1 },
};

/** What each route answers because of the guard (api/auth/bearer-token.guard.ts). */
const GUARD_STATUSES: Record<string, string> = {
  '400': 'X-Clusterflow-Project is not a project name (rule project-name)',
  '401': 'no bearer token, a malformed one, or one that is neither the admin token nor a live project token',
  '404': 'X-Clusterflow-Project names a project that does not exist (admin token)',
};

/** A request body's own refusals (api/common/body-limits.ts, error-shape.ts, the validation pipe). */
const BODY_STATUSES: Record<string, string> = {
  '400': 'the body is not valid JSON, nests deeper than 32, has a __proto__/constructor key, or a field breaks its rule; `details` names each field and rule',
  '413': 'the body is larger than 1 MB (rule max-size)',
  '415': 'the body’s charset or content encoding is not supported',
};

function forbidden(method: string, adminOnly: boolean, viewerMayDryRun: boolean): string {
  const other = 'a project token naming another project in X-Clusterflow-Project';
  if (adminOnly) return `a project token: only the admin token may use this route; ${other}`;
  if (method === 'get' || method === 'head') return other;
  return `a viewer's token (it may only read${viewerMayDryRun ? ', and ask ?dryRun=true' : ''}); ${other}`;
}

interface Access {
  isPublic: boolean;
  adminOnly: boolean;
  viewerMayDryRun: boolean;
}

/** Each handler's access markers, by the operationId Nest's swagger gives it (`Controller_method`). */
export function accessByOperationId(controllers: Type[]): Map<string, Access> {
  const reflector = new Reflector();
  const access = new Map<string, Access>();
  for (const controller of controllers) {
    for (const method of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[method];
      if (method === 'constructor' || typeof handler !== 'function') continue;
      const marked = (key: string) => reflector.getAllAndOverride<boolean>(key, [handler as () => void, controller]) === true;
      access.set(`${controller.name}_${method}`, { isPublic: marked(IS_PUBLIC), adminOnly: marked(ADMIN_ONLY), viewerMayDryRun: marked(VIEWER_MAY_DRY_RUN) });
    }
  }
  return access;
}

/** A link from a create's answer to a route reading what it made: `{operationId: {param: expression}}`. */
type Links = Record<string, { operationId: string; parameters: Record<string, string>; description: string }>;

const OPERATION_OF_CLUSTER: Links = {
  GetOperation: {
    operationId: 'ClustersController_operation',
    parameters: { name: '$request.path.name', id: '$response.body#/operationId' },
    description: 'the operation this request started: its state, progress and tasks',
  },
};

/** Creates (and the changes that start an operation) → the routes that read what they made. */
const LINKS: Record<string, Record<string, Links>> = {
  ClustersController_create: {
    '202': {
      GetCluster: { operationId: 'ClustersController_get', parameters: { name: '$response.body#/name' }, description: 'the new cluster’s status' },
      ListOperations: { operationId: 'ClustersController_operations', parameters: { name: '$response.body#/name' }, description: 'the cluster’s operations' },
      GetOperation: {
        operationId: 'ClustersController_operation',
        parameters: { name: '$response.body#/name', id: '$response.body#/operationId' },
        description: 'the create operation: its progress and tasks',
      },
    },
  },
  ClustersController_delete: { '202': OPERATION_OF_CLUSTER },
  ClustersController_addPool: { '202': OPERATION_OF_CLUSTER },
  ClustersController_updatePool: { '202': OPERATION_OF_CLUSTER },
  ClustersController_removePool: { '202': OPERATION_OF_CLUSTER },
  ClustersController_upgrade: { '202': OPERATION_OF_CLUSTER },
  ClustersController_changeProfile: { '202': OPERATION_OF_CLUSTER },
  ClustersController_cancel: { '202': OPERATION_OF_CLUSTER },
  ClustersController_retry: { '202': OPERATION_OF_CLUSTER },
  CloudAccountsController_create: {
    '201': { GetCloudAccount: { operationId: 'CloudAccountsController_get', parameters: { id: '$response.body#/id' }, description: 'the new account' } },
  },
  ClusterProfilesController_create: {
    '201': { GetClusterProfile: { operationId: 'ClusterProfilesController_get', parameters: { id: '$response.body#/id' }, description: 'the new profile' } },
  },
  ProjectsController_create: {
    '201': {
      GetProject: { operationId: 'ProjectsController_get', parameters: { project: '$response.body#/name' }, description: 'the new project' },
      ListProjectTokens: { operationId: 'ProjectsController_listTokens', parameters: { project: '$response.body#/name' }, description: 'its tokens' },
    },
  },
  ProjectsController_createToken: {
    '201': { ListProjectTokens: { operationId: 'ProjectsController_listTokens', parameters: { project: '$response.body#/project' }, description: 'the project’s tokens, this one among them' } },
  },
};

function isReference(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** Post-processes the document in place; returns the validation rules it could not state (none expected). */
export function applyContract(document: OpenAPIObject, controllers: Type[]): string[] {
  const schemas = (document.components ??= {}).schemas ??= {};
  Object.assign(schemas, ERROR_SCHEMAS);
  const unstated = stateValidationRules(schemas as Record<string, SchemaObject>, handlerParameterClasses(controllers));
  for (const [name, rules] of Object.entries(BODY_RULES)) Object.assign(schemas[name], rules);
  const access = accessByOperationId(controllers);
  const operationIds = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch', 'head'].includes(method)) continue;
      const operation = value as OperationObject;
      const id = operation.operationId ?? '';
      operationIds.add(id);
      const marks = access.get(id);
      if (!marks) throw new Error(`openapi contract: no handler found for operation ${id}`);
      const reasons: Array<[string, string]> = [];
      if (!marks.isPublic) {
        operation.security ??= [{ bearer: [] }];
        reasons.push(...Object.entries(GUARD_STATUSES), ['403', forbidden(method, marks.adminOnly, marks.viewerMayDryRun)]);
      }
      if (operation.requestBody) reasons.push(...Object.entries(BODY_STATUSES));
      if ((operation.parameters ?? []).some((p) => !isReference(p) && p.in === 'query')) reasons.push(['400', 'a query parameter breaks its rule; `details` names it']);
      // A status the handler declares keeps its own words; the shared ones are listed together.
      const shared = new Map<string, string[]>();
      for (const [status, reason] of reasons) shared.set(status, [...(shared.get(status) ?? []), reason]);
      for (const [status, all] of shared) operation.responses[status] ??= { description: all.join('; ') };
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || isReference(response)) continue;
        (response as ResponseObject).content = { 'application/json': { schema: ERROR_REF } };
      }
      for (const [status, links] of Object.entries(LINKS[id] ?? {})) {
        const response = operation.responses[status];
        if (!response || isReference(response)) throw new Error(`openapi contract: ${id} has no ${status} answer to link from`);
        response.links = links as Record<string, LinkObject>;
      }
    }
  }
  for (const id of Object.keys(LINKS)) if (!operationIds.has(id)) throw new Error(`openapi contract: links from unknown operation ${id}`);
  for (const links of Object.values(LINKS)) {
    for (const byName of Object.values(links)) for (const link of Object.values(byName)) if (!operationIds.has(link.operationId)) throw new Error(`openapi contract: a link to unknown operation ${link.operationId}`);
  }
  return unstated;
}
