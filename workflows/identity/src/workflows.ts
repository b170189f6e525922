import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  ActivityFailure,
} from '@temporalio/workflow';
import { CaseStage, CaseStatus, type VerificationStatus } from '@certhub/contracts';
import {
  decideUpdate,
  submitProofUpdate,
  verificationStateQuery,
  VerificationRejections,
  type IdentityActivities,
  type StaffDecision,
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

/**
 * ID-12 identity and education verification of one account.
 *
 * provider check ─ verified ─────────────────────────────▶ verified
 *               ├ not verifiable ▶ awaiting-proof ─ proof ▶ awaiting-staff ─ approve ▶ verified
 *               │                      ▲   (timeout ▶ rejected)     ├ return ─┘ (next round)
 *               │                      └────────────────────────────┤ reject ▶ rejected
 *               └ on-site required ▶ onsite-required ◀─── onsite ───┘
 *                                    └ approve ▶ verified / reject ▶ rejected
 */
export async function identityVerificationWorkflow(input: VerificationInput): Promise<VerificationState> {
  const { accountId } = input;
  const proofWaitMs = (input.proofWaitDays ?? 30) * DAY_MS;
  const reminderMs = (input.staffReminderDays ?? 3) * DAY_MS;
  const state: VerificationState = { status: 'pending', round: 1, proofId: null, history: [] };
  let step = 0;
  let pendingProof: string | null = null;
  let pendingDecision: StaffDecision | null = null;

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

  setHandler(
    decideUpdate,
    async (decision) => {
      pendingDecision = decision;
      const before = { status: state.status, round: state.round };
      await condition(() => state.status !== before.status || state.round !== before.round);
      return state;
    },
    {
      validator: (decision) => {
        if (state.status !== 'awaiting-staff' && state.status !== 'onsite-required') {
          throw new Error(VerificationRejections.NOT_AWAITING_DECISION);
        }
        if (decision.round !== state.round) throw new Error(VerificationRejections.STALE_ROUND);
        if (pendingDecision !== null) throw new Error(VerificationRejections.ALREADY_DECIDED);
        const allowed = state.status === 'onsite-required' ? ['approve', 'reject'] : ['approve', 'return', 'reject', 'onsite'];
        if (!allowed.includes(decision.outcome)) throw new Error(VerificationRejections.BAD_OUTCOME);
      },
    },
  );

  /** Records the change first; the visible state (and an Update waiting on it) moves after. */
  async function moveTo(status: VerificationStatus, reason: string | null, actorId: string | null, round = state.round): Promise<void> {
    const previousStatus = state.history.length === 0 ? null : state.status;
    step += 1;
    await recorder.recordVerification({
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
    // Ops find cases by stage and status in the Temporal UI; no personal data goes here.
    upsertSearchAttributes([
      { key: CaseStage, value: status },
      { key: CaseStatus, value: status === 'verified' || status === 'rejected' ? 'done' : 'active' },
    ]);
  }

  async function awaitDecision(): Promise<StaffDecision> {
    let waited = 0;
    for (;;) {
      if (await condition(() => pendingDecision !== null, reminderMs)) {
        const decision = pendingDecision as unknown as StaffDecision;
        pendingDecision = null;
        return decision;
      }
      waited += input.staffReminderDays ?? 3;
      await recorder.remindVerificationStaff({ accountId, round: state.round, waitingSinceDays: waited });
    }
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
    const decision = await awaitDecision();
    switch (decision.outcome) {
      case 'approve':
        await moveTo('verified', decision.opinion, decision.decidedBy);
        break;
      case 'reject':
        await moveTo('rejected', decision.opinion, decision.decidedBy);
        break;
      case 'onsite':
        await moveTo('onsite-required', decision.opinion, decision.decidedBy);
        break;
      case 'return':
        state.proofId = null;
        await moveTo('awaiting-proof', decision.opinion, decision.decidedBy, state.round + 1);
        break;
      default:
        throw ApplicationFailure.nonRetryable(`unknown outcome ${String(decision.outcome)}`);
    }
  }
  return state;
}
