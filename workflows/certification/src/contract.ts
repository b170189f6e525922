/**
 * Contract of the certification domain's workflows: the only thing other code imports from here.
 * Task queue, workflow ids, the application workflow's messages, input/result and activity types
 * (docs/processes/certification-registration.md).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CaseMilestone, WorkflowRef } from '@certhub/contracts';
import type { certApplicationWorkflow } from './workflows';

/** Task queue of the certification service's worker. */
export const CERTIFICATION_TASK_QUEUE = 'certification';

/** `caseType` of a personnel registration application (人员注册申请) in `certification.case.changed.v1`. */
export const CERT_REGISTRATION_CASE_TYPE = 'cert-registration';

/**
 * Workflow id of a registration application's process: one workflow per application, so a
 * repeated submit cannot start the process twice.
 */
export function certApplicationWorkflowId(applicationId: string): string {
  return `cert-application:${applicationId}`;
}

/** Input of the application workflow (started by submit). No personal data: ids and the business number only. */
export interface CertApplicationInput {
  applicationId: string;
  businessNo: string;
  applicantId: string;
  /** Working days a review task is due in (default 5), and more before it escalates (default 3). */
  reviewWorkingDays?: number;
  escalationWorkingDays?: number;
  /** Days the applicant has to pay the fee (default 15). */
  feeDueDays?: number;
  /**
   * Days a case returned for rectification waits for the resubmit before it is deemed withdrawn
   * (逾期未整改视为撤回); absent or 0: it waits indefinitely (runs started before this existed).
   */
  rectificationDays?: number;
}

export const certApplication: WorkflowRef<typeof certApplicationWorkflow, string> = {
  workflowType: 'certApplicationWorkflow',
  taskQueue: CERTIFICATION_TASK_QUEUE,
  workflowId: certApplicationWorkflowId,
};

/** The review steps, in order (payment sits between institution review and expert assignment when the person pays). */
export type CertReviewStage = 'institution-review' | 'expert-assignment' | 'expert-evaluation' | 'association-approval' | 'association-decision';
export type CertStage = CertReviewStage | 'payment' | 'rectification' | 'finished';

/** Workbench task types of the application's steps. */
export const CERT_TASK_TYPES: Record<CertReviewStage, string> = {
  'institution-review': 'cert-registration.institution-review',
  'expert-assignment': 'cert-registration.expert-assignment',
  'expert-evaluation': 'cert-registration.expert-evaluation',
  'association-approval': 'cert-registration.association-approval',
  'association-decision': 'cert-registration.association-decision',
};

/** An expert's verdict on one record of the application. */
export interface RecordVerdict {
  recordId: string;
  verdict: 'pass' | 'fail';
  /** Why it failed (becomes the non-conformity's text). */
  note?: string | null;
}

/** The application as the workflow needs it (read by an activity; ids, codes and names of things, no personal data). */
export interface ApplicationSnapshot {
  applicationId: string;
  businessNo: string;
  applicantId: string;
  institutionId: string | null;
  paymentBy: 'person' | 'institution' | null;
  itemName: string;
  itemNameEn: string;
  /** The registration fee (integer fen) from the fee table; charged only when the person pays. */
  feeFen: number;
  records: Array<{ id: string; kind: string; position: number; labelZh: string }>;
}

export type CertApplicationStatus = 'submitted' | 'returned' | 'approved' | 'rejected' | 'withdrawn';

/** One change of the case: the activity writes it (status, stage, history row, case event) once per step. */
export interface RecordStepInput {
  applicationId: string;
  /** Position of this change in the workflow: makes a retried activity a no-op. */
  step: number;
  action: string;
  /** The stage that acted (the history row's stage). */
  stage: CertStage;
  /** Where the case goes (the application's stage afterwards). */
  nextStage: CertStage;
  status: CertApplicationStatus;
  round: number;
  actorId: string | null;
  opinion: string | null;
  /** Verdicts, non-conformities, the assigned expert, the fee's outcome … */
  details: Record<string, unknown> | null;
  milestone: CaseMilestone | null;
  /** Institution the case is routed to (its staff see it). */
  institutionId: string | null;
}

export interface IssuedCertificate {
  certificateId: string;
  certificateNo: string;
  issuedAt: string;
  validUntil: string;
}

/** What the database says when the rectification time of a returned case ran out. */
export type RectificationExpiry = 'expired' | 'resubmitted' | 'withdrawn';

export interface CertificationActivities {
  loadApplication(input: { applicationId: string }): Promise<ApplicationSnapshot>;
  recordStep(input: RecordStepInput): Promise<void>;
  /**
   * The rectification time of `round` (the round the returned case waits for) ran out: the case is
   * deemed withdrawn (status `withdrawn`, history, case event with milestone `expired`) if it is
   * still returned in that round; otherwise it says what the applicant did meanwhile.
   */
  expireRectification(input: { applicationId: string; round: number; step: number; institutionId: string | null; days: number }): Promise<RectificationExpiry>;
  /** Issues the certificate once per application and tells identity to grant the certified role (ADR 0016). */
  issueCertificate(input: { applicationId: string; actorId: string }): Promise<IssuedCertificate>;
}

export interface CertApplicationHistoryEntry {
  stage: CertStage;
  round: number;
  action: string;
  outcome: string | null;
  actorId: string | null;
  opinion: string | null;
  at: string;
}

export interface CertApplicationState {
  stage: CertStage;
  status: CertApplicationStatus;
  round: number;
  /** The stage a return came from: the resubmitted case goes back to it. */
  returnedFrom: CertStage | null;
  expertId: string | null;
  feeId: string | null;
  certificateNo: string | null;
  history: CertApplicationHistoryEntry[];
  /** Who pays the fee (set when the payment stage begins): the applicant, or the practising institution. */
  payer?: { kind: 'person' | 'institution'; accountId: string; institutionId: string | null } | null;
}

/** The applicant resubmitted after a return; `round` is the round the resubmission starts. */
export const resubmitSignal = defineSignal<[{ round: number }]>('resubmit');
/**
 * The applicant withdrew the application while it was returned for rectification (撤回). The
 * service stored the withdrawal first (status `withdrawn`, history, case event); the workflow
 * only ends. Sent by the service right after its commit, or by the starter when Temporal was down;
 * `round` is the application's round at the withdrawal (the one the returned case waits for).
 */
export const withdrawSignal = defineSignal<[{ round: number }]>('withdraw');
export const certApplicationStateQuery = defineQuery<CertApplicationState>('certApplicationState');
