import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import {
  ALL_FIELD_CODES,
  APPLICATION_KIND_CODES,
  APPLICATION_TYPE_CODES,
  GRADES,
  PAYMENT_BY_CODES,
  RECORD_KIND_CODES,
  type RecordKind,
} from './application-catalogue';

/**
 * The application form (个人注册申请, CE-1) as a draft holds it: every field optional, so the
 * applicant can save at any point (CE-2); what a submit needs is the readiness check's business.
 * `PUT` replaces the whole form: a field left out is cleared.
 */
export class ApplicationFormDto {
  @ApiPropertyOptional({ enum: APPLICATION_TYPE_CODES, description: '申请类型, e.g. system-auditor (体系认证审核员)' })
  @IsOptional()
  @IsIn(APPLICATION_TYPE_CODES)
  applicationType?: string | null;

  @ApiPropertyOptional({ enum: GRADES, description: 'trainee 实习 / auditor 审核员 / senior 高级审核员' })
  @IsOptional()
  @IsIn(GRADES)
  grade?: string | null;

  @ApiPropertyOptional({ enum: ALL_FIELD_CODES, description: '专业领域 of the application type (QMS, EMS, OHSMS, FSMS, ISMS …)' })
  @IsOptional()
  @IsIn(ALL_FIELD_CODES)
  field?: string | null;

  @ApiPropertyOptional({ enum: APPLICATION_KIND_CODES, description: 'new 新申请 / upgrade 升级 / field-conversion 其他领域转换' })
  @IsOptional()
  @IsIn(APPLICATION_KIND_CODES)
  kind?: string | null;

  @ApiPropertyOptional({ maxLength: 100, description: '申请专业, e.g. QMS建工' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  specialty?: string | null;

  @ApiPropertyOptional({ description: '是否缩小专业范围' })
  @IsOptional()
  @IsBoolean()
  narrowScope?: boolean | null;

  @ApiPropertyOptional({ enum: PAYMENT_BY_CODES, description: 'person 个人缴费 / institution 机构缴费' })
  @IsOptional()
  @IsIn(PAYMENT_BY_CODES)
  paymentBy?: string | null;

  @ApiPropertyOptional({ format: 'uuid', description: 'the practising institution (a certification body of the directory, GET /api/v1/identity/institutions)' })
  @IsOptional()
  @IsUUID('all')
  institutionId?: string | null;
}

export class LibraryCopyItemDto {
  @ApiProperty({ enum: RECORD_KIND_CODES }) @IsIn(RECORD_KIND_CODES) kind!: RecordKind;
  @ApiProperty({ format: 'uuid', description: 'id of the record in the basic info library (education: GET /api/v1/identity/me; others: GET /api/v1/identity/me/records)' })
  @IsUUID('all')
  libraryRecordId!: string;
}

/** 从基本信息库添加: the library records ticked in the dialog, copied in one go. */
export class LibraryCopyDto {
  @ApiProperty({ type: [LibraryCopyItemDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => LibraryCopyItemDto)
  items!: LibraryCopyItemDto[];
}

/** Which application the condition self-check is for (all optional: without them, the general conditions). */
export class ConditionQueryDto {
  @ApiPropertyOptional({ enum: APPLICATION_TYPE_CODES }) @IsOptional() @IsIn(APPLICATION_TYPE_CODES) applicationType?: string;
  @ApiPropertyOptional({ enum: GRADES }) @IsOptional() @IsIn(GRADES) grade?: string;
  @ApiPropertyOptional({ enum: ALL_FIELD_CODES }) @IsOptional() @IsIn(ALL_FIELD_CODES) field?: string;
  @ApiPropertyOptional({ enum: APPLICATION_KIND_CODES }) @IsOptional() @IsIn(APPLICATION_KIND_CODES) kind?: string;
}
