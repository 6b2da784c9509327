import { createHash } from 'node:crypto';
import {
  HttpException,
  Inject,
  Injectable,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { from, of, type Observable } from 'rxjs';
import { mergeMap } from 'rxjs/operators';
import { DomainError } from '#ruche/domain-kit';
import { createTablesOnce, type SqlDatabase } from '#ruche/projections';
import { newCommandId } from './handle-command.js';
import type { RequestMeta } from './command-runner.js';
import { CLOCK, READ_DB, type Clock } from './tokens.js';

/** Routes that are not commands on the log (sign-in sets a cookie a replay could not give back). */
export const SKIP_IDEMPOTENCY = 'ruche:skip-idempotency';
export const SkipIdempotency = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_IDEMPOTENCY, true);

/** How long a key is remembered: a client retries within minutes, not days. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600 * 1000;

const KEY = /^[\x21-\x7e]{1,200}$/;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RequestWithMeta extends Request {
  commandMeta?: RequestMeta;
  user?: { userId: string };
}

interface KeyRow {
  request_hash: string;
  command_id: string;
  status_code: number | null;
  response: string | null;
}

/** The same key with another body: API.md answers 422. */
export class IdempotencyKeyReusedException extends HttpException {
  constructor() {
    super('This Idempotency-Key was used with another request: use a new key for a new request', 422);
  }
}

/**
 * Gives every request its command id, and makes a command sent with an `Idempotency-Key` land
 * once: the first request records the key (scoped to the caller) with a fresh command id before
 * running; a retry with the same key and request answers the recorded result and writes nothing;
 * the same key with another request is 422. A retry that finds the key without a result (the
 * first attempt died, or its answer was lost) runs again with the same command id, and
 * handleCommand answers from the events that attempt had written, if any.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnModuleInit {
  private lastSweep = 0;

  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly reflector: Reflector,
  ) {}

  async onModuleInit(): Promise<void> {
    await createTablesOnce(this.db, [
      `CREATE TABLE IF NOT EXISTS idempotency_keys (
         scope TEXT NOT NULL,
         key TEXT NOT NULL,
         request_hash TEXT NOT NULL,
         command_id TEXT NOT NULL,
         status_code INTEGER,
         response TEXT,
         created_at TEXT NOT NULL,
         PRIMARY KEY (scope, key)
       )`,
      'CREATE INDEX IF NOT EXISTS idempotency_keys_by_created_at ON idempotency_keys (created_at)',
    ]);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<RequestWithMeta>();
    const correlation = request.header('x-correlation-id');
    const correlationOf = (commandId: string): string =>
      correlation && /^[\x21-\x7e]{1,100}$/.test(correlation) ? correlation : commandId;
    const key = request.header('idempotency-key');
    const skip = this.reflector.getAllAndOverride<boolean>(SKIP_IDEMPOTENCY, [context.getHandler(), context.getClass()]);
    if (key === undefined || !WRITES.has(request.method) || skip) {
      const commandId = newCommandId();
      request.commandMeta = { commandId, correlationId: correlationOf(commandId) };
      return next.handle();
    }
    if (!KEY.test(key)) throw DomainError.validation('Idempotency-Key', 'Idempotency-Key must be 1 to 200 visible ASCII characters');

    const scope = request.user?.userId ?? 'anonymous';
    const hash = createHash('sha256')
      .update(`${request.method} ${request.originalUrl}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    await this.sweep();
    let row = await this.find(scope, key);
    if (!row) {
      const commandId = newCommandId();
      await this.db.execute(
        `INSERT INTO idempotency_keys (scope, key, request_hash, command_id, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (scope, key) DO NOTHING`,
        [scope, key, hash, commandId, this.clock.now().toISOString()],
      );
      row = (await this.find(scope, key))!;
    }
    if (row.request_hash !== hash) throw new IdempotencyKeyReusedException();
    if (row.status_code !== null && row.response !== null) {
      context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>().setHeader('Idempotent-Replayed', 'true');
      return of(JSON.parse(row.response) as unknown);
    }
    request.commandMeta = { commandId: row.command_id, correlationId: correlationOf(row.command_id) };
    const statusCode = (): number => context.switchToHttp().getResponse<{ statusCode: number }>().statusCode;
    return next.handle().pipe(
      mergeMap((body: unknown) =>
        from(
          this.db
            .execute('UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE scope = $1 AND key = $2', [
              scope,
              key,
              statusCode(),
              JSON.stringify(body ?? null),
            ])
            .then(() => body),
        ),
      ),
    );
  }

  private find(scope: string, key: string): Promise<KeyRow | undefined> {
    return this.db.queryOne<KeyRow>('SELECT request_hash, command_id, status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2', [
      scope,
      key,
    ]);
  }

  /** Forgets keys past their time, at most once a minute. */
  private async sweep(): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    await this.db.execute('DELETE FROM idempotency_keys WHERE created_at < $1', [new Date(now - IDEMPOTENCY_KEY_TTL_MS).toISOString()]);
  }
}
