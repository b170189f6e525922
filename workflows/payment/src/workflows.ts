import { condition, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { CaseStage, CaseStatus } from '@certhub/contracts';
import {
  orderSettledSignal,
  orderStatusQuery,
  type OrderPaymentInput,
  type OrderPaymentResult,
  type OrderStatus,
  type PaymentActivities,
  type PendingRefund,
  type RefundInput,
  type RefundResult,
} from './contract';

/** Database work and provider queries: short, retried with backoff until they succeed. */
const acts = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The deadline's settlement as a local activity: it runs inside the workflow task that handles
 * the fired timer, so the deadline costs the server one workflow task instead of an activity task
 * and a second workflow task, when a spike's deadlines load it most (ADR 0014). Same timeout and
 * retries.
 */
const local = proxyLocalActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Histories recorded before this patch ran `settleAtDeadline` as a normal activity: they keep replaying that way. */
const SETTLE_AS_LOCAL_ACTIVITY_PATCH = 'settle-at-deadline-local-activity';

/**
 * The provider's refund: retried (Temporal retry policy, no limit) until the provider confirms.
 * A refund is idempotent at the provider on our refund id, so a retry never refunds twice.
 */
const provider = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * ST-4 payment deadline of one order (`order-payment:<orderId>`).
 *
 *   pending ── orderSettled signal (paid, cancelled) ─────────────▶ done
 *           └─ expiresAt reached ▶ settleAtDeadline: provider says paid ▶ paid
 *                                                     otherwise        ▶ expired
 *
 * The deadline is absolute (from the order): a workflow started late still expires on time, one
 * started after the deadline settles at once.
 */
export async function orderPaymentWorkflow(input: OrderPaymentInput): Promise<OrderPaymentResult> {
  let settled: OrderStatus | null = null;
  let status: OrderStatus | 'unknown' = 'pending';
  setHandler(orderSettledSignal, (s) => {
    if (s !== 'pending') settled = s;
  });
  setHandler(orderStatusQuery, () => settled ?? status);

  const waitMs = Math.max(0, Date.parse(input.expiresAt) - Date.now());
  const signalled = waitMs > 0 ? await condition(() => settled !== null, waitMs) : settled !== null;
  if (signalled && settled !== null) {
    status = settled;
    upsertSearchAttributes([
      { key: CaseStage, value: 'settled' },
      { key: CaseStatus, value: settled },
    ]);
    return { orderId: input.orderId, status, via: 'signal' };
  }
  const settle = patched(SETTLE_AS_LOCAL_ACTIVITY_PATCH) ? local : acts;
  ({ status } = await settle.settleAtDeadline({ orderId: input.orderId }));
  upsertSearchAttributes([
    { key: CaseStage, value: 'settled' },
    { key: CaseStatus, value: status },
  ]);
  return { orderId: input.orderId, status, via: 'deadline' };
}

/**
 * PY-4 refund of an order (`refund:<orderId>`): the candidate's refund of a paid order, or the
 * automatic refund of payments that arrived after the order expired or was cancelled (PY-2).
 * Each refund is retried at the provider until confirmed; then the order is refunded, its
 * invoice voided and `payment.order.refunded.v1` written.
 */
export async function refundWorkflow(input: RefundInput): Promise<RefundResult> {
  const pending: PendingRefund[] = await acts.beginRefund(input);
  upsertSearchAttributes([
    { key: CaseStage, value: 'refund-at-provider' },
    { key: CaseStatus, value: 'refunding' },
  ]);
  for (const refund of pending) {
    const { confirmedAt } = await provider.refundAtProvider({ refundId: refund.refundId });
    await acts.completeRefund({ refundId: refund.refundId, reason: input.reason, confirmedAt });
  }
  upsertSearchAttributes([
    { key: CaseStage, value: 'done' },
    { key: CaseStatus, value: 'refunded' },
  ]);
  return { orderId: input.orderId, refunded: pending };
}
export * from './fee-workflows';
