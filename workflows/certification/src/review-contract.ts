/**
 * Contract of the certification domain's review cases (CE-4 … CE-8): annual confirmation,
 * transfer of practising institution, appeal, complaint, certificate cancellation and expert
 * application. Each kind is a chain of reviews by people (workbench tasks) ending in a decision
 * and, when approved, an effect on the certificate or the person's roles
 * (docs/processes/certification-review-cases.md).
 *
 * Every kind has its own workflow type (ops see the kind in the Temporal UI) running the same
 * chain code with the kind's plan below; the plans are data the service also reads to name the
 * stages in my items.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { WorkflowRef } from '@certhub/contracts';
import type {
  annualConfirmationWorkflow,
  appealWorkflow,
  certificateCancellationWorkflow,
  complaintWorkflow,
  expertApplicationWorkflow,
  institutionTransferWorkflow,
} from './review-workflows';
import { CERTIFICATION_TASK_QUEUE } from './contract';

/** The kinds; each is also the `caseType` of the case's `certification.case.changed.v1` (the service catalogue's code). */
export const REVIEW_CASE_KINDS = ['annual-confirmation', 'institution-transfer', 'appeal', 'complaint', 'certificate-cancellation', 'expert-application'] as const;
export type ReviewCaseKind = (typeof REVIEW_CASE_KINDS)[number];

export function isReviewCaseKind(value: unknown): value is ReviewCaseKind {
  return typeof value === 'string' && (REVIEW_CASE_KINDS as readonly string[]).includes(value);
}

/** Workflow id of a review case: `<kind>:<case id>` (one workflow per case). */
export function reviewCaseWorkflowId(kind: ReviewCaseKind, caseId: string): string {
  return `${kind}:${caseId}`;
}

/** Who a step's task goes to. */
export type ReviewCandidate =
  /** Users of the institution the case belongs to (the certificate's institution; for a transfer, the one left). */
  | 'institution'
  /** Users of the institution a transfer goes to. */
  | 'target-institution'
  | 'staff'
  | 'admin'
  /** The expert the admin assigned in an earlier step (only that expert). */
  | 'assigned-expert';

export interface ReviewOutcome {
  code: string;
  labelZh: string;
  labelEn: string;
  /**
   * What the outcome does: `forward` moves to the next step (after the last: the case is
   * decided with `result`), `return` sends it back to the applicant for rectification, `end`
   * decides the case now with `result`.
   */
  effect: 'forward' | 'return' | 'end';
  /** The case's result when this outcome decides it. */
  result?: ReviewResult;
  opinionRequired?: boolean;
  /** Data the form must carry (e.g. `expertId` of an assignment). */
  requiredData?: string[];
  /** Data naming an account, with the role it must hold (workbench checks its directory). */
  accountData?: Record<string, string>;
}

export interface ReviewStep {
  stage: string;
  titleZh: string;
  titleEn: string;
  candidate: ReviewCandidate;
  outcomes: ReviewOutcome[];
}

/**
 * The case's final result: `approved`/`rejected` for applications, `upheld`/`dismissed` for an
 * appeal, `handled`/`not-accepted` for a complaint, `withdrawn` by the applicant.
 */
export type ReviewResult = 'approved' | 'rejected' | 'upheld' | 'dismissed' | 'handled' | 'not-accepted' | 'withdrawn';

/** What the service does once the case is decided with a positive result (activity `applyReviewEffect`). */
export type ReviewEffect = 'confirm-certificate' | 'transfer-institution' | 'cancel-certificate' | 'grant-expert' | null;

export interface ReviewPlan {
  kind: ReviewCaseKind;
  nameZh: string;
  nameEn: string;
  steps: ReviewStep[];
  /** Results that trigger the effect. */
  effect: ReviewEffect;
  effectOn: ReviewResult[];
  /** Completion deadline in working days (service catalogue; null: none), with rectification time paused. */
  deadlineWorkingDays: number | null;
}

const approve = (labelZh: string, labelEn: string): ReviewOutcome => ({ code: 'approve', labelZh, labelEn, effect: 'forward', result: 'approved' });
const RETURN: ReviewOutcome = { code: 'return', labelZh: '退回整改', labelEn: 'Return for rectification', effect: 'return', opinionRequired: true };
const REJECT: ReviewOutcome = { code: 'reject', labelZh: '不通过', labelEn: 'Reject', effect: 'end', result: 'rejected', opinionRequired: true };

