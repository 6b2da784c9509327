import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { v7 as uuidv7 } from 'uuid';
import type { RucheConfig } from '../config/configuration.js';

/** What a client may send as X-Request-Id / X-Correlation-Id: short, visible ASCII. */
const ID = /^[\x21-\x7e]{1,100}$/;

type Request = IncomingMessage & { id?: unknown; user?: { userId: string } };

/**
 * Request id and correlation id of a request: the client's X-Request-Id (or a new UUIDv7),
 * answered back in X-Request-Id; the correlation id is the client's X-Correlation-Id, else the
 * request id. It is written into X-Correlation-Id, where the IdempotencyInterceptor reads it for
 * the metadata of every event the request writes: a log line and its events share one id.
 */
export function requestIds(request: IncomingMessage, response: ServerResponse): string {
  const given = request.headers['x-request-id'];
  const id = typeof given === 'string' && ID.test(given) ? given : uuidv7();
  const correlation = request.headers['x-correlation-id'];
  if (typeof correlation !== 'string' || !ID.test(correlation)) request.headers['x-correlation-id'] = id;
  response.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Structured JSON logs (pino, through nestjs-pino): one line per request with its id, the
 * correlation id, the user, the route, the status and the time taken, and every Nest log line
 * in the same format. Cookies and authorization headers are never written. LOG_LEVEL sets the
 * level (default info; warn under NODE_ENV=test).
 */
@Module({})
export class LoggingModule {
  static forRoot(config: RucheConfig): DynamicModule {
    const level = process.env.LOG_LEVEL ?? (config.nodeEnv === 'test' ? 'warn' : 'info');
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level,
            genReqId: requestIds,
            customProps: (request) => ({
              correlationId: request.headers['x-correlation-id'],
              ...((request as Request).user ? { userId: (request as Request).user!.userId } : {}),
            }),
            redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[redacted]' },
            // Probes and scrapes every few seconds would drown the rest.
            autoLogging: { ignore: (request) => /^\/(metrics|api\/health)/.test(request.url ?? '') },
            customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
            serializers: {
              req: (request: { id: unknown; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url.split('?')[0] }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
          },
        }),
      ],
    };
  }
}
