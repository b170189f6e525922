import type { CaseDomain } from '@certhub/contracts';

/** One service of the catalogue (SPEC §8): what an applicant can apply for and how long it may take. */
export interface CatalogueItem {
  /** Stable service code shown next to the item. */
  code: string;
  nameZh: string;
  nameEn: string;
  /** The domain that runs the cases of this item. */
  domain: CaseDomain;
  /** `caseType` of the item's `<domain>.case.changed.v1` events. */
  caseType: string;
  /** Completion deadline in working days; `null` where the catalogue says "–" (no fixed deadline). */
  deadlineWorkingDays: number | null;
}

/** The service catalogue with completion deadlines in working days [003 §3.1.1], plus identity verification. */
export const SERVICE_CATALOGUE: readonly CatalogueItem[] = Object.freeze([
  { code: 'SVC-01', nameZh: '人员注册申请', nameEn: 'Personnel registration application', domain: 'certification', caseType: 'cert-registration', deadlineWorkingDays: 15 },
  { code: 'SVC-02', nameZh: '年度确认申请', nameEn: 'Annual confirmation application', domain: 'certification', caseType: 'annual-confirmation', deadlineWorkingDays: 1 },
  { code: 'SVC-03', nameZh: '人员转换执业机构', nameEn: 'Transfer of practising institution', domain: 'certification', caseType: 'institution-transfer', deadlineWorkingDays: 1 },
  { code: 'SVC-04', nameZh: '考试报名', nameEn: 'Exam registration', domain: 'exam', caseType: 'exam-registration', deadlineWorkingDays: 1 },
  { code: 'SVC-05', nameZh: '考试成绩复核', nameEn: 'Exam score review', domain: 'exam', caseType: 'score-review', deadlineWorkingDays: 4 },
  { code: 'SVC-06', nameZh: '专家申请', nameEn: 'Expert application', domain: 'certification', caseType: 'expert-application', deadlineWorkingDays: null },
  { code: 'SVC-07', nameZh: '老课复审', nameEn: 'Old-course re-review', domain: 'training', caseType: 'course-re-review', deadlineWorkingDays: null },
  { code: 'SVC-08', nameZh: '投诉', nameEn: 'Complaint', domain: 'certification', caseType: 'complaint', deadlineWorkingDays: 90 },
  { code: 'SVC-09', nameZh: '申诉', nameEn: 'Appeal', domain: 'certification', caseType: 'appeal', deadlineWorkingDays: 90 },
  { code: 'SVC-10', nameZh: '证书注销申请', nameEn: 'Certificate cancellation application', domain: 'certification', caseType: 'certificate-cancellation', deadlineWorkingDays: null },
  { code: 'SVC-11', nameZh: '身份核验', nameEn: 'Identity verification', domain: 'identity', caseType: 'identity-verification', deadlineWorkingDays: 5 },
].map((item) => Object.freeze(item as CatalogueItem)));

const byCaseType = new Map(SERVICE_CATALOGUE.map((item) => [item.caseType, item]));

/** The catalogue item of a case type, or `undefined` for a type the catalogue does not list. */
export function catalogueItem(caseType: string): CatalogueItem | undefined {
  return byCaseType.get(caseType);
}
