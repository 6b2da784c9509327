import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { GLOBAL_ROLES } from '#ruche/domain-kit';

export class DevLoginDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'rrupn.0061234X@ac-nice.fr' })
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 120, example: 'Camille Martin' })
  @IsOptional()
  @IsString()
  @Length(1, 120)
  displayName?: string;

  @ApiPropertyOptional({ enum: GLOBAL_ROLES, isArray: true, minItems: 1, maxItems: 8, example: ['rrupn'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsIn(GLOBAL_ROLES, { each: true, message: `each role must be one of ${GLOBAL_ROLES.join(', ')}` })
  roles?: string[];

  @ApiPropertyOptional({ pattern: '^\\d{7}[A-Za-z]$', example: '0061234X', description: '7 digits and a letter' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{7}[A-Za-z]$/, { message: 'uai must be 7 digits followed by a letter' })
  uai?: string;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'email' }) email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ isArray: true, enum: GLOBAL_ROLES }) roles!: string[];
  @ApiPropertyOptional() uai?: string;
}

export class SignedInDto extends MeDto {
  @ApiProperty({ type: 'integer', description: 'log position of the sign-in: send it as X-Min-Position to read your write' }) position!: number;
}

export class AuthModeDto {
  @ApiProperty({
    enum: ['dev', 'oidc'],
    description: 'how people sign in here: dev (POST /api/auth/dev-login, by e-mail) or oidc (GET /api/auth/oidc/login, the académie’s identity provider)',
  })
  mode!: 'dev' | 'oidc';
}

export class OidcLogoutDto {
  @ApiProperty({ format: 'uri', description: "where to send the browser: the identity provider's end-session endpoint, or this site" }) redirectTo!: string;
}
