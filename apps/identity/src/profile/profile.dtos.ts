import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsEmail, IsInt, IsNotEmpty, IsOptional, IsString, Length, Matches, MaxLength, Min } from 'class-validator';
import { PHONE_PATTERN } from '../accounts/account.dtos';

export class ChangePasswordDto {
  @ApiProperty() @IsString() @Length(1, 128) oldPassword!: string;
  @ApiProperty() @IsString() @Length(1, 128) newPassword!: string;
}

export class RecoveryQuestionDto {
  @ApiProperty() @IsString() @Length(2, 100) question!: string;
  @ApiProperty() @IsString() @Length(1, 100) answer!: string;
  @ApiProperty({ description: 'current password, to confirm the change' }) @IsString() @Length(1, 128) password!: string;
}

export class ChangePhoneDto {
  @ApiProperty() @IsString() @Matches(PHONE_PATTERN) newPhone!: string;
  @ApiProperty({ description: 'code sent to the new phone with purpose change-phone' }) @IsString() @Length(1, 10) smsCode!: string;
  @ApiProperty() @IsString() @Length(1, 128) password!: string;
}

export class ChangeEmailDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
}

/** Work experience (工作经历). */
export class WorkRecordDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) employer!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(100) position!: string;
  @ApiProperty() @IsDateString({ strict: true }) startDate!: string;
  @ApiPropertyOptional() @IsOptional() @IsDateString({ strict: true }) endDate?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) duties?: string;
}

/** Professional work experience (专业工作经历). */
export class ProfessionalWorkRecordDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) organisation!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(100) field!: string;
  @ApiProperty() @IsDateString({ strict: true }) startDate!: string;
  @ApiPropertyOptional() @IsOptional() @IsDateString({ strict: true }) endDate?: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(1000) content!: string;
}

/** Audit experience (审核经历): auditee, on-site days, audit type. */
export class AuditRecordDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) auditee!: string;
  @ApiProperty({ example: 'QMS' }) @IsString() @IsNotEmpty() @MaxLength(50) standard!: string;
  @ApiProperty({ example: 'initial' }) @IsString() @IsNotEmpty() @MaxLength(50) auditType!: string;
  @ApiProperty() @IsDateString({ strict: true }) startDate!: string;
  @ApiProperty() @IsInt() @Min(0) onSiteDays!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) role?: string;
}

/** Continuing education (继续教育). */
export class ContinuingEducationRecordDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) course!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) provider!: string;
  @ApiProperty() @IsDateString({ strict: true }) completedOn!: string;
  @ApiProperty() @IsInt() @Min(1) hours!: number;
}