/** The plan of every kind (SPEC §8 CE-4 … CE-8, seeds 003 §3). */
export const REVIEW_PLANS: Record<ReviewCaseKind, ReviewPlan> = {
  'annual-confirmation': {
    kind: 'annual-confirmation',
    nameZh: '年度确认申请',
    nameEn: 'Annual confirmation',
    steps: [
      { stage: 'institution-review', titleZh: '年度确认机构审核', titleEn: 'Annual confirmation: institution review', candidate: 'institution', outcomes: [approve('审核通过', 'Approve'), RETURN, REJECT] },
      { stage: 'association-approval', titleZh: '年度确认协会审批', titleEn: 'Annual confirmation: association approval', candidate: 'staff', outcomes: [approve('审批通过', 'Approve'), RETURN, REJECT] },
    ],
    effect: 'confirm-certificate',
    effectOn: ['approved'],
    deadlineWorkingDays: 1,
  },
  'institution-transfer': {
    kind: 'institution-transfer',
    nameZh: '人员转换执业机构',
    nameEn: 'Transfer of practising institution',
    steps: [
      { stage: 'transfer-out-review', titleZh: '转出机构审核', titleEn: 'Transfer: review by the institution left', candidate: 'institution', outcomes: [approve('同意转出', 'Agree to release'), RETURN, REJECT] },
      { stage: 'transfer-in-review', titleZh: '转入机构审核', titleEn: 'Transfer: review by the institution joined', candidate: 'target-institution', outcomes: [approve('同意转入', 'Agree to take on'), RETURN, REJECT] },
      { stage: 'association-review', titleZh: '转换执业机构协会审核', titleEn: 'Transfer: association review', candidate: 'staff', outcomes: [approve('审核通过', 'Approve'), RETURN, REJECT] },
      { stage: 'association-decision', titleZh: '转换执业机构协会审定', titleEn: 'Transfer: association decision', candidate: 'admin', outcomes: [approve('批准转换', 'Approve the transfer'), RETURN, REJECT] },
    ],
    effect: 'transfer-institution',
    effectOn: ['approved'],
    deadlineWorkingDays: 1,
  },
  appeal: {
    kind: 'appeal',
    nameZh: '申诉',
    nameEn: 'Appeal',
    steps: [
      {
        stage: 'expert-assignment',
        titleZh: '申诉分配专家',
        titleEn: 'Appeal: assign an expert',
        candidate: 'admin',
        outcomes: [{ code: 'assign', labelZh: '分配专家', labelEn: 'Assign expert', effect: 'forward', requiredData: ['expertId'], accountData: { expertId: 'expert' } }],
      },
      {
        stage: 'expert-evaluation',
        titleZh: '申诉专家评价',
        titleEn: 'Appeal: expert evaluation',
        candidate: 'assigned-expert',
        outcomes: [
          { code: 'supported', labelZh: '申诉理由成立', labelEn: 'Grounds hold', effect: 'forward', opinionRequired: true },
          { code: 'not-supported', labelZh: '申诉理由不成立', labelEn: 'Grounds do not hold', effect: 'forward', opinionRequired: true },
        ],
      },
      {
        stage: 'association-opinion',
        titleZh: '申诉协会意见',
        titleEn: 'Appeal: association opinion',
        candidate: 'staff',
        outcomes: [
          { code: 'uphold', labelZh: '维持申诉', labelEn: 'Uphold the appeal', effect: 'end', result: 'upheld', opinionRequired: true },
          { code: 'dismiss', labelZh: '驳回申诉', labelEn: 'Dismiss the appeal', effect: 'end', result: 'dismissed', opinionRequired: true },
        ],
      },
    ],
    effect: null,
    effectOn: [],
    deadlineWorkingDays: 90,
  },
  complaint: {
    kind: 'complaint',
    nameZh: '投诉',
    nameEn: 'Complaint',
    steps: [
      {
        stage: 'association-acceptance',
        titleZh: '投诉受理',
        titleEn: 'Complaint: acceptance',
        candidate: 'staff',
        outcomes: [
          { code: 'accept', labelZh: '受理', labelEn: 'Accept', effect: 'forward' },
          { code: 'not-accept', labelZh: '不予受理', labelEn: 'Do not accept', effect: 'end', result: 'not-accepted', opinionRequired: true },
        ],
      },
      {
        stage: 'handling',
        titleZh: '投诉处理',
        titleEn: 'Complaint: handling',
        candidate: 'staff',
        outcomes: [{ code: 'handled', labelZh: '处理完毕并反馈', labelEn: 'Handled, feedback given', effect: 'end', result: 'handled', opinionRequired: true }],
      },
    ],
    effect: null,
    effectOn: [],
    deadlineWorkingDays: 90,
  },
  'certificate-cancellation': {
    kind: 'certificate-cancellation',
    nameZh: '证书注销申请',
    nameEn: 'Certificate cancellation',
    steps: [{ stage: 'association-review', titleZh: '证书注销协会审核', titleEn: 'Certificate cancellation: association review', candidate: 'staff', outcomes: [approve('同意注销', 'Cancel the certificate'), RETURN, REJECT] }],
    effect: 'cancel-certificate',
    effectOn: ['approved'],
    deadlineWorkingDays: null,
  },
  'expert-application': {
    kind: 'expert-application',
    nameZh: '专家申请',
    nameEn: 'Expert application',
    steps: [{ stage: 'association-review', titleZh: '专家申请协会审核', titleEn: 'Expert application: association review', candidate: 'staff', outcomes: [approve('同意聘为专家', 'Appoint as expert'), RETURN, REJECT] }],
    effect: 'grant-expert',
    effectOn: ['approved'],
    deadlineWorkingDays: null,
  },
};

