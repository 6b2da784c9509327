import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// GET /api/health's answer, for the OpenAPI document only (health.controller.ts builds it).
// Fields marked "dane" are sent to a signed-in dane only; the others to anyone.

const STATUSES = ['up', 'down'];
const PROJECTION_STATES = ['running', 'failed', 'rebuilding', 'outdated', 'new'];
const FEED_STATES = ['starting', 'running', 'failed', 'outdated', 'stopped'];

export class StoreHealthDto {
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ example: 'sqlite', description: 'sqlite, postgres or kurrentdb' }) adapter!: string;
  @ApiPropertyOptional({ type: 'integer', description: 'dane: the last position of the event log' }) lastPosition?: number;
  @ApiPropertyOptional({ description: 'dane: why it is down' }) detail?: string;
}

export class ReadStoreHealthDto {
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ example: 'sqlite', description: 'sqlite or postgres' }) adapter!: string;
  @ApiPropertyOptional({ description: 'dane: why it is down' }) detail?: string;
}

export class RebuildProgressDto {
  @ApiProperty({ type: 'integer' }) position!: number;
  @ApiProperty({ type: 'integer', nullable: true }) head!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) heartbeat!: string | null;
}

export class ProjectionHealthDto {
  @ApiProperty({ example: 'spaces' }) name!: string;
  @ApiProperty({ type: 'integer', description: 'head of the log minus its position' }) lag!: number;
  @ApiPropertyOptional({ type: 'integer', description: 'dane: version of the code' }) version?: number;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'dane: version that built the live tables' }) storedVersion?: number | null;
  @ApiPropertyOptional({ type: 'integer', description: 'dane' }) position?: number;
  @ApiPropertyOptional({ enum: PROJECTION_STATES, description: 'dane' }) state?: string;
  @ApiPropertyOptional({ enum: FEED_STATES, description: "dane: what this process's feed is doing" }) feed?: string;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'dane' }) generation?: number | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'dane' }) updatedAt?: string | null;
  @ApiPropertyOptional({ description: 'dane: why it failed' }) error?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'dane: the event it failed on' }) failedPosition?: number;
  @ApiPropertyOptional({ type: () => RebuildProgressDto, description: 'dane: a rebuild in progress' }) rebuild?: RebuildProgressDto;
}

export class HealthDto {
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ type: () => StoreHealthDto }) eventStore!: StoreHealthDto;
  @ApiProperty({ type: () => ReadStoreHealthDto }) readStore!: ReadStoreHealthDto;
  @ApiPropertyOptional({ type: 'integer', description: 'dane: the head of the event log' }) head?: number;
  @ApiProperty({ type: [ProjectionHealthDto], description: 'empty when the read models cannot be read' }) projections!: ProjectionHealthDto[];
}

/** GET /api/health/live. */
export class LivenessDto {
  @ApiProperty({ enum: ['up'] }) status!: string;
}

/** GET /api/health/ready (200 up, 503 down, with the reasons and no error text). */
export class ReadinessDto {
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ type: [String], example: ['shutting down'] }) reasons!: string[];
}
