import type { FeeActivities } from '@certhub/workflows-payment';
import type { FeeService } from './fee.service';

/** The activities of the fee workflows (`fee-payment:<feeId>`, `fee-refund:<paymentId>`). */
export function createFeeActivities(fees: FeeService): FeeActivities {
  return {
    openFee: (input) => fees.open(input),
    readFee: ({ feeId }) => fees.snapshot(feeId),
    decideVoucher: (input) => fees.decideVoucher(input),
    expireFee: ({ feeId }) => fees.expire(feeId),
    cancelFee: ({ feeId, reason, actorId }) => fees.cancel(feeId, reason, actorId),
    beginFeeRefund: ({ paymentId }) => fees.beginRefund(paymentId),
    completeFeeRefund: ({ refundId, confirmedAt }) => fees.completeRefund(refundId, confirmedAt),
  };
}
