/**
 * What a personnel registration application (人员注册申请, CE-1) may choose: application types
 * with their grades and fields, the kind of application, payment, record kinds and the values
 * of their choice fields. Data, not logic: a new field of an application type is one line here.
 */

export interface Named {
  zh: string;
  en: string;
}

export const GRADES = ['trainee', 'auditor', 'senior'] as const;
export type Grade = (typeof GRADES)[number];

export interface ApplicationTypeSpec extends Named {
  /** Grade names of this type (实习审核员 / 审核员 / 高级审核员 …), in ascending order. */
  grades: Record<Grade, Named>;
  /** Fields (专业领域) of this type, by code. */
  fields: Record<string, Named>;
}

const auditorGrades: Record<Grade, Named> = {
  trainee: { zh: '实习审核员', en: 'Trainee auditor' },
  auditor: { zh: '审核员', en: 'Auditor' },
  senior: { zh: '高级审核员', en: 'Senior auditor' },
};

export const APPLICATION_TYPES = {
  'system-auditor': {
    zh: '体系认证审核员',
    en: 'Management system auditor',
    grades: auditorGrades,
    fields: {
      QMS: { zh: '质量管理体系', en: 'Quality management systems' },
      EMS: { zh: '环境管理体系', en: 'Environmental management systems' },
      OHSMS: { zh: '职业健康安全管理体系', en: 'Occupational health and safety management systems' },
      FSMS: { zh: '食品安全管理体系', en: 'Food safety management systems' },
      HACCP: { zh: '危害分析与关键控制点', en: 'Hazard analysis and critical control points' },
      ISMS: { zh: '信息安全管理体系', en: 'Information security management systems' },
      ITSMS: { zh: '信息技术服务管理体系', en: 'IT service management systems' },
      EnMS: { zh: '能源管理体系', en: 'Energy management systems' },
    },
  },
  'product-inspector': {
    zh: '产品认证检查员',
    en: 'Product certification inspector',
    grades: {
      trainee: { zh: '实习检查员', en: 'Trainee inspector' },
      auditor: { zh: '检查员', en: 'Inspector' },
      senior: { zh: '高级检查员', en: 'Senior inspector' },
    },
    fields: {
      PRODUCT: { zh: '产品认证', en: 'Product certification' },
      ORGANIC: { zh: '有机产品认证', en: 'Organic product certification' },
      GAP: { zh: '良好农业规范认证', en: 'Good agricultural practice certification' },
    },
  },
  'service-auditor': {
    zh: '服务认证审查员',
    en: 'Service certification auditor',
    grades: {
      trainee: { zh: '实习审查员', en: 'Trainee service auditor' },
      auditor: { zh: '审查员', en: 'Service auditor' },
      senior: { zh: '高级审查员', en: 'Senior service auditor' },
    },
    fields: {
      SERVICE: { zh: '服务认证', en: 'Service certification' },
    },
  },
} as const satisfies Record<string, ApplicationTypeSpec>;

export type ApplicationType = keyof typeof APPLICATION_TYPES;
export const APPLICATION_TYPE_CODES = Object.keys(APPLICATION_TYPES) as ApplicationType[];

/** Every field code of every type (what the DTO lets through; the type decides which belong). */
export const ALL_FIELD_CODES: readonly string[] = [...new Set(APPLICATION_TYPE_CODES.flatMap((t) => Object.keys(APPLICATION_TYPES[t].fields)))];

export function fieldBelongsTo(type: ApplicationType, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(APPLICATION_TYPES[type].fields, field);
}

export function fieldName(type: ApplicationType, field: string): Named | undefined {
  return fieldBelongsTo(type, field) ? (APPLICATION_TYPES[type].fields as Record<string, Named>)[field] : undefined;
}

/** 新申请 / 升级 / 其他领域转换. */
export const APPLICATION_KINDS = {
  new: { zh: '新申请', en: 'New registration' },
  upgrade: { zh: '升级', en: 'Upgrade' },
  'field-conversion': { zh: '其他领域转换', en: 'Conversion from another field' },
} as const satisfies Record<string, Named>;
export type ApplicationKind = keyof typeof APPLICATION_KINDS;
export const APPLICATION_KIND_CODES = Object.keys(APPLICATION_KINDS) as ApplicationKind[];

