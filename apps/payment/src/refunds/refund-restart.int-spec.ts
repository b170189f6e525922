import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ExamTopics, PaymentTopics } from '@certhub/contracts';
import { eventually } from '@certhub/testing';
import { PaymentHarness } from '../testing/payment-harness';

describe('refund workflow survives a worker killed in the middle (real engines)', () => {
  let h: PaymentHarness | undefined;
  after(async () => {
    await h?.stop();
  });

  it('the provider keeps failing, the service stops; after the restart the refund finishes', async () => {
    h = await PaymentHarness.start();
    const { order, token } = await h.placeOrder();
    const pay = await h.request<{ paymentId: string }>('POST', `/api/v1/payment/orders/${order.orderId}/payments`, { token });
    await h.request('POST', `/api/v1/sandbox/payments/${pay.body.paymentId}/pay`, { body: {} });
    await h.waitForStatus(order.orderId, 'paid');
    await h.request('PUT', '/api/v1/sandbox/payments/switches', { body: { name: 'fail-refunds', remaining: 1000 } });
    await h.publish(ExamTopics.RefundRequested, {
      orderId: order.orderId,
      registrationId: order.registrationId,
      businessNo: order.businessNo,
      periodId: order.periodId,
      candidateId: order.candidateId,
      amountFen: order.amountFen,
      requestedAt: new Date().toISOString(),
    });
    const ds = h.dataSource;
    await eventually(
      async () => {
        const rows: Array<{ provider_attempts: number }> = await ds.query(`SELECT provider_attempts FROM refund WHERE order_id = $1`, [order.orderId]);
        return (rows[0]?.provider_attempts ?? 0) >= 1;
      },
      { timeoutMs: 30_000, what: 'refund attempted at the provider' },
    );
    assert.equal((await h.orderRow(order.orderId))?.status, 'refunding');
    await h.stop();
    h = undefined;

    // While no worker runs, the provider recovers.
    h = await PaymentHarness.start();
    await h.request('PUT', '/api/v1/sandbox/payments/switches', { body: { name: 'fail-refunds', remaining: 0 } });
    await h.waitForStatus(order.orderId, 'refunded', 90_000);
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderPaid, PaymentTopics.OrderRefunded]);
  });
});
