import type { DomainException } from '@certhub/errors';
import { CertificationErrors } from '../certification.errors';
import {
  APPLICATION_KINDS,
  APPLICATION_TYPES,
  fieldBelongsTo,
  GRADES,
  PAYMENT_METHODS,
  RECORD_KINDS,
  type ApplicationType,
  type Grade,
  type RecordKind,
} from './application-catalogue';
import { FIELD_NAMES, missingRecordFields, type RecordData } from './records';

/** The parts of an application the readiness check looks at. */
export interface ApplicationForm {
  applicationType: string | null;
  grade: string | null;
  field: string | null;
  kind: string | null;
  specialty: string | null;
  narrowScope: boolean | null;
  paymentBy: string | null;
  institutionId: string | null;
}

export interface FormRecord {
  id: string;
  kind: RecordKind;
  data: RecordData;
}

/**
 * One thing that keeps an application from being submitted: `field` is the path of what is
 * missing or wrong (`grade`, `records.work`, `records.work[1].refereePhone`), `recordId` names the
 * record when it is one.
 */
export interface MissingItem {
  field: string;
  code: 'required' | 'at-least-one' | 'not-allowed';
  recordId?: string;
  message: string;
  messageZh: string;
}

export interface Readiness {
  ready: boolean;
  missing: MissingItem[];
}

const FORM_FIELDS: Array<{ field: keyof ApplicationForm; zh: string; en: string }> = [
  { field: 'applicationType', zh: '申请类型', en: 'application type' },
  { field: 'grade', zh: '申请级别', en: 'grade' },
  { field: 'field', zh: '专业领域', en: 'field' },
  { field: 'kind', zh: '申请方式（新申请/升级/其他领域转换）', en: 'kind of application (new, upgrade, conversion)' },
  { field: 'narrowScope', zh: '是否缩小专业范围', en: 'whether the scope is narrowed' },
  { field: 'paymentBy', zh: '付款方式', en: 'payment method' },
  { field: 'institutionId', zh: '执业机构', en: 'practising institution' },
];

/** Which record kinds a submit needs at least one of: audits from the grade of auditor up (CE-1). */
export function requiredRecordKinds(grade: string | null): RecordKind[] {
  const kinds: RecordKind[] = ['education', 'work', 'professional-work'];
  if (grade === 'auditor' || grade === 'senior') kinds.push('audit');
  return kinds;
}

const isKnown = <T extends object>(catalogue: T, code: string | null): boolean => code !== null && Object.prototype.hasOwnProperty.call(catalogue, code);

/**
 * Whether an application can be submitted, and if not, every missing or inconsistent thing with
 * its field — the whole list at once, so the applicant fixes everything in one go. Pure: the
 * submit endpoint refuses with `CERT_APPLICATION_INCOMPLETE` when `ready` is false.
 */
export function submissionReadiness(form: ApplicationForm, records: readonly FormRecord[]): Readiness {
  const missing: MissingItem[] = [];
  for (const f of FORM_FIELDS) {
    const value = form[f.field];
    if (value === null || value === undefined || value === '') {
      missing.push({ field: f.field, code: 'required', message: `Fill in the ${f.en}.`, messageZh: `请填写${f.zh}。` });
    }
  }
  // Values stored by an older catalogue (a type or field since removed) count as not chosen.
  const type = isKnown(APPLICATION_TYPES, form.applicationType) ? (form.applicationType as ApplicationType) : null;
  if (form.applicationType !== null && !type) {
    missing.push({ field: 'applicationType', code: 'not-allowed', message: 'This application type is no longer offered.', messageZh: '该申请类型已不再受理。' });
  }
  if (form.grade !== null && !(GRADES as readonly string[]).includes(form.grade)) {
    missing.push({ field: 'grade', code: 'not-allowed', message: 'This grade does not exist.', messageZh: '申请级别不正确。' });
  }
  if (type && form.field !== null && !fieldBelongsTo(type, form.field)) {
    missing.push({ field: 'field', code: 'not-allowed', message: 'This field does not belong to the application type.', messageZh: '该申请类型没有此专业领域。' });
  }
  if (form.kind !== null && !isKnown(APPLICATION_KINDS, form.kind)) {
    missing.push({ field: 'kind', code: 'not-allowed', message: 'Unknown kind of application.', messageZh: '申请方式不正确。' });
  }
  if (form.paymentBy !== null && !isKnown(PAYMENT_METHODS, form.paymentBy)) {
    missing.push({ field: 'paymentBy', code: 'not-allowed', message: 'Unknown payment method.', messageZh: '付款方式不正确。' });
  }
  if (form.kind === 'upgrade' && form.grade === 'trainee') {
    missing.push({ field: 'grade', code: 'not-allowed', message: 'An upgrade applies for a higher grade than trainee.', messageZh: '升级申请的级别须高于实习级别。' });
  }

  for (const kind of requiredRecordKinds(form.grade)) {
    if (!records.some((r) => r.kind === kind)) {
      const name = RECORD_KINDS[kind];
      missing.push({
        field: `records.${kind}`,
        code: 'at-least-one',
        message: `Add at least one record of ${name.en.toLowerCase()}.`,
        messageZh: `请至少添加一条${name.zh}。`,
      });
    }
  }
  const index = new Map<RecordKind, number>();
  for (const r of records) {
    const i = index.get(r.kind) ?? 0;
    index.set(r.kind, i + 1);
    for (const f of missingRecordFields(r.kind, r.data)) {
      const name = FIELD_NAMES[f] ?? { zh: f, en: f };
      const kindName = RECORD_KINDS[r.kind];
      missing.push({
        field: `records.${r.kind}[${i}].${f}`,
        code: 'required',
        recordId: r.id,
        message: `${kindName.en} no. ${i + 1}: fill in the ${name.en}.`,
        messageZh: `${kindName.zh}第${i + 1}条：请填写${name.zh}。`,
      });
    }
  }
  return { ready: missing.length === 0, missing };
}

/** The refusal of a submit that is not ready: the first missing field, and all of them in `details`. */
export function incompleteError(readiness: Readiness): DomainException {
  const first = readiness.missing[0];
  return CertificationErrors.error('CERT_APPLICATION_INCOMPLETE', {
    ...(first ? { field: first.field } : {}),
    details: { missing: readiness.missing },
  });
}

/** The grade's display name for a type (实习审核员 …), when both are known. */
export function gradeName(type: string | null, grade: string | null): { zh: string; en: string } | null {
  if (!isKnown(APPLICATION_TYPES, type) || !(GRADES as readonly string[]).includes(grade ?? '')) return null;
  return APPLICATION_TYPES[type as ApplicationType].grades[grade as Grade];
}
