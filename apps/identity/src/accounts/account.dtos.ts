import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsBoolean,
  IsDateString,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { EDUCATION_LEVELS, type EducationLevel } from './education.entity';
import { ID_TYPES, type IdType } from './account.entity';

/** Mainland mobile numbers: 11 digits starting with 1[3-9]. */
export const PHONE_PATTERN = /^1[3-9]\d{9}$/;
/** Letters, digits, underscore; starts with a letter; 4–32 characters. */
export const USERNAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;
/** Chinese or Latin names; rare characters may be written as a homophone in brackets (ID-7). */
export const REAL_NAME_PATTERN = /^[\p{L}·•. \-[\]［］]{1,50}$/u;

export class EducationDto {
  @ApiProperty({ example: '北京理工大学' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  school!: string;

  @ApiProperty({ example: '质量管理工程' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  major!: string;

  @ApiProperty({ enum: EDUCATION_LEVELS })
  @IsIn(EDUCATION_LEVELS)
  level!: EducationLevel;

  @ApiPropertyOptional({ example: '工学学士' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  degree?: string;

  @ApiProperty({ example: '2008-09-01' })
  @IsDateString({ strict: true })
  @Length(10, 10)
  startDate!: string;

  @ApiProperty({ example: '2012-07-01' })
  @IsDateString({ strict: true })
  @Length(10, 10)
  endDate!: string;
}

export class IdentityConfirmationDto {
  @ApiProperty()
  @IsString()
  @Matches(REAL_NAME_PATTERN)
  realName!: string;

  @ApiProperty({ enum: ID_TYPES })
  @IsIn(ID_TYPES)
  idType!: IdType;

  @ApiProperty()
  @IsString()
  @Length(5, 20)
  idNumber!: string;
}

export class RegisterAccountDto {
  @ApiProperty({ example: 'zhangsan01' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must start with a letter and use 4-32 letters, digits or _' })
  username!: string;

  @ApiProperty({ description: '8–64 characters with letters and digits' })
  @IsString()
  @Length(1, 128)
  password!: string;

  @ApiProperty({ example: '王晓[沛]' })
  @IsString()
  @Matches(REAL_NAME_PATTERN)
  realName!: string;

  @ApiProperty({ enum: ID_TYPES })
  @IsIn(ID_TYPES)
  idType!: IdType;

  @ApiProperty()
  @IsString()
  @Length(5, 20)
  idNumber!: string;

  @ApiProperty({ example: '13800138000' })
  @IsString()
  @Matches(PHONE_PATTERN)
  phone!: string;

  @ApiProperty({ example: '123456' })
  @IsString()
  @Length(1, 10)
  smsCode!: string;

  @ApiProperty()
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ type: [EducationDto] })
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => EducationDto)
  educations!: EducationDto[];

  @ApiProperty({ type: IdentityConfirmationDto, description: 'second confirmation (ID-5)' })
  @ValidateNested()
  @Type(() => IdentityConfirmationDto)
  confirm!: IdentityConfirmationDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(2, 100)
  recoveryQuestion?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  recoveryAnswer?: string;

  @ApiProperty({ description: 'user agreement and notice accepted' })
  @IsOptional()
  @IsBoolean()
  @Equals(true)
  agreementAccepted?: boolean;
}

export class AvailabilityDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(USERNAME_PATTERN)
  username?: string;

  @ApiPropertyOptional({ enum: ID_TYPES })
  @IsOptional()
  @IsIn(ID_TYPES)
  idType?: IdType;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(5, 20)
  idNumber?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(PHONE_PATTERN)
  phone?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  email?: string;
}

export class RegisteredAccountDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['male', 'female'], nullable: true }) gender!: 'male' | 'female' | null;
  @ApiProperty({ nullable: true }) birthDate!: string | null;
}

