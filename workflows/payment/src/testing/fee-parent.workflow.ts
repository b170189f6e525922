/**
 * A tiny parent used only by the fee tests: it stands for another domain's case workflow (the
 * certification registration application) and pays a fee through the child `fee-payment:<feeId>`
 * on the payment queue, as its contract says. `withdraw` cancels the fee the way the parent
 * chooses: the `cancelFee` signal, or cancelling the scope the child runs in.
 */
import { CancellationScope, condition, defineSignal, isCancellation, setHandler, startChild } from '@temporalio/workflow';
import { cancelFeeSignal, feePayment, feePaymentChildOptions, type FeePaymentInput, type FeePaymentResult } from '../contract';
import type { feePaymentWorkflow } from '../fee-workflows';

export const withdrawSignal = defineSignal<[]>('withdraw');

export interface FeeParentInput {
  fee: FeePaymentInput;
  /** How a withdrawal cancels the fee. */
  cancelBy: 'signal' | 'scope';
}

export interface FeeParentResult {
  fee: FeePaymentResult | null;
  /** The child ended cancelled (scope cancellation) instead of returning a result. */
  childCancelled: boolean;
}

export async function feeParentWorkflow(input: FeeParentInput): Promise<FeeParentResult> {
  let withdrawn = false;
  setHandler(withdrawSignal, () => {
    withdrawn = true;
  });
  const scope = new CancellationScope();
  try {
    const fee = await scope.run(async () => {
      const child = await startChild<typeof feePaymentWorkflow>(feePayment.workflowType, feePaymentChildOptions(input.fee));
      void condition(() => withdrawn).then(async () => {
        if (input.cancelBy === 'signal') await child.signal(cancelFeeSignal, { reason: 'application-withdrawn', actorId: input.fee.payer.accountId });
        else scope.cancel();
      });
      return child.result();
    });
    return { fee, childCancelled: false };
  } catch (err) {
    if (isCancellation(err)) return { fee: null, childCancelled: true };
    throw err;
  }
}
