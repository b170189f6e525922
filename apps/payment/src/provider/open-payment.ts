import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '@certhub/logging';
import { PaymentErrors } from '../payment.errors';
import type { PaymentProvider } from './payment-provider';

/**
 * What a payable thing (an order, a fee) is found to be when someone asks to pay it online:
 * refusals are thrown; otherwise it has an open payment (answered again), is payable (amount and
 * the provider's description), or is in a state of its own the caller handles (a fee's voucher
 * under the staff's check).
 */
export type PayCheck<P, O> = { kind: 'open'; payment: P } | { kind: 'payable'; amountFen: number; description: string } | { kind: 'other'; other: O };

export interface OpenPaymentSteps<P, O> {
  /** The payable thing the payment row belongs to (also what the logs name it by). */
  owner: { feeId: string } | { orderId: string };
  /** Checks the payable thing: without a lock on the pool first, then locked in the recording transaction. */
  check(runner: EntityManager | DataSource, lock: boolean): Promise<PayCheck<P, O>>;
  /** The caller's view of the payment just recorded. */
  view(payment: { paymentId: string; payUrl: string; amountFen: number }): P;
}

/**
 * Opens an online payment, never calling the provider inside a transaction: check → create at the
 * provider → lock, check again and record. Holding the row lock and a pooled connection across the
 * provider call starved the pool with concurrent payers (the sandbox's insert needs a second
 * connection; a real provider's HTTP call would hold both for its round trip; docs/processes/
 * payment.md). A payment recorded by another request in between wins, and ours is closed at the
 * provider (its address was never shown to anyone). `retry` when the thing became payable again
 * in between (the open payment seen first was closed): the caller asks once more.
 */
export async function openPayment<P, O>(
  deps: { dataSource: DataSource; provider: PaymentProvider; logger: Logger; notifyUrl: string },
  steps: OpenPaymentSteps<P, O>,
): Promise<{ kind: 'open'; payment: P } | { kind: 'other'; other: O } | { kind: 'retry' }> {
  const before = await steps.check(deps.dataSource, false);
  if (before.kind !== 'payable') return before;
  const paymentId = randomUUID();
  let created: { providerRef: string; payUrl: string };
  try {
    created = await deps.provider.createPayment({ paymentId, amountFen: before.amountFen, description: before.description, notifyUrl: deps.notifyUrl });
  } catch (err) {
    deps.logger.warn('provider refused to create a payment', { ...steps.owner, err });
    throw PaymentErrors.error('PAYMENT_PROVIDER_UNAVAILABLE');
  }
  const closeUnused = async () => {
    try {
      await deps.provider.closePayment(paymentId);
    } catch (err) {
      // Nobody has its address; the provider's own expiry closes it.
      deps.logger.warn('could not close an unused payment at the provider', { ...steps.owner, paymentId, err });
    }
  };
  let recorded: { kind: 'open'; payment: P; ours: boolean } | { kind: 'other'; other: O } | { kind: 'payable' };
  try {
    recorded = await deps.dataSource.transaction(async (manager) => {
      const now = await steps.check(manager, true);
      if (now.kind === 'open') return { ...now, ours: false };
      if (now.kind === 'other') return now;
      // The amount recorded is the one the provider was asked for; a changed amount is a new payment.
      if (now.amountFen !== before.amountFen) return { kind: 'payable' as const };
      const [column, ownerId] = 'feeId' in steps.owner ? ['fee_id', steps.owner.feeId] : ['order_id', steps.owner.orderId];
      await manager.query(
        `INSERT INTO payment (id, ${column}, provider, provider_ref, amount_fen, status, pay_url) VALUES ($1, $2, $3, $4, $5, 'open', $6)`,
        [paymentId, ownerId, deps.provider.name, created.providerRef, before.amountFen, created.payUrl],
      );
      return { kind: 'open' as const, ours: true, payment: steps.view({ paymentId, payUrl: created.payUrl, amountFen: before.amountFen }) };
    });
  } catch (err) {
    await closeUnused();
    throw err;
  }
  if (recorded.kind === 'open' && recorded.ours) return { kind: 'open', payment: recorded.payment };
  await closeUnused();
  if (recorded.kind === 'open') return { kind: 'open', payment: recorded.payment };
  if (recorded.kind === 'other') return recorded;
  return { kind: 'retry' };
}
