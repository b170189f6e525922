import { APPLICATION_TYPES, fieldName, type ApplicationKind, type ApplicationType, type Grade } from './application-catalogue';

/**
 * The condition self-check (条件自检) that opens an application [003 §3.1.1]: which registration
 * conditions the applicant's profile and basic info library already show, which are missing, and
 * which the reviewers check by hand (`manual`: what the platform cannot see yet, such as exam
 * results or current certificates). Advisory: it does not stop anybody from starting a draft.
 *
 * The thresholds are the platform's rules as data (`CONDITION_RULES`), to be kept in line with
 * the association's registration criteria.
 */
export const CONDITION_RULES = {
  /** Lowest education level accepted (大学专科). */
  minimumEducation: ['doctorate', 'master', 'bachelor', 'college'] as readonly string[],
  /** Years of work experience: with a bachelor's degree or higher, otherwise (college). */
  workYears: { degree: 4, college: 6 },
  professionalWorkYears: 2,
  /** Complete audits and on-site days by grade (in the chosen field when one is chosen). */
  audits: { trainee: null, auditor: { count: 4, days: 20 }, senior: { count: 15, days: 60 } } as Record<Grade, { count: number; days: number } | null>,
} as const;

export type ConditionStatus = 'met' | 'missing' | 'manual';

export interface Condition {
  code: string;
  status: ConditionStatus;
  message: string;
  messageZh: string;
  details?: Record<string, unknown>;
}

export interface ConditionTarget {
  applicationType?: ApplicationType;
  grade?: Grade;
  field?: string;
  kind?: ApplicationKind;
}

export interface ConditionInput {
  verificationStatus: string | null;
  photoAccepted: boolean;
  educationLevels: string[];
  /** Periods of work (endDate null: still working there). */
  work: Array<{ startDate: string | null; endDate: string | null }>;
  professionalWork: Array<{ startDate: string | null; endDate: string | null }>;
  audits: Array<{ field: string | null; onSiteDays: number | null }>;
}

const DAY_MS = 86_400_000;

/**
 * Years covered by a set of periods, overlaps counted once (two jobs at the same time are one
 * year of experience, not two). Periods without a start are ignored; an open end is `today`.
 */
export function experienceYears(periods: ConditionInput['work'], today: string): number {
  const spans = periods
    .filter((p): p is { startDate: string; endDate: string | null } => typeof p.startDate === 'string')
    .map((p) => {
      const end = p.endDate && p.endDate < today ? p.endDate : today;
      return [Date.parse(`${p.startDate}T00:00:00Z`), Date.parse(`${end}T00:00:00Z`)] as const;
    })
    .filter(([s, e]) => Number.isFinite(s) && Number.isFinite(e) && e > s)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: [number, number] | null = null;
  for (const [s, e] of spans) {
    if (current && s <= current[1]) current[1] = Math.max(current[1], e);
    else {
      if (current) total += current[1] - current[0];
      current = [s, e];
    }
  }
  if (current) total += current[1] - current[0];
  // 365 days a year: a calendar year with a leap day still counts as a full year.
  return Math.floor((total / DAY_MS / 365) * 10) / 10;
}

const HIGHER_DEGREES = new Set(['doctorate', 'master', 'bachelor']);

export function evaluateConditions(target: ConditionTarget, input: ConditionInput, today: string): Condition[] {
  const out: Condition[] = [];
  const add = (code: string, ok: boolean | 'manual', en: string, zh: string, details?: Record<string, unknown>) =>
    out.push({ code, status: ok === 'manual' ? 'manual' : ok ? 'met' : 'missing', message: en, messageZh: zh, ...(details ? { details } : {}) });

  add(
    'identity-verified',
    input.verificationStatus === 'verified',
    input.verificationStatus === 'verified' ? 'Your identity and education are verified.' : 'Your identity and education verification has not passed yet.',
    input.verificationStatus === 'verified' ? '身份及学历核验已通过。' : '身份及学历核验尚未通过。',
    { verificationStatus: input.verificationStatus },
  );
  add(
    'photo-accepted',
    input.photoAccepted,
    input.photoAccepted ? 'Your ID photo is accepted.' : 'Upload an ID photo that passes the photo audit.',
    input.photoAccepted ? '证件照片已通过审核。' : '请上传并通过证件照片审核。',
  );

  const hasDegree = input.educationLevels.some((l) => HIGHER_DEGREES.has(l));
  const educated = input.educationLevels.some((l) => CONDITION_RULES.minimumEducation.includes(l));
  add(
    'education',
    educated,
    educated ? 'Your education (college or higher) is in the basic info library.' : 'An education of college level (大学专科) or higher is required.',
    educated ? '基本信息库中有大专及以上学历。' : '需具有大学专科及以上学历。',
  );

  const neededWork = hasDegree ? CONDITION_RULES.workYears.degree : CONDITION_RULES.workYears.college;
  const workYears = experienceYears(input.work, today);
  add(
    'work-experience',
    workYears >= neededWork,
    `${neededWork} years of full-time work experience are required; the basic info library shows ${workYears}.`,
    `需具有${neededWork}年以上全职工作经历；基本信息库中为${workYears}年。`,
    { requiredYears: neededWork, years: workYears },
  );
  const neededProfessional = CONDITION_RULES.professionalWorkYears;
  const professionalYears = experienceYears(input.professionalWork, today);
  add(
    'professional-work-experience',
    professionalYears >= neededProfessional,
    `${neededProfessional} years of professional work experience are required; the basic info library shows ${professionalYears}.`,
    `需具有${neededProfessional}年以上专业工作经历；基本信息库中为${professionalYears}年。`,
    { requiredYears: neededProfessional, years: professionalYears },
  );

  const auditRule = target.grade ? CONDITION_RULES.audits[target.grade] : null;
  if (auditRule) {
    const relevant = input.audits.filter((a) => !target.field || (a.field ?? '').toUpperCase() === target.field.toUpperCase());
    const count = relevant.length;
    const days = relevant.reduce((sum, a) => sum + (a.onSiteDays ?? 0), 0);
    const where = target.field ? ` in ${target.field}` : '';
    const whereZh = target.field ? `${target.field}领域` : '';
    add(
      'audit-experience',
      count >= auditRule.count && days >= auditRule.days,
      `${auditRule.count} complete audits with ${auditRule.days} on-site days${where} are required; the basic info library shows ${count} audits with ${days} days.`,
      `需具有${whereZh}${auditRule.count}次完整审核、${auditRule.days}天现场审核经历；基本信息库中为${count}次、${days}天。`,
      { requiredAudits: auditRule.count, requiredDays: auditRule.days, audits: count, days },
    );
  }

  if (target.kind === 'upgrade') {
    add(
      'current-certificate',
      'manual',
      'An upgrade needs a valid certificate of the grade below; the reviewers check it.',
      '升级申请须持有低一级别的有效证书，由审核人员核实。',
    );
  } else if (target.applicationType) {
    const fieldLabel = target.field ? fieldName(target.applicationType, target.field) : undefined;
    const typeLabel = APPLICATION_TYPES[target.applicationType];
    add(
      'exam-passed',
      'manual',
      `Passing the national exam for ${fieldLabel?.en ?? typeLabel.en} is required; the reviewers check it.`,
      `须通过${fieldLabel?.zh ?? typeLabel.zh}的全国统一考试，由审核人员核实。`,
    );
  }
  return out;
}
