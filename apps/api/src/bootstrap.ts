import path from 'node:path';
import { Logger, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import type { RucheConfig } from './config/configuration.js';
import { AppModule, type AppOptions } from './app.module.js';
import type { EventStore } from '#ruche/eventstore';
import { EVENT_STORE } from '#ruche/platform';
import { seedDemoAcademy } from '../../../seeds/demo-academy.js';
import { flattenValidationErrors, ProblemDetailsFilter, RequestValidationException, sendProblem, toProblem } from './http/problem.js';

/** The web app's files: apps/web/public in the source tree (dist/ runs from the same root). */
const WEB_ROOT = path.resolve(process.cwd(), 'apps/web/public');

/** Largest JSON body accepted; larger ones get a 413 problem before any handler runs. */
export const MAX_JSON_BODY = '1mb';

/** Builds the Nest application with every global concern, without listening. */
export async function createApp(config: RucheConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bodyParser: false,
    logger: config.nodeEnv === 'test' ? ['error', 'warn'] : ['log', 'error', 'warn'],
  });
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(cookieParser());
  app.useBodyParser('json', { limit: MAX_JSON_BODY });
  // Body-parser errors happen before Nest's filters can see them: answer them as problems here.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    sendProblem(res, toProblem(error));
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new RequestValidationException(flattenValidationErrors(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  app.useStaticAssets(WEB_ROOT, { index: 'index.html' });
  setUpOpenApi(app);
  return app;
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Ruche API')
      .setDescription('Espaces collaboratifs des équipes du numérique éducatif — the public HTTP contract')
      .setVersion('1')
      .addCookieAuth('ruche_session')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
}

export async function startServer(config: RucheConfig): Promise<INestApplication> {
  const app = await createApp(config);
  await app.init();
  await seedIfEmpty(app, config);
  await app.listen(config.port);
  new Logger('Ruche').log(
    `Ruche listens on http://localhost:${config.port} (event log: ${config.eventStore}, read models: ${config.readStore})`,
  );
  return app;
}

/** SEED=demo writes the demo académie through commands, once, on an empty log. */
async function seedIfEmpty(app: INestApplication, config: RucheConfig): Promise<void> {
  if (config.seed !== 'demo') return;
  const store = app.get<EventStore>(EVENT_STORE);
  if ((await store.headPosition()) > 0) return;
  const logger = new Logger('Seed');
  logger.log('Empty event log: seeding the demo académie');
  await seedDemoAcademy(app, (done, total, label) => logger.log(`[${done}/${total}] ${label}`));
}
