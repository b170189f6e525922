import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsDateString, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength, validate } from 'class-validator';
import { CommonErrors, validationErrorsToException } from '@certhub/errors';
import type { ReviewCaseKind } from '@certhub/workflows-certification';
import { ALL_FIELD_CODES } from '../applications/application-catalogue';
import { chinaToday } from '../applications/records';
import { CertificationErrors } from '../certification.errors';

/** 年度确认申请 (CE-4): the questions of the form [003 §3.2], the professional development period and content, the year. */
export class AnnualConfirmationFormDto {
  @ApiProperty({ format: 'uuid', description: 'the certificate to confirm (GET /api/v1/certification/annual-confirmations/due)' })
  @IsUUID('all')
  certificateId!: string;

  @ApiProperty({ description: '确认年度', example: 2026 })
  @IsInt()
  @Min(2000)
  @Max(2100)
  year!: number;

  @ApiProperty({ description: '是否有投诉记录' }) @IsBoolean() complaintsOnRecord!: boolean;
  @ApiProperty({ description: '是否完成继续教育' }) @IsBoolean() continuingEducationDone!: boolean;
  @ApiProperty({ description: '是否保持个人素质' }) @IsBoolean() personalQualitiesKept!: boolean;
  @ApiProperty({ description: '是否持续遵守审核员行为准则' }) @IsBoolean() codeOfConductKept!: boolean;

  @ApiPropertyOptional({ format: 'date', description: '专业发展开始时间' })
  @IsOptional()
  @IsDateString({ strict: true })
  developmentFrom?: string | null;

  @ApiPropertyOptional({ format: 'date', description: '专业发展结束时间' })
  @IsOptional()
  @IsDateString({ strict: true })
  developmentTo?: string | null;

