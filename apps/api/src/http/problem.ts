import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
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

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  429: 'Too many requests',
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
};

/** The one place where errors become HTTP problems. */
export function toProblem(exception: unknown): ProblemDetails {
  if (exception instanceof RequestValidationException) {
    return problem(400, 'The request has invalid fields', { errors: exception.fieldErrors });
  }
  if (exception instanceof DomainError) {
    const status = DOMAIN_STATUS[exception.code];
    return problem(status, exception.message, exception.field ? { errors: [{ field: exception.field, message: exception.message }] } : {});
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
