import { Controller, ForbiddenException, Get, Inject, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { hasRole } from '#ruche/domain-kit';
import type { SqlDatabase } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, PageQueryDto, READ_DB, toPage, type Page } from '#ruche/platform';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';

const TYPES = ['SignInSucceeded', 'SignInFailed', 'SignedOut', 'SessionExpired', 'AccessDenied', 'OriginRefused', 'RateLimited', 'RoleChanged'] as const;

export class AuditQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(TYPES, { message: `type must be one of ${TYPES.join(', ')}` })
  type?: (typeof TYPES)[number];
}

export interface AuditItem {
  position: number;
  type: string;
  at: string;
  userId: string | null;
  byUserId: string | null;
  ip: string | null;
  method: string | null;
  path: string | null;
  reason: string;
  details: Record<string, string | number>;
}

interface AuditRow {
  position: number;
  type: string;
  at: string;
  user_id: string | null;
  by_user_id: string | null;
  ip: string | null;
  method: string | null;
  path: string | null;
  reason: string;
  details: string;
}

/** The audit trail, newest first: sign-ins and their failures, refusals, role changes. Dane only. */
@ApiTags('security')
@ApiCookieAuth()
@Controller('api/security')
export class SecurityAuditController {
  constructor(@Inject(READ_DB) private readonly db: SqlDatabase) {}

  @Get('audit')
  @ApiOperation({ summary: 'The audit trail of security facts, newest first (dane only); ?type= filters' })
  async audit(@CurrentUser() user: SignedInUser, @Query() query: AuditQueryDto): Promise<Page<AuditItem>> {
    if (!hasRole(user, 'dane')) throw new ForbiddenException('Only a dane reads the audit trail');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [before] = (decodeCursor(query.cursor, 1) ?? [Number.MAX_SAFE_INTEGER]) as [number];
    const params: (string | number)[] = [before, limit + 1];
    const byType = query.type ? `AND type = $3` : '';
    if (query.type) params.push(query.type);
    const rows = await this.db.query<AuditRow>(
      `SELECT position, type, at, user_id, by_user_id, ip, method, path, reason, details FROM security_audit
       WHERE position < $1 ${byType} ORDER BY position DESC LIMIT $2`,
      params,
    );
    return toPage(
      rows,
      limit,
      (row): AuditItem => ({
        position: Number(row.position),
        type: row.type,
        at: row.at,
        userId: row.user_id,
        byUserId: row.by_user_id,
        ip: row.ip,
        method: row.method,
        path: row.path,
        reason: row.reason,
        details: JSON.parse(row.details) as Record<string, string | number>,
      }),
      (row) => [Number(row.position)],
    );
  }
}
