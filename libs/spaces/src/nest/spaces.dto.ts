import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '#ruche/platform';
import { SPACE_DESCRIPTION_MAX, SPACE_KINDS, SPACE_NAME_MAX, SPACE_ROLES, SPACE_VISIBILITIES } from '../space.js';

const UAI = /^\s*\d{7}[A-Za-z]\s*$/;

export class CreateSpaceDto {
  @ApiProperty({ example: 'TRIBU PIX académique', maxLength: SPACE_NAME_MAX })
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @Length(1, SPACE_NAME_MAX)
  name!: string;

  @ApiProperty({ enum: SPACE_KINDS })
  @IsIn(SPACE_KINDS, { message: `kind must be one of ${SPACE_KINDS.join(', ')}` })
  kind!: string;

  @ApiProperty({ enum: SPACE_VISIBILITIES })
  @IsIn(SPACE_VISIBILITIES, { message: `visibility must be one of ${SPACE_VISIBILITIES.join(', ')}` })
  visibility!: string;

  @ApiPropertyOptional({ maxLength: SPACE_DESCRIPTION_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(SPACE_DESCRIPTION_MAX)
  description?: string;

  @ApiPropertyOptional({ example: '0061234X', description: 'establishment spaces only: 7 digits and a letter' })
  @IsOptional()
  @IsString()
  @Matches(UAI, { message: 'uai must be 7 digits followed by a letter' })
  uai?: string;

  @ApiPropertyOptional({ description: "e.g. the académie's TRIBU PIX space" })
  @IsOptional()
  @IsUUID('all', { message: 'parentSpaceId must be a UUID' })
  parentSpaceId?: string;
}

export class UpdateSpaceDto {
  @ApiPropertyOptional({ maxLength: SPACE_NAME_MAX })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @Length(1, SPACE_NAME_MAX)
  name?: string;

  @ApiPropertyOptional({ maxLength: SPACE_DESCRIPTION_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(SPACE_DESCRIPTION_MAX)
  description?: string;

  @ApiPropertyOptional({ enum: SPACE_VISIBILITIES })
  @IsOptional()
  @IsIn(SPACE_VISIBILITIES, { message: `visibility must be one of ${SPACE_VISIBILITIES.join(', ')}` })
  visibility?: string;
}

export class ListSpacesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: SPACE_KINDS })
  @IsOptional()
  @IsIn(SPACE_KINDS, { message: `kind must be one of ${SPACE_KINDS.join(', ')}` })
  kind?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(UAI, { message: 'uai must be 7 digits followed by a letter' })
  uai?: string;

  @ApiPropertyOptional({ description: 'searches the names' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class AddMemberDto {
  @ApiProperty({ example: 'referent.pix@ac-nice.fr' })
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ enum: SPACE_ROLES })
  @IsIn(SPACE_ROLES, { message: `role must be one of ${SPACE_ROLES.join(', ')}` })
  role!: string;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: SPACE_ROLES })
  @IsIn(SPACE_ROLES, { message: `role must be one of ${SPACE_ROLES.join(', ')}` })
  role!: string;
}

export class SpaceIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class SpaceMemberParams extends SpaceIdParams {
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;
}

export class LandedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: "revision of the stream's last event" }) revision!: number;
  @ApiProperty({ description: 'log position of the last event: send it as X-Min-Position to read your write' })
  position!: number;
}

// Answers, for the OpenAPI document only (space.queries.ts builds them).

export class MemberAddedDto extends LandedDto {
  @ApiProperty({ format: 'uuid', description: 'the member, registered on the spot when the e-mail was new' }) userId!: string;
}

export class SpacePermissionsDto {
  @ApiProperty() read!: boolean;
  @ApiProperty() contribute!: boolean;
  @ApiProperty() manage!: boolean;
}

export class SpaceCardDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: "'' when none was given" }) description!: string;
  @ApiProperty({ enum: SPACE_KINDS }) kind!: string;
  @ApiProperty({ enum: SPACE_VISIBILITIES }) visibility!: string;
  @ApiPropertyOptional({ example: '0061234X', description: 'establishment spaces' }) uai?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'left out when the caller may not know the parent (a private space they are not in)' })
  parentSpaceId?: string;
  @ApiProperty({ type: 'integer' }) memberCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: 'integer', description: "revision of the space stream's last event" }) revision!: number;
}

export class SpaceViewDto extends SpaceCardDto {
  @ApiProperty({ enum: SPACE_ROLES, nullable: true, description: 'null when the caller is not a member' }) myRole!: string | null;
  @ApiProperty({ type: () => SpacePermissionsDto, description: 'what the caller may do here' }) permissions!: SpacePermissionsDto;
  @ApiPropertyOptional({ type: 'integer', description: "the caller's unread forum topics here (0 when they may not read the space)" })
  unreadTopics?: number;
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: SPACE_ROLES }) role!: string;
  @ApiProperty({ format: 'date-time' }) joinedAt!: string;
}

export class JoinRequestDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
}

export class ActivityPersonDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() displayName!: string;
}

export class ActivityItemDto {
  @ApiProperty({ type: 'integer', description: 'log position of the event' }) position!: number;
  @ApiProperty({ example: 'MemberJoined', description: 'the event type' }) type!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: () => ActivityPersonDto, description: 'who did it' }) actor!: ActivityPersonDto;
  @ApiPropertyOptional({ type: () => ActivityPersonDto, description: 'the member it was done to, when it was done to one' })
  subject?: ActivityPersonDto;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "the event's readable details (names, roles, changed fields), by event type" })
  details!: Record<string, unknown>;
}
