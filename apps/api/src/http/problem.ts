import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  type ArgumentMetadata,
  type PipeTransform,
} from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger';
import type { ValidationError } from 'class-validator';
import type { Request, Response } from 'express';
import { InvalidAppendError, WrongExpectedVersionError } from '#ruche/eventstore';
import { DomainError, type DomainErrorCode } from '#ruche/domain-kit';

/** One bad field of a request. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error of the API answers. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The OpenAPI schema of {@link ProblemDetails}, shared by every error answer of the document. */
export const PROBLEM_DETAILS_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', example: 'urn:ruche:problem:400' },
    title: { type: 'string', example: 'Invalid request' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string', example: 'The request has invalid fields' },
    errors: {
      type: 'array',
      description: 'each bad field, named with its path',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', example: 'name' }, message: { type: 'string', example: 'name must not be blank' } },
      },
    },
  },
};

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  408: 'Request timeout',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  431: 'Request header fields too large',
  500: 'Internal error',
};

export function problem(status: number, detail: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  const title = TITLES[status] ?? HttpStatus[status] ?? 'Error';
  return { type: `urn:ruche:problem:${status}`, title, status, detail, ...extra };
}

/** Thrown by the global ValidationPipe: every bad field, named with its path. */
export class RequestValidationException extends HttpException {
  constructor(readonly fieldErrors: FieldError[]) {
    super(problem(400, 'The request has invalid fields', { errors: fieldErrors }), 400);
  }
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
};

/** The one place where errors become HTTP problems. */
export function toProblem(exception: unknown): ProblemDetails {
  if (exception instanceof RequestValidationException) {
    return problem(400, 'The request has invalid fields', { errors: exception.fieldErrors });
  }
  if (exception instanceof DomainError) {
    const status = DOMAIN_STATUS[exception.code];
    return problem(status, exception.message, {
      ...(exception.details ?? {}),
      ...(exception.field ? { errors: [{ field: exception.field, message: exception.message }] } : {}),
    });
  }
  if (exception instanceof WrongExpectedVersionError) {
    return problem(409, 'The resource changed meanwhile: reload it and try again', { currentRevision: exception.actual });
  }
  if (exception instanceof InvalidAppendError) {
    return problem(400, exception.message, { errors: [{ field: exception.field, message: exception.reason }] });
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
    return problem(status, Array.isArray(message) ? message.join('; ') : String(message));
  }
  const bodyParserError = exception as { type?: string; status?: number };
  if (bodyParserError?.type === 'entity.too.large') return problem(413, 'The request body is too large');
  if (bodyParserError?.type === 'entity.parse.failed') {
    return problem(400, 'The request body is not valid JSON', { errors: [{ field: 'body', message: 'must be valid JSON' }] });
  }
  if (typeof bodyParserError?.status === 'number' && bodyParserError.status >= 400 && bodyParserError.status < 500) {
    return problem(bodyParserError.status, (exception as Error).message);
  }
  return problem(500, 'Something went wrong on our side; it has been logged');
}

export function sendProblem(response: Response, details: ProblemDetails): void {
  response.status(details.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(details));
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const details = toProblem(exception);
    if (details.status >= 500) {
      const request = http.getRequest<Request>();
      this.logger.error(`${request.method} ${request.url}: ${(exception as Error)?.stack ?? String(exception)}`);
    }
    sendProblem(http.getResponse<Response>(), details);
  }
}

/**
 * Errors of Node's HTTP parser (a request line or headers over 16 KB, a malformed request) never
 * reach Express: Node answers them itself with an empty body unless someone listens. Answer them
 * as problems, as every other error.
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this keep-alive socket cannot be followed by another one.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const details =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? problem(431, 'The request line or headers are too large: shorten the URL (at most 16 KB with the headers)')
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? problem(408, 'The request took too long to arrive')
          : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
            ? problem(413, 'The request body is too large')
            : problem(400, 'The request is not well-formed HTTP');
    const body = JSON.stringify(details);
    socket.end(
      `HTTP/1.1 ${details.status} ${STATUS_CODES[details.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** Deepest nesting a body, query or parameter may have: our DTOs nest a few levels at most. */
export const MAX_INPUT_DEPTH = 32;

/** NUL (PostgreSQL text cannot hold it) and lone surrogates (UTF-8 cannot encode them). */
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/** Keys class-transformer drops without a word, so that `forbidNonWhitelisted` never sees them. */
const HIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/**
 * The global pipe that runs before the ValidationPipe, on every body, query and path parameter:
 * - nesting deeper than {@link MAX_INPUT_DEPTH} is refused, as class-transformer recurses once
 *   per level and overflows the stack on a 1 MB body of `[[[[…]]]]`;
 * - text that no store can keep is refused: a NUL stored in an event would make every PostgreSQL
 *   projection fail on it, and validator.js throws on lone surrogates (`isEmail`);
 * - `__proto__` and `constructor` keys are refused as any unknown field would be.
 * It walks with its own stack, so hostile input cannot overflow it.
 */
@Injectable()
export class InputShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const root = metadata.type === 'body' ? '' : (metadata.data ?? '');
    const refuse = (field: string, message: string): never => {
      throw new RequestValidationException([{ field: field || (metadata.type === 'body' ? 'body' : metadata.type), message }]);
    };
    const pending: [unknown, string, number][] = [[value, root, 0]];
    while (pending.length > 0) {
      const [node, field, depth] = pending.pop()!;
      if (typeof node === 'string') {
        if (UNSTORABLE.test(node)) refuse(field, 'must be valid Unicode text without NUL characters');
        continue;
      }
      if (node === null || typeof node !== 'object') continue;
      // Only what parsers of JSON and query strings build: a Buffer or a stream is not walked.
      const prototype = Object.getPrototypeOf(node) as unknown;
      if (!Array.isArray(node) && prototype !== Object.prototype && prototype !== null) continue;
      // Named by its outermost field: the full path of a too-deep value is as long as the problem.
      if (depth >= MAX_INPUT_DEPTH) refuse(field.split('.')[0]!, `must not nest deeper than ${MAX_INPUT_DEPTH} levels`);
      for (const [key, child] of Object.entries(node)) {
        const path = field ? `${field}.${key}` : key;
        if (UNSTORABLE.test(key)) refuse(field, 'field names must be valid Unicode text without NUL characters');
        if (HIDDEN_KEYS.has(key)) refuse(path, `${key} is not an accepted field`);
        pending.push([child, path, depth + 1]);
      }
    }
    return value;
  }
}
