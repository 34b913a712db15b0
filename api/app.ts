import 'reflect-metadata';
import { INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ClusterflowConfig } from '../common/config';
import { ensureDataDir, resolveApiToken, resolveSecretBox } from '../common/data-dir';
import express, { json, NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { bodyShapeGuard, MAX_BODY_BYTES } from './common/body-limits';
import { bodyParserErrorBody } from './common/error-shape';
import { contractValidationPipe } from './common/validation';
import { SqliteStore } from '../store/sqlite-store';

export interface ApiApp {
  app: INestApplication;
  token: string;
  tokenGenerated: boolean;
}

/** The OpenAPI document the API serves at /docs-json; scripts/cluster-schema.ts derives the cluster file's JSON Schema from it. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
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
        schema: { type: 'string' },
      })
      .build(),
  );
}

/** Builds the API (not yet listening): used by main.ts and by tests that want it in-process. */
export async function createApiApp(config: ClusterflowConfig, logLevels: LogLevel[] = ['log', 'warn', 'error']): Promise<ApiApp> {
  const logger = new Logger('api');
  const warn = (message: string): void => {
    if (logLevels.includes('warn')) logger.warn(message);
  };
  ensureDataDir(config, warn);
  const { token, generated } = resolveApiToken(config, warn);
  const store = new SqliteStore(config.dataDir, warn);
  const settings = { config, apiToken: token, secretBox: resolveSecretBox(config, warn) };
  // One spelling per route: `/V1/...` and `/v1/clusters/` match nothing (404) instead of
  // reaching a handler under a spelling that other layers may not recognise. Set before Nest
  // registers anything, since Express reads both when it first builds its router.
  const server = express();
  server.set('case sensitive routing', true);
  server.set('strict routing', true);
  const app = await NestFactory.create(AppModule.with(settings, store), new ExpressAdapter(server), { logger: logLevels, bodyParser: false });
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
  return { app, token, tokenGenerated: generated };
}