  @ApiPropertyOptional({ maxLength: 2000, description: '专业发展内容' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  developmentContent?: string | null;

  @ApiPropertyOptional({ maxLength: 500, description: '备注' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  remarks?: string | null;
}

export const TRANSFER_REASONS = ['job-change', 'institution-closed', 'relocation', 'other'] as const;

/**
 * 人员转会申请 (CE-5): the transfer-in institution chosen from the directory, the reason, a
 * supplement when the reason is "other", and the reason file (转会理由文件, optional: the seed's
 * screen does not mark it required [003 §3.3.1]).
 */
export class InstitutionTransferFormDto {
  @ApiProperty({ format: 'uuid', description: '转入机构: a certification body of the directory (GET /api/v1/identity/institutions)' })
  @IsUUID('all')
  toInstitutionId!: string;

  @ApiProperty({ enum: ['certification'], description: '转会类型: 认证转会' })
  @IsIn(['certification'])
  transferType!: string;

  @ApiProperty({ enum: TRANSFER_REASONS, description: '转会理由: job-change 工作变动 / institution-closed 机构注销 / relocation 工作地变更 / other 其他' })
  @IsIn(TRANSFER_REASONS)
  reason!: string;

  @ApiPropertyOptional({ maxLength: 1000, description: '补充说明; required when the reason is other' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  supplement?: string | null;

  @ApiPropertyOptional({ format: 'uuid', description: '转会理由文件: the id of a file the applicant uploaded (POST /api/v1/certification/attachments); optional' })
  @IsOptional()
  @IsUUID('all')
  reasonFileId?: string | null;
}

const TEXT = { min: 1, subject: 100, content: 5000 };

/** 申诉 (CE-6): what is appealed (e.g. a decision with its business number) and why. */
export class AppealFormDto {
  @ApiProperty({ maxLength: TEXT.subject, description: '申诉事项' })
  @IsString()
  @MinLength(TEXT.min)
  @MaxLength(TEXT.subject)
  subject!: string;

  @ApiPropertyOptional({ description: '被申诉业务的业务号 (14 digits)', example: '20260419100001' })
  @IsOptional()
  @Matches(/^\d{14}$/)
  relatedBusinessNo?: string | null;

  @ApiProperty({ maxLength: TEXT.content, description: '申诉内容与理由' })
  @IsString()
  @MinLength(TEXT.min)
  @MaxLength(TEXT.content)
  content!: string;
}

/** 投诉 (CE-7): who or what is complained about, and the facts. */
export class ComplaintFormDto {
  @ApiProperty({ maxLength: TEXT.subject, description: '被投诉对象 (an institution or a certified person, by name)' })
  @IsString()
  @MinLength(TEXT.min)
  @MaxLength(TEXT.subject)
  respondent!: string;

  @ApiProperty({ maxLength: TEXT.subject, description: '投诉事项' })
  @IsString()
  @MinLength(TEXT.min)
  @MaxLength(TEXT.subject)
  subject!: string;

  @ApiProperty({ maxLength: TEXT.content, description: '投诉内容' })
  @IsString()
  @MinLength(TEXT.min)
  @MaxLength(TEXT.content)
  content!: string;
}

/** 证书注销申请 (CE-8). */
export class CertificateCancellationFormDto {
  @ApiProperty({ format: 'uuid', description: 'the certificate to cancel (GET /api/v1/certification/certificates)' })
  @IsUUID('all')
  certificateId!: string;

  @ApiProperty({ maxLength: 1000, description: '注销原因' })
  @IsString()
  @MinLength(TEXT.min)
  @MaxLength(1000)
  reason!: string;
}

/** 专家申请 (CE-8): the fields the applicant would evaluate in, and their expertise. */
export class ExpertApplicationFormDto {
  @ApiProperty({ enum: ALL_FIELD_CODES, isArray: true, description: '申请评价的专业领域' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsIn(ALL_FIELD_CODES, { each: true })
  fields!: string[];

  @ApiProperty({ maxLength: 2000, description: '专业特长与评价经历' })
  @IsString()
  @MinLength(TEXT.min)
  @MaxLength(2000)
  expertise!: string;
}

export const REVIEW_FORM_DTOS: Record<ReviewCaseKind, new () => object> = {
  'annual-confirmation': AnnualConfirmationFormDto,
  'institution-transfer': InstitutionTransferFormDto,
  appeal: AppealFormDto,
  complaint: ComplaintFormDto,
  'certificate-cancellation': CertificateCancellationFormDto,
  'expert-application': ExpertApplicationFormDto,
};

/** Fields the applicant cannot change on a resubmit (they name the case's subject). */
export const FIXED_FIELDS: Partial<Record<ReviewCaseKind, string[]>> = {
  'annual-confirmation': ['certificateId'],
  'certificate-cancellation': ['certificateId'],
};

/** Fields naming a file the applicant uploaded (checked to be theirs; the case's readers may read it). */
export const ATTACHMENT_FIELDS: Partial<Record<ReviewCaseKind, readonly string[]>> = {
  'institution-transfer': ['reasonFileId'],
};

export type ReviewForm = Record<string, unknown>;

/** The files a validated form names, by field. */
export function attachmentRefs(kind: ReviewCaseKind, form: ReviewForm): Array<{ field: string; id: string }> {
  return (ATTACHMENT_FIELDS[kind] ?? []).flatMap((field) => (typeof form[field] === 'string' ? [{ field, id: form[field] }] : []));
}

/**
 * Validates a form of a kind (unknown fields refused, every field well-formed; cross-field rules
 * of the kind) and returns it trimmed, absent optional fields as null. Throws the standard 400
 * naming the field; nothing is written before this passed.
 */
export async function validReviewForm(kind: ReviewCaseKind, body: unknown, now: Date = new Date()): Promise<ReviewForm> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw CommonErrors.error('COMMON_VALIDATION_FAILED', { en: 'The form must be a JSON object.', zh: '表单须为 JSON 对象。' });
  }
  const dto = plainToInstance(REVIEW_FORM_DTOS[kind], body);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, stopAtFirstError: true });
  if (errors.length > 0) throw validationErrorsToException(errors);
  const form: ReviewForm = {};
  for (const [k, v] of Object.entries(dto as Record<string, unknown>)) {
    if (typeof v === 'string') form[k] = v.trim().length > 0 ? v.trim() : null;
    else form[k] = v ?? null;
  }
  const today = chinaToday(now);
  if (kind === 'annual-confirmation') {
    const from = form.developmentFrom as string | null;
    const to = form.developmentTo as string | null;
    if (from && from > today) throw CertificationErrors.error('CERT_DATE_IN_FUTURE', { field: 'developmentFrom' });
    if (from && to && to < from) throw CertificationErrors.error('CERT_DATE_ORDER', { field: 'developmentTo' });
    const year = form.year as number;
    const thisYear = Number(today.slice(0, 4));
    if (year > thisYear || year < thisYear - 1) throw CertificationErrors.error('CERT_CONFIRMATION_YEAR', { field: 'year', details: { allowed: [thisYear - 1, thisYear] } });
  }
  if (kind === 'institution-transfer' && form.reason === 'other' && !form.supplement) {
    throw CertificationErrors.error('CERT_SUPPLEMENT_REQUIRED', { field: 'supplement' });
  }
  if (kind === 'expert-application') form.fields = [...new Set(form.fields as string[])];
  for (const field of ATTACHMENT_FIELDS[kind] ?? []) {
    if (typeof form[field] === 'string') form[field] = form[field].toLowerCase();
  }
  return form;
}
