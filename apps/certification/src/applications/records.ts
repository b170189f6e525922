import { ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { IsDateString, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, validate } from 'class-validator';
import { CommonErrors, validationErrorsToException } from '@certhub/errors';
import { CertificationErrors } from '../certification.errors';
import { AUDIT_TYPE_CODES, EDUCATION_LEVEL_CODES, type RecordKind } from './application-catalogue';

/**
 * The records of an application (CE-1), one class per kind, with the columns of the seeds'
 * screens [003 §3.1.1]. A draft may hold a record that is not filled in yet (暂存草稿): every
 * field is optional when saved, but whatever is given must be well-formed; which fields a
 * submit needs is `REQUIRED_FIELDS` (checked by `submissionReadiness`).
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A mobile number or a landline with area code (证明人电话). */
export const CONTACT_PHONE = /^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;

const text = (max: number) => [IsOptional(), IsString(), MaxLength(max)];
const date = () => [IsOptional(), IsString(), Matches(DATE, { message: '$property must be a date (YYYY-MM-DD)' }), IsDateString({ strict: true })];
function apply(target: object, key: string, decorators: PropertyDecorator[]): void {
  for (const d of decorators) d(target, key);
}

/** 教育经历: 入学时间, 毕业时间, 院校名称, 所学专业, 学历. */
export class EducationRecordDto {
  @ApiPropertyOptional({ maxLength: 200 }) school?: string | null;
  @ApiPropertyOptional({ maxLength: 100 }) major?: string | null;
  @ApiPropertyOptional({ enum: EDUCATION_LEVEL_CODES }) @IsOptional() @IsIn(EDUCATION_LEVEL_CODES) level?: string | null;
  @ApiPropertyOptional({ maxLength: 50, description: '学位' }) degree?: string | null;
  @ApiPropertyOptional({ format: 'date', description: '入学时间' }) startDate?: string | null;
  @ApiPropertyOptional({ format: 'date', description: '毕业时间' }) endDate?: string | null;
}
apply(EducationRecordDto.prototype, 'school', text(200));
apply(EducationRecordDto.prototype, 'major', text(100));
apply(EducationRecordDto.prototype, 'degree', text(50));
apply(EducationRecordDto.prototype, 'startDate', date());
apply(EducationRecordDto.prototype, 'endDate', date());

/** 工作经历: 工作单位, 开始日期, 结束日期, 所在部门, 职务/职称, 证明人姓名, 证明人电话. */
export class WorkRecordDto {
  @ApiPropertyOptional({ maxLength: 200, description: '工作单位' }) employer?: string | null;
  @ApiPropertyOptional({ maxLength: 100, description: '所在部门' }) department?: string | null;
  @ApiPropertyOptional({ maxLength: 100, description: '职务/职称' }) position?: string | null;
  @ApiPropertyOptional({ format: 'date' }) startDate?: string | null;
  @ApiPropertyOptional({ format: 'date', description: 'empty while the job continues' }) endDate?: string | null;
  @ApiPropertyOptional({ maxLength: 500 }) duties?: string | null;
  @ApiPropertyOptional({ maxLength: 50, description: '证明人姓名' }) refereeName?: string | null;
  @ApiPropertyOptional({ description: '证明人电话 (mobile or landline)' }) @IsOptional() @IsString() @Matches(CONTACT_PHONE) refereePhone?: string | null;
}
apply(WorkRecordDto.prototype, 'employer', text(200));
apply(WorkRecordDto.prototype, 'department', text(100));
apply(WorkRecordDto.prototype, 'position', text(100));
apply(WorkRecordDto.prototype, 'startDate', date());
apply(WorkRecordDto.prototype, 'endDate', date());
apply(WorkRecordDto.prototype, 'duties', text(500));
apply(WorkRecordDto.prototype, 'refereeName', text(50));

/** 专业工作经历: as work, plus 工作岗位 (the post) and what the work was. */
export class ProfessionalWorkRecordDto extends WorkRecordDto {
  @ApiPropertyOptional({ maxLength: 100, description: '工作岗位' }) post?: string | null;
  @ApiPropertyOptional({ maxLength: 1000 }) content?: string | null;
}
apply(ProfessionalWorkRecordDto.prototype, 'post', text(100));
apply(ProfessionalWorkRecordDto.prototype, 'content', text(1000));

/** 审核经历: 开始日期, 结束日期, 受审核方名称, 现场审核天数, 审核类型. */
export class AuditRecordDto {
  @ApiPropertyOptional({ maxLength: 200, description: '受审核方名称' }) auditee?: string | null;
  @ApiPropertyOptional({ maxLength: 50, description: 'the audited standard or field, e.g. QMS' }) field?: string | null;
  @ApiPropertyOptional({ enum: AUDIT_TYPE_CODES, description: '审核类型' }) @IsOptional() @IsIn(AUDIT_TYPE_CODES) auditType?: string | null;
  @ApiPropertyOptional({ format: 'date' }) startDate?: string | null;
  @ApiPropertyOptional({ format: 'date' }) endDate?: string | null;
  @ApiPropertyOptional({ description: '现场审核天数, in half days (0.5 … 365)' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 1 })
  @Min(0.5)
  @Max(365)
  onSiteDays?: number | null;
  @ApiPropertyOptional({ maxLength: 50, description: 'role in the audit team (组长 / 组员 / 实习)' }) role?: string | null;
}
apply(AuditRecordDto.prototype, 'auditee', text(200));
apply(AuditRecordDto.prototype, 'field', text(50));
apply(AuditRecordDto.prototype, 'startDate', date());
apply(AuditRecordDto.prototype, 'endDate', date());
apply(AuditRecordDto.prototype, 'role', text(50));

/** 继续教育(有效课程): 课程名称, 开始日期, 有效期至, 课程学时, 课程类别. */
export class ContinuingEducationRecordDto {
  @ApiPropertyOptional({ maxLength: 200, description: '课程名称' }) course?: string | null;
  @ApiPropertyOptional({ maxLength: 100, description: '课程类别' }) category?: string | null;
  @ApiPropertyOptional({ maxLength: 200 }) provider?: string | null;
  @ApiPropertyOptional({ format: 'date' }) startDate?: string | null;
  @ApiPropertyOptional({ format: 'date', description: '有效期至' }) validUntil?: string | null;
  @ApiPropertyOptional({ description: '课程学时' }) @IsOptional() @IsInt() @Min(1) @Max(1000) hours?: number | null;
}
apply(ContinuingEducationRecordDto.prototype, 'course', text(200));
apply(ContinuingEducationRecordDto.prototype, 'category', text(100));
apply(ContinuingEducationRecordDto.prototype, 'provider', text(200));
apply(ContinuingEducationRecordDto.prototype, 'startDate', date());
apply(ContinuingEducationRecordDto.prototype, 'validUntil', date());

export const RECORD_DTOS: Record<RecordKind, new () => object> = {
  education: EducationRecordDto,
  work: WorkRecordDto,
  'professional-work': ProfessionalWorkRecordDto,
  audit: AuditRecordDto,
  'continuing-education': ContinuingEducationRecordDto,
};

/** Every field of a kind, in display order (a stored record has each of them, null when empty). */
export const RECORD_FIELDS: Record<RecordKind, readonly string[]> = {
  education: ['school', 'major', 'level', 'degree', 'startDate', 'endDate'],
  work: ['employer', 'department', 'position', 'startDate', 'endDate', 'duties', 'refereeName', 'refereePhone'],
  'professional-work': ['employer', 'department', 'position', 'post', 'startDate', 'endDate', 'content', 'refereeName', 'refereePhone'],
  audit: ['auditee', 'field', 'auditType', 'startDate', 'endDate', 'onSiteDays', 'role'],
  'continuing-education': ['course', 'category', 'provider', 'startDate', 'validUntil', 'hours'],
};

/** What a submit needs of each record (the starred columns of the seeds' screens). */
export const REQUIRED_FIELDS: Record<RecordKind, readonly string[]> = {
  education: ['school', 'major', 'level', 'startDate', 'endDate'],
  work: ['employer', 'position', 'startDate', 'refereeName', 'refereePhone'],
  'professional-work': ['employer', 'position', 'post', 'startDate', 'refereeName', 'refereePhone'],
  audit: ['auditee', 'auditType', 'startDate', 'endDate', 'onSiteDays'],
  'continuing-education': ['course', 'category', 'startDate', 'validUntil', 'hours'],
};

/** Display names of the record fields, for messages that name what is missing. */
export const FIELD_NAMES: Record<string, { zh: string; en: string }> = {
  school: { zh: '院校名称', en: 'school' },
  major: { zh: '所学专业', en: 'major' },
  level: { zh: '学历', en: 'education level' },
  degree: { zh: '学位', en: 'degree' },
  startDate: { zh: '开始日期', en: 'start date' },
  endDate: { zh: '结束日期', en: 'end date' },
  employer: { zh: '工作单位', en: 'employer' },
  department: { zh: '所在部门', en: 'department' },
  position: { zh: '职务/职称', en: 'position or title' },
  post: { zh: '工作岗位', en: 'post' },
  duties: { zh: '工作内容', en: 'duties' },
  content: { zh: '工作内容', en: 'content of the work' },
  refereeName: { zh: '证明人姓名', en: 'referee name' },
  refereePhone: { zh: '证明人电话', en: 'referee phone' },
  auditee: { zh: '受审核方名称', en: 'auditee' },
  field: { zh: '审核领域', en: 'audited field' },
  auditType: { zh: '审核类型', en: 'audit type' },
  onSiteDays: { zh: '现场审核天数', en: 'on-site days' },
  role: { zh: '审核角色', en: 'audit role' },
  course: { zh: '课程名称', en: 'course' },
  category: { zh: '课程类别', en: 'course category' },
  provider: { zh: '培训机构', en: 'provider' },
  validUntil: { zh: '有效期至', en: 'valid until' },
  hours: { zh: '课程学时', en: 'hours' },
};

export type RecordData = Record<string, string | number | null>;

/** The end of a record's period, by kind (continuing education runs until `validUntil`). */
const END_FIELD: Record<RecordKind, string> = {
  education: 'endDate',
  work: 'endDate',
  'professional-work': 'endDate',
  audit: 'endDate',
  'continuing-education': 'validUntil',
};

/** Today's date in China (UTC+8) as YYYY-MM-DD. */
export function chinaToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * Rules between fields of one record, checked on every save: the period does not end before it
 * starts; experience lies in the past (only a course's validity and a graduation may lie ahead).
 */
export function checkRecordDates(kind: RecordKind, data: RecordData, now: Date = new Date()): void {
  const start = typeof data.startDate === 'string' ? data.startDate : null;
  const endField = END_FIELD[kind];
  const end = typeof data[endField] === 'string' ? (data[endField] as string) : null;
  const today = chinaToday(now);
  if (start && start > today) throw CertificationErrors.error('CERT_DATE_IN_FUTURE', { field: 'startDate' });
  if (start && end && end < start) throw CertificationErrors.error('CERT_DATE_ORDER', { field: endField });
  if (end && end > today && (kind === 'work' || kind === 'professional-work' || kind === 'audit')) {
    throw CertificationErrors.error('CERT_DATE_IN_FUTURE', { field: endField });
  }
}

/**
 * Validates a record body of a kind (unknown fields refused, every given field well-formed) and
 * returns it with every field of the kind, absent ones as null. Throws the standard 400 naming
 * the field.
 */
export async function validRecord(kind: RecordKind, body: unknown, now: Date = new Date()): Promise<RecordData> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw CommonErrors.error('COMMON_VALIDATION_FAILED', { en: 'A record must be a JSON object.', zh: '经历须为 JSON 对象。' });
  }
  const dto = plainToInstance(RECORD_DTOS[kind], body);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, stopAtFirstError: true });
  if (errors.length > 0) throw validationErrorsToException(errors);
  const data = normalise(kind, dto as Record<string, unknown>);
  checkRecordDates(kind, data, now);
  return data;
}

function normalise(kind: RecordKind, source: Record<string, unknown>): RecordData {
  const data: RecordData = {};
  for (const f of RECORD_FIELDS[kind]) {
    const v = source[f];
    if (typeof v === 'string') data[f] = v.trim().length > 0 ? v.trim() : null;
    else if (typeof v === 'number') data[f] = v;
    else data[f] = null;
  }
  return data;
}

/** The fields a submit needs that this record lacks (empty strings count as missing). */
export function missingRecordFields(kind: RecordKind, data: RecordData): string[] {
  return REQUIRED_FIELDS[kind].filter((f) => data[f] === null || data[f] === undefined || data[f] === '');
}
