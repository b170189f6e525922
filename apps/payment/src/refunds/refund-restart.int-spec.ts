import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ExamTopics, PaymentTopics } from '@certhub/contracts';
import { eventually, startServiceProcess, type ServiceProcess } from '@certhub/testing';
import { PaymentHarness } from '../testing/payment-harness';

describe('refund workflow survives a worker killed in the middle (real engines)', () => {
  let h: PaymentHarness | undefined;
  let worker: ServiceProcess | undefined;
  after(async () => {
    await worker?.stop();
    await h?.stop();
  });

  it('the provider keeps failing, the worker process is killed (SIGKILL); a new one finishes the refund', async () => {
    // The API in-process without a worker; the only worker of the queue is a separate process.
    h = await PaymentHarness.start({ RUN_WORKER: 'false' });
    const workerEnv = { PAYMENT_SANDBOX_NOTIFY_SECRET: h.secret, RUN_WORKER: 'true', PAYMENT_RECONCILE_INTERVAL_MS: '3600000' };
    worker = await startServiceProcess('payment', workerEnv);
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
    const attempts = async () => {
      const rows: Array<{ provider_attempts: number }> = await h!.dataSource.query(`SELECT provider_attempts FROM refund WHERE order_id = $1`, [order.orderId]);
      return rows[0]?.provider_attempts ?? 0;
    };
    await eventually(async () => (await attempts()) >= 1, { timeoutMs: 30_000, what: 'refund attempted at the provider' });
    assert.equal((await h.orderRow(order.orderId))?.status, 'refunding');

    const exited = new Promise((resolve) => worker!.child.once('exit', resolve));
    worker.child.kill('SIGKILL');
    await exited;
    worker = undefined;
    // While no worker runs, the provider recovers; nothing moves.
    await h.request('PUT', '/api/v1/sandbox/payments/switches', { body: { name: 'fail-refunds', remaining: 0 } });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await h.orderRow(order.orderId))?.status, 'refunding');

    worker = await startServiceProcess('payment', workerEnv);
    await h.waitForStatus(order.orderId, 'refunded', 90_000);
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderPaid, PaymentTopics.OrderRefunded]);
    const view = await h.request<{ invoice: unknown; refunds: Array<{ status: string }> }>('GET', `/api/v1/payment/orders/${order.orderId}`, { token });
    assert.deepEqual(view.body.refunds.map((r) => r.status), ['confirmed']);
  });
});
