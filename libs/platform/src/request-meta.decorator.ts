import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestMeta } from './command-runner.js';
import { newCommandId } from './handle-command.js';
import type { RequestWithMeta } from './idempotency.interceptor.js';

/** The request's command id and correlation id (set by IdempotencyInterceptor). */
export const Meta = createParamDecorator((_data: unknown, context: ExecutionContext): RequestMeta => {
  const request = context.switchToHttp().getRequest<RequestWithMeta>();
  if (request.commandMeta) return request.commandMeta;
  const commandId = newCommandId();
  return { commandId, correlationId: commandId };
});