/** Workbench task type of a step: `<kind>.<stage>`. */
export function reviewTaskType(kind: ReviewCaseKind, stage: string): string {
  return `${kind}.${stage}`;
}

/** Input of a review case's workflow (started by the case's submit). Ids and the business number only. */
export interface ReviewCaseInput {
  caseId: string;
  kind: ReviewCaseKind;
  businessNo: string;
  applicantId: string;
  /** Working days a review task is due in (default 5), and more before it escalates (default 3). */
  reviewWorkingDays?: number;
  escalationWorkingDays?: number;
  /** Days the applicant has to resubmit a returned case before it ends (default 30; 0: no limit). */
  rectificationDays?: number;
}

/** The case as the workflow needs it (read by an activity). */
export interface ReviewCaseSnapshot {
  caseId: string;
  kind: ReviewCaseKind;
  businessNo: string;
  applicantId: string;
  institutionId: string | null;
  targetInstitutionId: string | null;
  itemName: string;
  itemNameEn: string;
}

export type ReviewCaseStatus = 'submitted' | 'returned' | 'decided' | 'withdrawn';

export interface RecordReviewStepInput {
  caseId: string;
  /** Position of the change in the workflow: a retried activity writes it once. */
  step: number;
  action: string;
  stage: string;
  nextStage: string;
  status: ReviewCaseStatus;
  result: ReviewResult | null;
  round: number;
  actorId: string | null;
  opinion: string | null;
  details: Record<string, unknown> | null;
  milestone: 'returned' | 'decided' | 'withdrawn' | 'expired' | null;
}

export interface ReviewEffectResult {
  effect: Exclude<ReviewEffect, null>;
  details: Record<string, unknown>;
}

export interface ReviewCaseActivities {
  loadReviewCase(input: { caseId: string }): Promise<ReviewCaseSnapshot>;
  recordReviewStep(input: RecordReviewStepInput): Promise<void>;
  /** The approved case's effect, applied once per case (idempotent). */
  applyReviewEffect(input: { caseId: string; actorId: string }): Promise<ReviewEffectResult>;
}

export interface ReviewCaseHistoryEntry {
  stage: string;
  round: number;
  action: string;
  outcome: string | null;
  actorId: string | null;
  at: string;
}

export interface ReviewCaseState {
  stage: string;
  status: ReviewCaseStatus;
  result: ReviewResult | null;
  round: number;
  expertId: string | null;
  history: ReviewCaseHistoryEntry[];
}

/** The applicant resubmitted the returned case (stored by the service first); `round` is the new round. */
export const reviewResubmitSignal = defineSignal<[{ round: number }]>('reviewResubmit');
/** The applicant withdrew the returned case (stored by the service first). */
export const reviewWithdrawSignal = defineSignal<[]>('reviewWithdraw');
export const reviewCaseStateQuery = defineQuery<ReviewCaseState>('reviewCaseState');

type ReviewWorkflowFn =
  | typeof annualConfirmationWorkflow
  | typeof institutionTransferWorkflow
  | typeof appealWorkflow
  | typeof complaintWorkflow
  | typeof certificateCancellationWorkflow
  | typeof expertApplicationWorkflow;

const WORKFLOW_TYPES: Record<ReviewCaseKind, string> = {
  'annual-confirmation': 'annualConfirmationWorkflow',
  'institution-transfer': 'institutionTransferWorkflow',
  appeal: 'appealWorkflow',
  complaint: 'complaintWorkflow',
  'certificate-cancellation': 'certificateCancellationWorkflow',
  'expert-application': 'expertApplicationWorkflow',
};

/** The workflow of a kind, as the service starts and signals it. */
export function reviewCaseWorkflow(kind: ReviewCaseKind): WorkflowRef<ReviewWorkflowFn, string> {
  return { workflowType: WORKFLOW_TYPES[kind], taskQueue: CERTIFICATION_TASK_QUEUE, workflowId: (caseId: string) => reviewCaseWorkflowId(kind, caseId) };
}
