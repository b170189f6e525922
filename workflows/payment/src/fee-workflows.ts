import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { BusinessNo, CaseStage, CaseStatus, CaseType } from '@certhub/contracts';
import { humanTasks, type TaskDecision, type TaskOutcomeSpec } from '@certhub/human-tasks';
import type { PaymentActivities } from './contract';
import {
  cancelFeeSignal,
  FEE_CASE_TYPE,
  FEE_VOUCHER_STAGE,
  FEE_VOUCHER_TASK_TYPE,
  feeInputProblem,
  FeeRejections,
  feeSettledSignal,
  feeStateQuery,
  submitVoucherUpdate,
  type FeeActivities,
  type FeeCancelRequest,
  type FeePaymentInput,
  type FeePaymentResult,
  type FeeSnapshot,
  type FeeWorkflowState,
  type VoucherSubmission,
} from './fee-contract';

/** Database work and provider queries: short, retried with backoff until they succeed. */
const fees = proxyActivities<FeeActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['InvalidFee'] },
});

/** The provider's refund: retried until the provider confirms (idempotent on our refund id). */
const provider = proxyActivities<Pick<PaymentActivities, 'refundAtProvider'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const ACCEPT: TaskOutcomeSpec = { code: 'accept', labelZh: '凭证有效，确认收款', labelEn: 'Accept: payment received' };
const REJECT: TaskOutcomeSpec = { code: 'reject', labelZh: '凭证无效，退回', labelEn: 'Reject the voucher', opinionRequired: true };

/**
 * A fee of another domain's case (`fee-payment:<feeId>`, a child workflow on the payment queue).
 *
 *   open ▶ awaiting-payment ─ online payment verified (feeSettled) ─────────────────────▶ paid-online
 *               │  ▲        ├ voucher uploaded (submitVoucher) ▶ voucher-review ─ accept ▶ paid-offline
 *               │  └────────┼──────────── reject (next round, while before the due time) ┘
 *               │           ├ due time, provider says unpaid ──────────────────────────▶ expired
 *               │           └ cancelFee signal / workflow cancelled, provider says unpaid ▶ cancelled
 *
 * The due time is absolute. A voucher uploaded before it is decided even after it; a rejection
 * after it ends the fee as expired. An online payment verified while a voucher waits for staff
 * pays the fee and withdraws the review task. Every change is made by an activity against the
 * fee row (conditional updates), so a payment that races the deadline or a cancel is never lost:
 * one that arrives after all is refunded (`fee-refund:<paymentId>`).
 */
