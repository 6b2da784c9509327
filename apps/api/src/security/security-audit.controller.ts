import { Controller, ForbiddenException, Get, Inject, Query, UseInterceptors } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { hasRole } from '#ruche/domain-kit';
import type { SqlDatabase } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, MinPositionInterceptor, PageQueryDto, READ_DB, ReadsFrom, toPage, type Page } from '#ruche/platform';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';

const TYPES = ['SignInSucceeded', 'SignInFailed', 'SignedOut', 'SessionExpired', 'AccessDenied', 'OriginRefused', 'RateLimited', 'RoleChanged'] as const;

export class AuditQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(TYPES, { message: `type must be one of ${TYPES.join(', ')}` })
  type?: (typeof TYPES)[number];
}

export interface AuditItem {
  id: string;
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
  id: string;
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
@UseInterceptors(MinPositionInterceptor)
@ReadsFrom('security_audit')
@Controller('api/security')
export class SecurityAuditController {
  constructor(@Inject(READ_DB) private readonly db: SqlDatabase) {}

  @Get('audit')
  @ApiOperation({ summary: 'The audit trail of security facts, newest first (dane only); ?type= filters' })
  async audit(@CurrentUser() user: SignedInUser, @Query() query: AuditQueryDto): Promise<Page<AuditItem>> {
    if (!hasRole(user, 'dane')) throw new ForbiddenException('Only a dane reads the audit trail');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [beforeAt, beforeId] = (decodeCursor(query.cursor, 2) ?? ['9999', '']) as [string, string];
    const params: (string | number)[] = [beforeAt, beforeId, limit + 1];
    if (query.type) params.push(query.type);
    // Facts and role changes, newest first; a cursor is the (time, id) of the last item.
    const rows = await this.db.query<AuditRow>(
      `SELECT id, type, at, user_id, by_user_id, ip, method, path, reason, details FROM (
         SELECT id, type, at, user_id, NULL AS by_user_id, ip, method, path, reason, details FROM security_events
         UNION ALL
         SELECT id, 'RoleChanged' AS type, at, user_id, by_user_id, NULL AS ip, NULL AS method, NULL AS path,
                'roles set to ' || roles AS reason, '{}' AS details FROM security_audit
       ) audit
       WHERE (at < $1 OR (at = $1 AND id < $2)) ${query.type ? 'AND type = $4' : ''}
       ORDER BY at DESC, id DESC LIMIT $3`,
      params,
    );
    return toPage(
      rows,
      limit,
      (row): AuditItem => ({
        id: row.id,
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
      (row) => [row.at, row.id],
    );
  }
}
