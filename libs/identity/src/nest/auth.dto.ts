import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { GLOBAL_ROLES } from '#ruche/domain-kit';

export class DevLoginDto {
  @ApiProperty({ example: 'rrupn.0061234X@ac-nice.fr' })
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ example: 'Camille Martin' })
  @IsOptional()
  @IsString()
  @Length(1, 120)
  displayName?: string;

  @ApiPropertyOptional({ enum: GLOBAL_ROLES, isArray: true, example: ['rrupn'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsIn(GLOBAL_ROLES, { each: true, message: `each role must be one of ${GLOBAL_ROLES.join(', ')}` })
  roles?: string[];

  @ApiPropertyOptional({ example: '0061234X', description: '7 digits and a letter' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{7}[A-Za-z]$/, { message: 'uai must be 7 digits followed by a letter' })
  uai?: string;
}

export class MeDto {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ isArray: true, enum: GLOBAL_ROLES }) roles!: string[];
  @ApiPropertyOptional() uai?: string;
}