export async function feePaymentWorkflow(input: FeePaymentInput): Promise<FeePaymentResult> {
  const problem = feeInputProblem(input);
  if (problem) throw ApplicationFailure.nonRetryable(`invalid fee input: ${problem}`, 'InvalidFee');
  const { feeId } = input;
  const dueAt = Date.parse(input.dueAt);
  const tasks = humanTasks();
  const root = CancellationScope.current();
  const state: FeeWorkflowState = { feeId, stage: 'opening', status: 'pending', round: 1, voucherUnderReview: null, reviews: [] };
  let submitted: VoucherSubmission | null = null;
  let settledHint = false;
  let cancelRequest: FeeCancelRequest | null = null;

  setHandler(feeStateQuery, () => state);
  setHandler(feeSettledSignal, () => {
    settledHint = true;
  });
  setHandler(cancelFeeSignal, (request) => {
    cancelRequest ??= { reason: request?.reason ?? 'cancelled', actorId: request?.actorId ?? null };
  });
  setHandler(
    submitVoucherUpdate,
    (voucher) => {
      submitted = voucher;
      state.stage = 'voucher-review';
      state.voucherUnderReview = voucher.voucherId;
      return state;
    },
    {
      validator: (voucher) => {
        if (state.stage !== 'awaiting-payment' || submitted !== null || cancelRequest !== null || settledHint) throw new Error(FeeRejections.NOT_AWAITING_VOUCHER);
        if (Date.now() >= dueAt) throw new Error(FeeRejections.PAST_DUE);
        if (voucher.round !== state.round) throw new Error(FeeRejections.STALE_ROUND);
      },
    },
  );

  const mark = (stage: FeeWorkflowState['stage'], status: FeeWorkflowState['status']) => {
    state.stage = stage;
    state.status = status;
    // Ops find fees by the parent's business number; no personal data goes here.
    upsertSearchAttributes([
      { key: BusinessNo, value: input.case.businessNo },
      { key: CaseType, value: FEE_CASE_TYPE },
      { key: CaseStage, value: stage },
      { key: CaseStatus, value: status },
    ]);
  };

  const result = (fee: FeeSnapshot): FeePaymentResult => {
    mark('settled', fee.status);
    return {
      feeId,
      outcome: fee.status === 'paid' ? (fee.paidVia === 'voucher' ? 'paid-offline' : 'paid-online') : fee.status === 'cancelled' ? 'cancelled' : 'expired',
      amountFen: input.amountFen,
      paidAt: fee.paidAt,
      paymentId: fee.paymentId,
      voucherId: fee.voucherId,
      invoiceNo: fee.invoiceNo,
      reviews: state.reviews,
      closedAt: fee.closedAt,
    };
  };

  /** The staff check of one voucher; null when it was withdrawn (paid online or cancelled meanwhile). */
  async function review(voucher: VoucherSubmission): Promise<TaskDecision | null> {
    const scope = new CancellationScope();
    let finished = false;
    void condition(() => finished || settledHint || cancelRequest !== null).then(() => {
      if (!finished) scope.cancel();
    });
    try {
      return await scope.run(() =>
        tasks.run({
          key: `${workflowInfo().workflowId}:${FEE_VOUCHER_STAGE}:${voucher.round}`,
          type: FEE_VOUCHER_TASK_TYPE,
          stage: FEE_VOUCHER_STAGE,
          round: voucher.round,
          titleZh: `核对缴费凭证：${input.case.itemName}`,
          titleEn: `Check the payment voucher: ${input.case.itemNameEn}`,
          case: { ...input.case, applicantId: input.payer.accountId },
          candidate: { role: 'staff' },
          outcomes: [ACCEPT, REJECT],
          dueInWorkingDays: input.voucherReview?.dueInWorkingDays ?? 2,
          escalation: { afterWorkingDays: input.voucherReview?.escalationWorkingDays ?? 2, role: 'admin' },
          context: {
            feeId,
            voucherId: voucher.voucherId,
            round: voucher.round,
            amountFen: input.amountFen,
            purpose: input.purpose,
            payerKind: input.payer.kind,
            voucher: `/api/v1/payment/staff/fees/${feeId}/vouchers/${voucher.voucherId}`,
          },
        }),
      );
    } catch (err) {
      if (isCancellation(err) && !root.consideredCancelled) return null;
      throw err;
    } finally {
      finished = true;
    }
  }

  let fee: FeeSnapshot | undefined;
  try {
    fee = await fees.openFee({ ...input, workflowId: workflowInfo().workflowId });
    if (fee.status === 'pending') mark('awaiting-payment', 'pending');
    while (fee.status === 'pending') {
      if (cancelRequest !== null) {
        const request: FeeCancelRequest = cancelRequest;
        fee = await fees.cancelFee({ feeId, ...request });
        break;
      }
      if (settledHint) {
        settledHint = false;
        fee = await fees.readFee({ feeId });
        continue;
      }
      if (submitted !== null) {
        const voucher: VoucherSubmission = submitted;
        mark('voucher-review', 'pending');
        const decision = await review(voucher);
        submitted = null;
        state.voucherUnderReview = null;
        if (decision === null) {
          // Withdrawn: the loop reads the fee (paid online) or cancels it.
          continue;
        }
        const outcome = decision.outcome === 'accept' ? 'accepted' : 'rejected';
        state.reviews.push({ voucherId: voucher.voucherId, round: voucher.round, outcome, opinion: decision.opinion, actorId: decision.actorId, decidedAt: decision.completedAt });
        fee = await fees.decideVoucher({ feeId, voucherId: voucher.voucherId, outcome, opinion: decision.opinion, actorId: decision.actorId, decidedAt: decision.completedAt });
        if (fee.status === 'pending') {
          state.round = voucher.round + 1;
          mark('awaiting-payment', 'pending');
        }
        continue;
      }
      const remaining = dueAt - Date.now();
      if (remaining <= 0) {
        fee = await fees.expireFee({ feeId });
        break;
      }
      await condition(() => cancelRequest !== null || settledHint || submitted !== null, remaining);
    }
    return result(fee);
  } catch (err) {
    if (!isCancellation(err) || !root.consideredCancelled) throw err;
    // Cancelled as a workflow (the parent's cancellation scope, or the parent closed): the fee is
    // cancelled too, unless it was paid meanwhile, in which case the parent gets the payment.
    const opened = fee !== undefined;
    const settled = await CancellationScope.nonCancellable(async () => {
      if (!opened) await fees.openFee({ ...input, workflowId: workflowInfo().workflowId });
      return fees.cancelFee({ feeId, reason: 'workflow-cancelled', actorId: null });
    });
    if (settled.status === 'paid') return result(settled);
    mark('settled', settled.status);
    throw err;
  }
}

/**
 * PY-2 for fees (`fee-refund:<paymentId>`): a payment that was verified after its fee had expired,
 * been cancelled or been paid otherwise is refunded; retried at the provider until it confirms.
 */
export async function feeRefundWorkflow(input: { paymentId: string }): Promise<{ refundId: string | null; amountFen: number }> {
  const pending = await fees.beginFeeRefund({ paymentId: input.paymentId });
  if (!pending) return { refundId: null, amountFen: 0 };
  upsertSearchAttributes([
    { key: CaseStage, value: 'refund-at-provider' },
    { key: CaseStatus, value: 'refunding' },
  ]);
  const { confirmedAt } = await provider.refundAtProvider({ refundId: pending.refundId });
  await fees.completeFeeRefund({ refundId: pending.refundId, confirmedAt });
  upsertSearchAttributes([
    { key: CaseStage, value: 'done' },
    { key: CaseStatus, value: 'refunded' },
  ]);
  return pending;
}
