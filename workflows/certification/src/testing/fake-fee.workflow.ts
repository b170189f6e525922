/**
 * Stands in for the payment domain's `feePaymentWorkflow` in the certification workflow tests
 * (same type name, same queue): the test settles the fee with a signal, or lets it expire.
 * The fee child's own behaviour is tested by the payment service (fee.workflows.int-spec).
 */
import { ApplicationFailure, condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { FeeOutcome, FeePaymentInput, FeePaymentResult } from '@certhub/workflows-payment';

export const settleFakeFeeSignal = defineSignal<[FeeOutcome]>('settleFakeFee');
export const fakeFeeInputQuery = defineQuery<FeePaymentInput>('fakeFeeInput');

export async function feePaymentWorkflow(input: FeePaymentInput): Promise<FeePaymentResult> {
  // As the real one: an amount or due time that is no fee fails the child at once, not retried.
  if (!Number.isSafeInteger(input.amountFen) || input.amountFen < 1) throw ApplicationFailure.nonRetryable('invalid fee input: amountFen', 'InvalidFee');
  if (Number.isNaN(Date.parse(input.dueAt))) throw ApplicationFailure.nonRetryable('invalid fee input: dueAt', 'InvalidFee');
  const box: { outcome: FeeOutcome | null } = { outcome: null };
  setHandler(settleFakeFeeSignal, (o) => void (box.outcome = o));
  setHandler(fakeFeeInputQuery, () => input);
  const settled = await condition(() => box.outcome !== null, Math.max(1, Date.parse(input.dueAt) - Date.now()));
  const o: FeeOutcome = settled && box.outcome ? box.outcome : 'expired';
  const paid = o === 'paid-online' || o === 'paid-offline';
  const now = new Date().toISOString();
  return {
    feeId: input.feeId,
    outcome: o,
    amountFen: input.amountFen,
    paidAt: paid ? now : null,
    paymentId: o === 'paid-online' ? 'pay-1' : null,
    voucherId: o === 'paid-offline' ? 'voucher-1' : null,
    invoiceNo: null,
    reviews: o === 'paid-offline' ? [{ voucherId: 'voucher-1', round: 1, outcome: 'accepted', opinion: null, actorId: 'staff-2', decidedAt: now }] : [],
    closedAt: now,
  };
}
