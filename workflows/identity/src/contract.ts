/**
 * Contract of the identity domain's workflows: the only thing other code imports from here.
 * Task queue, workflow-id builder, messages, input/result and activity types.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { VerificationStatus, WorkflowRef } from '@certhub/contracts';
import type { identityVerificationWorkflow } from './workflows';

export const IDENTITY_TASK_QUEUE = 'identity';

export interface VerificationInput {
  accountId: string;
  /** How long the applicant has to upload proof before the case closes as rejected. */
  proofWaitDays?: number;
  /** Working days the staff review task is due in (workbench inbox). */
  reviewWorkingDays?: number;
  /** Working days after the due date before the review escalates to the supervisors. */
  escalationWorkingDays?: number;
}

export type ProviderOutcome = 'verified' | 'not-verifiable' | 'onsite-required';

export interface ProofSubmission {
  proofId: string;
  round: number;
}

export interface VerificationHistoryEntry {
  status: VerificationStatus;
  at: string;
  reason: string | null;
  actorId: string | null;
}

export interface VerificationState {
  status: VerificationStatus;
  round: number;
  businessNo: string | null;
  proofId: string | null;
  history: VerificationHistoryEntry[];
}

export interface RecordVerificationInput {
  accountId: string;
  workflowId: string;
  /** Position of this change in the workflow: makes a retried activity a no-op. */
  step: number;
  status: VerificationStatus;
  previousStatus: VerificationStatus | null;
  reason: string | null;
  actorId: string | null;
  round: number;
}

export interface RecordedVerification {
  /** Business number of the verification case (allocated with its first step). */
  businessNo: string;
}

export interface IdentityActivities {
  checkWithVerificationProvider(input: { accountId: string }): Promise<{ outcome: ProviderOutcome }>;
  recordVerification(input: RecordVerificationInput): Promise<RecordedVerification>;
}

/** The staff review of a verification is a workbench task of this type. */
export const VERIFICATION_REVIEW_TASK_TYPE = 'identity-verification.review';

export const submitProofUpdate = defineUpdate<VerificationState, [ProofSubmission]>('submitProof');
export const verificationStateQuery = defineQuery<VerificationState>('verificationState');

export const identityVerification: WorkflowRef<typeof identityVerificationWorkflow, string> = {
  workflowType: 'identityVerificationWorkflow',
  taskQueue: IDENTITY_TASK_QUEUE,
  workflowId: (accountId: string) => `identity-verification:${accountId}`,
};

/** Messages an Update validator rejects with; callers map them to 409 codes. */
export const VerificationRejections = {
  NOT_AWAITING_PROOF: 'VERIFICATION_NOT_AWAITING_PROOF',
  STALE_ROUND: 'VERIFICATION_STALE_ROUND',
} as const;
