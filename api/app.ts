import 'reflect-metadata';
import { INestApplication, LogLevel, Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ClusterflowConfig } from '../common/config';
import { PROJECT_NAME_PATTERN } from '../common/projects';
import { ensureDataDir, resolveApiToken, resolveSecretBox } from '../common/data-dir';
import express, { json, NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { bodyShapeGuard, MAX_BODY_BYTES } from './common/body-limits';
import { bodyParserErrorBody } from './common/error-shape';
import { applyContract } from './common/openapi-contract';
import { contractValidationPipe } from './common/validation';
import { openStore } from '../store/open-store';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { createLogger } from '../common/logging';
import { ApiMetrics } from './observability/api-metrics';
import { httpObservability } from './observability/http-logging';
import { NestPinoLogger, pinoLevelOf } from './observability/nest-logger';

export interface ApiApp {
  app: INestApplication;
  token: string;
  tokenGenerated: boolean;
  /** The app's JSON logger (Nest's messages and the access log go through it). */
  logger: PinoLogger;
}

/** The OpenAPI document the API serves at /docs-json; scripts/cluster-schema.ts derives the cluster file's JSON Schema from it. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Clusterflow')
      .setDescription('Create Kubernetes-ready clusters on AWS and run their day-2 operations')
      .setVersion('v1')
      .addBearerAuth()
      .addGlobalParameters({
        in: 'header',
        name: 'X-Clusterflow-Project',
        required: false,
        description: 'admin token: the project to act in (absent: default); a project token may name only its own',
        // As the guard checks it (chosenProject): anything else is a 400.
        schema: { type: 'string', pattern: PROJECT_NAME_PATTERN.source },
      })
      .build(),
  );
  const controllers = [...app.get(ModulesContainer).values()].flatMap((module) => [...module.controllers.values()].map((wrapper) => wrapper.metatype as Type));
  // A rule it cannot state is left out of the schema; test/unit/openapi-contract.test.ts fails on it.
  applyContract(document, controllers);
  return document;
}

export interface ApiAppOptions {
  /** Where the JSON log lines go; stdout unless told (tests read them). */
  logDestination?: DestinationStream;
}

/**
 * Builds the API (not yet listening): used by main.ts and by tests that want it in-process.
 * `logLevels` are Nest's names; the lowest one is the JSON logger's level.
 */
export async function createApiApp(config: ClusterflowConfig, logLevels: LogLevel[] = ['log', 'warn', 'error'], options: ApiAppOptions = {}): Promise<ApiApp> {
  const pinoLogger = createLogger('api', { level: pinoLevelOf(logLevels), destination: options.logDestination });
  const nestLogger = new NestPinoLogger(pinoLogger);
  const warn = (message: string): void => {
    pinoLogger.warn({ context: 'api' }, message);
  };
  ensureDataDir(config, warn);
  const { token, generated } = resolveApiToken(config, warn);
  const store = await openStore(config, warn);
  const settings = { config, apiToken: token, secretBox: resolveSecretBox(config, warn) };
  // One spelling per route: `/V1/...` and `/v1/clusters/` match nothing (404) instead of
  // reaching a handler under a spelling that other layers may not recognise. Set before Nest
  // registers anything, since Express reads both when it first builds its router.
  const server = express();
  server.set('case sensitive routing', true);
  server.set('strict routing', true);
  const metrics = new ApiMetrics();
  const app = await NestFactory.create(AppModule.with(settings, store, metrics), new ExpressAdapter(server), { logger: nestLogger, bodyParser: false });
  // First, so that every request is logged and counted, those the body checks refuse included.
  app.use(httpObservability(pinoLogger, metrics));
  // Our own JSON parser, shape guard and error handler, so a malformed, oversized or too
  // deeply nested body gets the contract's 400 or 413 before anything recurses into it.
  app.use(json({ limit: MAX_BODY_BYTES }));
  app.use(bodyShapeGuard);
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const body = bodyParserErrorBody(error);
    if (!body) return next(error);
    res.status(body.statusCode).json(body);
  });
  app.useGlobalPipes(contractValidationPipe());
  app.enableShutdownHooks();
  const document = openApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return { app, token, tokenGenerated: generated, logger: pinoLogger };
}
