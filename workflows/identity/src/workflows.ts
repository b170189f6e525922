import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { BusinessNo, CaseStage, CaseStatus, type VerificationStatus } from '@certhub/contracts';
import { humanTasks, type TaskOutcomeSpec } from '@certhub/human-tasks';
import {
  submitProofUpdate,
  verificationStateQuery,
  VERIFICATION_REVIEW_TASK_TYPE,
  VerificationRejections,
  type IdentityActivities,
  type VerificationInput,
  type VerificationState,
} from './contract';

const provider = proxyActivities<IdentityActivities>({
  startToCloseTimeout: '30 seconds',
  // "Unavailable" is retried with backoff for up to two days before staff take over.
  scheduleToCloseTimeout: '2 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: ['InvalidAccount'] },
});

const recorder = proxyActivities<IdentityActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const DAY_MS = 24 * 60 * 60 * 1000;

const APPROVE: TaskOutcomeSpec = { code: 'approve', labelZh: '核验通过', labelEn: 'Approve' };
const REJECT: TaskOutcomeSpec = { code: 'reject', labelZh: '核验不通过', labelEn: 'Reject', opinionRequired: true };
const RETURN: TaskOutcomeSpec = { code: 'return', labelZh: '退回补充材料', labelEn: 'Return for more proof', opinionRequired: true };
const ONSITE: TaskOutcomeSpec = { code: 'onsite', labelZh: '要求现场核验', labelEn: 'Require on-site verification', opinionRequired: true };

/**
 * ID-12 identity and education verification of one account.
 *
 * provider check ─ verified ─────────────────────────────▶ verified
 *               ├ not verifiable ▶ awaiting-proof ─ proof ▶ awaiting-staff ─ approve ▶ verified
 *               │                      ▲   (timeout ▶ rejected)     ├ return ─┘ (next round)
 *               │                      └────────────────────────────┤ reject ▶ rejected
 *               └ on-site required ▶ onsite-required ◀─── onsite ───┘
 *                                    └ approve ▶ verified / reject ▶ rejected
 *
 * Staff decide in the workbench inbox: the review is a human task (due in working days,
 * reminded at the due date, escalated to the supervisors after it).
 */
export async function identityVerificationWorkflow(input: VerificationInput): Promise<VerificationState> {
  const { accountId } = input;
  const proofWaitMs = (input.proofWaitDays ?? 30) * DAY_MS;
  const state: VerificationState = { status: 'pending', round: 1, businessNo: null, proofId: null, history: [] };
  const tasks = humanTasks();
  let step = 0;
  let pendingProof: string | null = null;

  setHandler(verificationStateQuery, () => state);

  setHandler(
    submitProofUpdate,
    async (proof) => {
      pendingProof = proof.proofId;
      const round = state.round;
      await condition(() => state.status !== 'awaiting-proof' || state.round !== round);
      return state;
    },
    {
      validator: (proof) => {
        if (state.status !== 'awaiting-proof' || pendingProof !== null) throw new Error(VerificationRejections.NOT_AWAITING_PROOF);
        if (proof.round !== state.round) throw new Error(VerificationRejections.STALE_ROUND);
      },
    },
  );

  /** Records the change first; the visible state (and an Update waiting on it) moves after. */
  async function moveTo(status: VerificationStatus, reason: string | null, actorId: string | null, round = state.round): Promise<void> {
    const previousStatus = state.history.length === 0 ? null : state.status;
    step += 1;
    const recorded = await recorder.recordVerification({
      accountId,
      workflowId: workflowInfo().workflowId,
      step,
      status,
      previousStatus,
      reason,
      actorId,
      round,
    });
    state.history.push({ status, at: new Date().toISOString(), reason, actorId });
    state.status = status;
    state.round = round;
    state.businessNo = recorded.businessNo;
    // Ops find cases by business number, stage and status in the Temporal UI; no personal data goes here.
    upsertSearchAttributes([
      { key: BusinessNo, value: recorded.businessNo },
      { key: CaseStage, value: status },
      { key: CaseStatus, value: status === 'verified' || status === 'rejected' ? 'done' : 'active' },
    ]);
  }

  let outcome: 'verified' | 'not-verifiable' | 'onsite-required';
  try {
    outcome = (await provider.checkWithVerificationProvider({ accountId })).outcome;
  } catch (err) {
    if (err instanceof ActivityFailure) outcome = 'not-verifiable'; // provider down for days: staff check proof
    else throw err;
  }
  await moveTo(outcome === 'verified' ? 'verified' : outcome === 'onsite-required' ? 'onsite-required' : 'awaiting-proof', outcome === 'not-verifiable' ? 'provider-could-not-verify' : null, null);

  while (state.status !== 'verified' && state.status !== 'rejected') {
    if (state.status === 'awaiting-proof') {
      const uploaded = await condition(() => pendingProof !== null, proofWaitMs);
      if (!uploaded) {
        await moveTo('rejected', 'proof-not-submitted', null);
        break;
      }
      state.proofId = pendingProof;
      pendingProof = null;
      await moveTo('awaiting-staff', null, accountId);
      continue;
    }
    const stage = state.status;
    const decision = await tasks.run({
      key: `${workflowInfo().workflowId}:${stage}:${state.round}`,
      type: VERIFICATION_REVIEW_TASK_TYPE,
      stage,
      round: state.round,
      titleZh: stage === 'onsite-required' ? '身份现场核验结果' : '身份与学历核验审核',
      titleEn: stage === 'onsite-required' ? 'On-site identity verification result' : 'Identity and education verification review',
      case: {
        domain: 'identity',
        caseType: 'identity-verification',
        caseId: accountId,
        businessNo: state.businessNo ?? '',
        applicantId: accountId,
        itemName: '身份核验',
        itemNameEn: 'Identity verification',
      },
      candidate: { role: 'staff' },
      outcomes: stage === 'onsite-required' ? [APPROVE, REJECT] : [APPROVE, RETURN, REJECT, ONSITE],
      dueInWorkingDays: input.reviewWorkingDays ?? 3,
      escalation: { afterWorkingDays: input.escalationWorkingDays ?? 2, role: 'admin' },
      context: { accountId, proofId: state.proofId, review: `/api/v1/identity/staff/verifications/${accountId}` },
    });
    const opinion = decision.opinion;
    switch (decision.outcome) {
      case 'approve':
        await moveTo('verified', opinion, decision.actorId);
        break;
      case 'reject':
        await moveTo('rejected', opinion, decision.actorId);
        break;
      case 'onsite':
        await moveTo('onsite-required', opinion, decision.actorId);
        break;
      case 'return':
        state.proofId = null;
        await moveTo('awaiting-proof', opinion, decision.actorId, state.round + 1);
        break;
      default:
        throw ApplicationFailure.nonRetryable(`unknown outcome ${decision.outcome}`);
    }
  }
  return state;
}
