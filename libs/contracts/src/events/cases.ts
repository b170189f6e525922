/**
 * The one shape every domain uses to tell the platform that one of its cases changed
 * (`<domain>.case.changed.v1`). Workbench projects these into "my items" (WB-3) and turns
 * milestones into messages (WB-4). Personal data never goes here: the applicant is an account id.
 */
export const CASE_DOMAINS = ['identity', 'exam', 'certification', 'training'] as const;
export type CaseDomain = (typeof CASE_DOMAINS)[number];

export type CaseChangedTopic = `${CaseDomain}.case.changed.v1`;

export function caseChangedTopic<D extends CaseDomain>(domain: D): `${D}.case.changed.v1` {
  return `${domain}.case.changed.v1`;
}

export const CaseTopics = {
  identity: caseChangedTopic('identity'),
  exam: caseChangedTopic('exam'),
  certification: caseChangedTopic('certification'),
  training: caseChangedTopic('training'),
} as const;

/** 草稿箱 / 办理中 / 已完结. */
export type CaseItemStatus = 'draft' | 'active' | 'done';
export const CASE_ITEM_STATUSES: readonly CaseItemStatus[] = ['draft', 'active', 'done'];

/**
 * What just happened, when it deserves a message to the applicant (`action-required`: the
 * applicant must do something — upload material, attend an on-site check — without a review
 * having returned the case). `null` for changes that only
 * move the item (a reviewer claimed it, a stage began).
 */
export type CaseMilestone = 'submitted' | 'action-required' | 'returned' | 'resubmitted' | 'decided' | 'withdrawn' | 'expired';
export const CASE_MILESTONES: readonly CaseMilestone[] = ['submitted', 'action-required', 'returned', 'resubmitted', 'decided', 'withdrawn', 'expired'];

export interface CaseChangedV1 {
  domain: CaseDomain;
  /** Catalogue item of the case, e.g. `identity-verification`, `cert-registration` (SPEC §8). */
  caseType: string;
  /** The owning domain's id of the case; with `domain` it identifies the item. */
  caseId: string;
  /** 业务号, 14 digits; unique within the domain. */
  businessNo: string;
  /** Item name shown in my items, Chinese first. */
  itemName: string;
  itemNameEn: string;
  /** The account the item belongs to (applicant). */
  applicantId: string;
  institutionId: string | null;
  /** Machine code of the current stage (业务环节) and its display names. */
  stage: string;
  stageName: string;
  stageNameEn: string;
  status: CaseItemStatus;
  /** Final result once done (`approved`, `rejected`, `verified` …), otherwise null. */
  result: string | null;
  milestone: CaseMilestone | null;
  /** Opinion that goes with a milestone (the reason of a return or a decision). */
  opinion: string | null;
  /**
   * Strictly increasing per case: consumers keep the highest version, so duplicates and
   * out-of-order deliveries leave the same result.
   */
  version: number;
  changedAt: string;
  submittedAt: string | null;
  /** Completion deadline of the case (service catalogue, in working days), absolute. */
  dueAt: string | null;
  /** True while the applicant has the case (rectification): the clock does not run. */
  clockPaused: boolean;
  workflowId: string | null;
  /** API path of the case for clients, e.g. `/api/v1/certification/applications/<id>`. */
  link: string;
  /**
   * Someone besides the applicant who must act now, and why: `fee-payer`, the institution user
   * asked to pay the case's fee for the institution. Workbench sends them a message. Absent or
   * null otherwise (events before it was added have none).
   */
  actionBy?: CaseActionBy | null;
}

export type CaseActionReason = 'fee-payer';
export const CASE_ACTION_REASONS: readonly CaseActionReason[] = ['fee-payer'];

export interface CaseActionBy {
  /** An account id (no personal data). */
  accountId: string;
  reason: CaseActionReason;
  /** API path of what they act on (for `fee-payer` the fee: `/api/v1/payment/fees/<feeId>`). */
  link: string;
}

const nullableString = { type: ['string', 'null'] } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const caseChangedSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'domain', 'caseType', 'caseId', 'businessNo', 'itemName', 'itemNameEn', 'applicantId', 'institutionId', 'stage', 'stageName',
    'stageNameEn', 'status', 'result', 'milestone', 'opinion', 'version', 'changedAt', 'submittedAt', 'dueAt', 'clockPaused',
    'workflowId', 'link',
  ],
  properties: {
    domain: { enum: CASE_DOMAINS },
    caseType: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,63}$' },
    caseId: { type: 'string', minLength: 1, maxLength: 100 },
    businessNo: { type: 'string', pattern: '^[0-9]{14}$' },
    itemName: { type: 'string', minLength: 1, maxLength: 200 },
    itemNameEn: { type: 'string', minLength: 1, maxLength: 200 },
    applicantId: { type: 'string', format: 'uuid' },
    institutionId: { type: ['string', 'null'], format: 'uuid' },
    stage: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$' },
    stageName: { type: 'string', minLength: 1, maxLength: 100 },
    stageNameEn: { type: 'string', minLength: 1, maxLength: 100 },
    status: { enum: CASE_ITEM_STATUSES },
    result: nullableString,
    milestone: { enum: [...CASE_MILESTONES, null] },
    opinion: { type: ['string', 'null'], maxLength: 4000 },
    version: { type: 'integer', minimum: 1 },
    changedAt: { type: 'string', format: 'date-time' },
    submittedAt: nullableDateTime,
    dueAt: nullableDateTime,
    clockPaused: { type: 'boolean' },
    workflowId: nullableString,
    link: { type: 'string', pattern: '^/api/v1/' },
    actionBy: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['accountId', 'reason', 'link'],
      properties: { accountId: { type: 'string', format: 'uuid' }, reason: { enum: CASE_ACTION_REASONS }, link: { type: 'string', pattern: '^/api/v1/' } },
    },
  },
} as const;

export const caseEventSchemas = Object.fromEntries(CASE_DOMAINS.map((d) => [caseChangedTopic(d), caseChangedSchema])) as {
  [K in CaseChangedTopic]: typeof caseChangedSchema;
};

export type CaseEventData = { [K in CaseChangedTopic]: CaseChangedV1 };
