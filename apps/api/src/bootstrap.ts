import fs from 'node:fs';
import path from 'node:path';
import { Logger, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject, type ParameterObject, type ResponseObject } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { NextFunction, Request, Response } from 'express';
import type { RucheConfig } from './config/configuration.js';
import { AppModule, type AppOptions } from './app.module.js';
import { securityHeaders } from './security/security-headers.js';
import type { EventStore } from '#ruche/eventstore';
import { EVENT_STORE } from '#ruche/platform';
import { DEMO_PERSONAS, seedDemoAcademy, seedDemoYear } from '../../../seeds/demo-academy.js';
import { DEMO_ESTABLISHMENTS } from '../../../seeds/demo-establishments.js';
import { yearProgress } from '../../../seeds/synthetic-year.js';
import {
  answerClientErrorsAsProblems,
  flattenValidationErrors,
  InputShapePipe,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_DETAILS_SCHEMA,
  ProblemDetailsFilter,
  RequestValidationException,
  sendProblem,
  toProblem,
} from './http/problem.js';

/** The web app as Vite builds it (apps/web → dist/web, `npm run build:web`); dist/ runs from the same root. */
const WEB_ROOT = path.resolve(process.cwd(), 'dist/web');

/** Largest JSON body accepted; larger ones get a 413 problem before any handler runs. */
export const MAX_JSON_BODY = '1mb';

/** Builds the Nest application with every global concern, without listening. */
export async function createApp(config: RucheConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bodyParser: false,
    logger: config.nodeEnv === 'test' ? ['error', 'warn'] : ['log', 'error', 'warn'],
    bufferLogs: true,
  });
  app.useLogger(app.get(PinoLogger));
  app.disable('x-powered-by');
  app.use(securityHeaders(config));
  app.set('trust proxy', config.trustProxy.split(',').map((part) => part.trim()));
  app.use(cookieParser());
  app.useBodyParser('json', { limit: MAX_JSON_BODY });
  // Body-parser errors happen before Nest's filters can see them: answer them as problems here.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    sendProblem(res, toProblem(error));
  });
  answerClientErrorsAsProblems(app.getHttpServer());
  app.useGlobalPipes(
    new InputShapePipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new RequestValidationException(flattenValidationErrors(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  // process.exit(0) once shut down, rather than re-raising the signal: the exit lets pino write out
  // what it still buffers (the last lines of the shutdown were lost under load otherwise).
  app.enableShutdownHooks([], { useProcessExit: true });
  // Hashed bundles are cached for good; index.html is revalidated so a new build shows at once.
  app.useStaticAssets(WEB_ROOT, {
    index: false,
    setHeaders: (res, file) => res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  app.use(serveWebApp(path.join(WEB_ROOT, 'index.html')));
  setUpOpenApi(app);
  return app;
}

/**
 * The web app's routes (/, /espaces/…, /connexion…) all answer its index.html: the browser's
 * router shows the page, or its French 404. /api, /socket.io, /assets and /metrics stay the server's.
 */
function serveWebApp(indexFile: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || /^\/(api|socket\.io|assets|metrics)(\/|$)/.test(req.path) || !fs.existsSync(indexFile)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  };
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
  completeOpenApiDocument(document);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
}

/** The errors every operation may answer (API.md, "Errors"), each as problem details. */
const PROBLEM_RESPONSES: Record<string, string> = {
  400: 'Invalid input (NUL characters, lone surrogates and nesting deeper than 32 levels included); `errors` names each bad field; nothing is written',
  401: 'Not signed in',
  403: 'Signed in, may see the resource, may not do this',
  404: 'Does not exist, or the caller may not know it exists',
  409: 'A concurrency conflict (stale revision) or a state conflict',
  413: 'Body too large',
  422: 'An Idempotency-Key reused with another body',
  429: 'Rate limited; Retry-After says when to try again',
  431: 'The URL and headers are over 16 KB',
  500: 'Something went wrong on our side; it has been logged',
};

/** Only operations that take a body can send one the parsers refuse. */
const BODY_PROBLEM_RESPONSES: Record<string, string> = { 415: 'Unsupported body encoding or charset' };

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * What Nest's generator leaves out, added to every operation so that a new controller is
 * documented without effort: each `{name}` of its path (DTO-typed `@Param()`s are not declared;
 * `id` and `...Id` are UUIDs), and the problem-details answers of API.md. Mutates the document.
 */
export function completeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ProblemDetails: PROBLEM_DETAILS_SCHEMA } };
  const problem = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } };
  for (const [route, item] of Object.entries(document.paths)) {
    const names = [...route.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    for (const method of HTTP_METHODS) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) continue;
      const parameters = (operation.parameters ??= []);
      for (const name of names) {
        const declared = parameters.some((p) => 'in' in p && p.in === 'path' && p.name === name);
        if (declared) continue;
        const uuid = name === 'id' || name.endsWith('Id');
        parameters.push({ name, in: 'path', required: true, schema: { type: 'string', ...(uuid ? { format: 'uuid' } : {}) } } satisfies ParameterObject);
      }
      const responses = operation.responses;
      const problems = { ...PROBLEM_RESPONSES, ...(operation.requestBody ? BODY_PROBLEM_RESPONSES : {}) };
      for (const [code, meaning] of Object.entries(problems)) {
        const existing = responses[code];
        if (existing && '$ref' in existing) continue;
        const description = existing?.description || meaning;
        const answer: ResponseObject = { ...existing, description, content: existing?.content ?? problem };
        if (code === '429') answer.headers = { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } };
        responses[code] = answer;
      }
    }
  }
  return document;
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
  const logger = new Logger('Seed');
  // One line each, so that JSON logs stay readable too.
  const personas = () =>
    [
      `Demo: open http://localhost:${config.port}/ and sign in as a persona (dev sign-in, e-mail only):`,
      ...DEMO_PERSONAS.map((persona) => `  ${persona.email.padEnd(28)} ${persona.displayName}`),
      `  or an establishment's RRUPN, rrupn.<UAI>@ac-demo.fr (${DEMO_ESTABLISHMENTS.length} more, e.g. ${DEMO_ESTABLISHMENTS[0]!.rrupn.email})`,
    ].forEach((line) => logger.log(line));
  if ((await store.headPosition()) > 0) return personas();
  logger.log('Empty event log: seeding the demo académie');
  const started = Date.now();
  const academy = await seedDemoAcademy(app, (done, total, label) => logger.log(`[${done}/${total}] ${label}`));
  // Then the school year so far, so every chart has a trend.
  const bar = yearProgress((line) => logger.log(line));
  const year = await seedDemoYear(app, { people: academy.people, progress: bar.update });
  bar.stop();
  logger.log(`Demo académie seeded in ${((Date.now() - started) / 1000).toFixed(1)} s (${year.events} events of the school year)`);
  personas();
}