/** 个人缴费 / 机构缴费 (CE-3: paid by the person means the applicant pays after the institution review). */
export const PAYMENT_METHODS = {
  person: { zh: '个人缴费', en: 'Paid by the applicant' },
  institution: { zh: '机构缴费', en: 'Paid by the institution' },
} as const satisfies Record<string, Named>;
export type PaymentBy = keyof typeof PAYMENT_METHODS;
export const PAYMENT_BY_CODES = Object.keys(PAYMENT_METHODS) as PaymentBy[];

/**
 * The registration fee (注册费) of an application paid by the person, integer fen, by grade (the
 * association's fee table; a new registration, an upgrade and a conversion pay the same).
 */
export const REGISTRATION_FEES_FEN: Record<Grade, number> = {
  trainee: 30_000,
  auditor: 50_000,
  senior: 80_000,
};

export function registrationFeeFen(grade: string | null): number {
  return (GRADES as readonly string[]).includes(grade ?? '') ? REGISTRATION_FEES_FEN[grade as Grade] : REGISTRATION_FEES_FEN.auditor;
}

export const RECORD_KINDS = {
  education: { zh: '教育经历', en: 'Education' },
  work: { zh: '工作经历', en: 'Work experience' },
  'professional-work': { zh: '专业工作经历', en: 'Professional work experience' },
  audit: { zh: '审核经历', en: 'Audit experience' },
  'continuing-education': { zh: '继续教育', en: 'Continuing education' },
} as const satisfies Record<string, Named>;
export type RecordKind = keyof typeof RECORD_KINDS;
export const RECORD_KIND_CODES = Object.keys(RECORD_KINDS) as RecordKind[];

/** The same codes as the identity service's education records (ID-1). */
export const EDUCATION_LEVELS = {
  doctorate: { zh: '博士研究生', en: 'Doctorate' },
  master: { zh: '硕士研究生', en: 'Master' },
  bachelor: { zh: '大学本科', en: 'Bachelor' },
  college: { zh: '大学专科', en: 'College' },
  secondary: { zh: '中专/高中', en: 'Secondary' },
  other: { zh: '其他', en: 'Other' },
} as const satisfies Record<string, Named>;
export type EducationLevel = keyof typeof EDUCATION_LEVELS;
export const EDUCATION_LEVEL_CODES = Object.keys(EDUCATION_LEVELS) as EducationLevel[];

export const AUDIT_TYPES = {
  initial: { zh: '初次认证审核', en: 'Initial certification audit' },
  surveillance: { zh: '监督审核', en: 'Surveillance audit' },
  recertification: { zh: '再认证审核', en: 'Recertification audit' },
  special: { zh: '特殊审核', en: 'Special audit' },
} as const satisfies Record<string, Named>;
export type AuditType = keyof typeof AUDIT_TYPES;
export const AUDIT_TYPE_CODES = Object.keys(AUDIT_TYPES) as AuditType[];

/** The catalogue as clients read it (`GET /api/v1/certification/catalogue`). */
export function catalogueView() {
  const list = (entries: Record<string, Named>) => Object.entries(entries).map(([code, n]) => ({ code, nameZh: n.zh, nameEn: n.en }));
  return {
    applicationTypes: APPLICATION_TYPE_CODES.map((code) => {
      const t: ApplicationTypeSpec = APPLICATION_TYPES[code];
      return { code, nameZh: t.zh, nameEn: t.en, grades: list(t.grades), fields: list(t.fields) };
    }),
    kinds: list(APPLICATION_KINDS),
    paymentMethods: list(PAYMENT_METHODS),
    recordKinds: list(RECORD_KINDS),
    educationLevels: list(EDUCATION_LEVELS),
    auditTypes: list(AUDIT_TYPES),
    registrationFeesFen: REGISTRATION_FEES_FEN,
  };
}
