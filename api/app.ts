import 'reflect-metadata';
import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ClusterflowConfig } from '../common/config';
import { ensureDataDir, resolveApiToken, resolveSecretBox } from '../common/data-dir';
import { json, NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { bodyParserErrorBody } from './common/error-shape';
import { contractValidationPipe } from './common/validation';
import { SqliteStore } from './store/sqlite-store';

export interface ApiApp {
  app: INestApplication;
  token: string;
  tokenGenerated: boolean;
}

/** Builds the API (not yet listening): used by main.ts and by tests that want it in-process. */
export async function createApiApp(config: ClusterflowConfig, logLevels: LogLevel[] = ['log', 'warn', 'error']): Promise<ApiApp> {
  ensureDataDir(config);
  const { token, generated } = resolveApiToken(config);
  const store = new SqliteStore(config.dataDir);
  const settings = { config, apiToken: token, secretBox: resolveSecretBox(config) };
  const app = await NestFactory.create(AppModule.with(settings, store), { logger: logLevels, bodyParser: false });
  // Our own JSON parser and its error handler, so a malformed body gets the contract's 400.
  app.use(json({ limit: '1mb' }));
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const body = bodyParserErrorBody(error);
    if (!body) return next(error);
    res.status(body.statusCode).json(body);
  });
  app.useGlobalPipes(contractValidationPipe());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Clusterflow')
      .setDescription('Create Kubernetes-ready clusters on AWS and run their day-2 operations')
      .setVersion('v1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return { app, token, tokenGenerated: generated };
}
