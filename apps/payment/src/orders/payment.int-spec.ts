import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { ExamTopics, PaymentTopics } from '@certhub/contracts';
import { eventually } from '@certhub/testing';
import { chinaDate } from '../provider/payment-provider';
import { DeadlinePass } from './deadline-pass';
import { OrderService } from './order.service';
import { ReconciliationService } from '../reconciliation/reconciliation.service';
import { PaymentHarness } from '../testing/payment-harness';

type Pay = { paymentId: string; payUrl: string };

describe('payment service: orders, pay, notifications, cancel, refunds (real engines)', () => {
  let h: PaymentHarness;
  before(async () => {
    h = await PaymentHarness.start({ PAYMENT_RECONCILE_PENDING_AFTER_SECONDS: '0' });
  });
  after(async () => {
    await h?.stop();
  });

  const pay = (orderId: string, token: string) => h.request<Pay>('POST', `/api/v1/payment/orders/${orderId}/payments`, { token });
  const sandboxPay = (paymentId: string, body: Record<string, unknown> = {}) => h.request('POST', `/api/v1/sandbox/payments/${paymentId}/pay`, { body });

  it('projects a placed order for its payer only; unknown and another\'s are 404; no token is 401', async () => {
    const { order, token } = await h.placeOrder();
    const view = await h.request<{ status: string; amountFen: number; lines: unknown[]; expiresAt: string }>('GET', `/api/v1/payment/orders/${order.orderId}`, { token });
    assert.equal(view.status, 200);
    assert.equal(view.body.status, 'pending');
    assert.equal(view.body.amountFen, 55050);
    assert.equal(view.body.lines.length, 2);
    assert.equal(view.body.expiresAt, order.expiresAt);
    const other = await h.request<{ code: string }>('GET', `/api/v1/payment/orders/${order.orderId}`, { token: h.token() });
    assert.equal(other.status, 404);
    assert.equal(other.body.code, 'PAYMENT_ORDER_NOT_FOUND');
    const unknown = await h.request<{ code: string }>('GET', `/api/v1/payment/orders/${randomUUID()}`, { token });
    assert.equal(unknown.status, 404);
    assert.equal((await h.request('GET', `/api/v1/payment/orders/${order.orderId}`)).status, 401);
    // The deadline workflow runs for it (started right after the order was stored).
    const wf = await eventually(
      async () => h.app.get(Client).workflow.getHandle(`order-payment:${order.orderId}`).describe().catch(() => undefined),
      { what: 'the deadline workflow' },
    );
    assert.equal(wf.status.name, 'RUNNING');
  });

  it('an order kept while Temporal was unreachable gets its deadline workflow started later', async () => {
    const o = h.newOrder();
    await h.dataSource.query(
      `INSERT INTO payment_order (id, payer_id, registration_id, business_no, period_id, period_name, amount_fen, lines, invoice_request, status, placed_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11)`,
      [o.orderId, o.candidateId, o.registrationId, o.businessNo, o.periodId, o.periodName, o.amountFen, JSON.stringify(o.lines), JSON.stringify(o.invoice), o.placedAt, o.expiresAt],
    );
    assert.ok((await h.app.get(OrderService).startMissingWorkflows()) >= 1);
    const wf = await h.app.get(Client).workflow.getHandle(`order-payment:${o.orderId}`).describe();
    assert.equal(wf.status.name, 'RUNNING');
    const rows: Array<{ workflow_started_at: Date | null }> = await h.dataSource.query(`SELECT workflow_started_at FROM payment_order WHERE id = $1`, [o.orderId]);
    assert.ok(rows[0]!.workflow_started_at);
  });

  it('an order whose amount is not the sum of its lines is not projected', async () => {
    const bad = h.newOrder({ amountFen: 1 });
    await h.publish(ExamTopics.OrderPlaced, bad);
    const good = await h.placeOrder();
    assert.ok(good);
    assert.equal(await h.orderRow(bad.orderId), undefined);
  });

  it('pay: 201 with paymentId and payUrl; again → the same payment; another\'s → 404; not yet projected → 409 with Retry-After', async () => {
    const { order, token } = await h.placeOrder();
    const first = await pay(order.orderId, token);
    assert.equal(first.status, 201);
    assert.match(first.body.paymentId, /^[0-9a-f-]{36}$/);
    assert.equal(first.body.payUrl, `/api/v1/sandbox/payments/${first.body.paymentId}`);
    const again = await pay(order.orderId, token);
    assert.deepEqual(again.body, first.body);
    const other = await pay(order.orderId, h.token());
    assert.equal(other.status, 404);
    const notYet = await h.request<{ code: string }>('POST', `/api/v1/payment/orders/${randomUUID()}/payments`, { token });
    assert.equal(notYet.status, 409);
    assert.equal(notYet.body.code, 'PAYMENT_ORDER_NOT_READY');
    assert.equal(notYet.headers['retry-after'], '1');
    // A burst of double submits on a fresh order: one payment.
    const fresh = await h.placeOrder();
    const burst = await Promise.all([0, 1, 2, 3, 4].map(() => pay(fresh.order.orderId, fresh.token)));
    assert.deepEqual(burst.map((r) => r.status), [201, 201, 201, 201, 201]);
    assert.equal(new Set(burst.map((r) => r.body.paymentId)).size, 1);
    const page = await h.request('GET', first.body.payUrl);
    assert.equal(page.status, 200);
    assert.match(String(page.body), /¥550\.50/);
  });

  it('paid through the sandbox page: notification → paid, event, invoice issued; paying again is refused', async () => {
    const { order, token } = await h.placeOrder({ invoice: { type: 'enterprise', title: '上海某认证有限公司', taxId: '91310000MA1K000000' } });
    const { body: p } = await pay(order.orderId, token);
    assert.equal((await sandboxPay(p.paymentId)).status, 200);
    await h.waitForStatus(order.orderId, 'paid');
    const view = await h.request<{ status: string; invoice: { type: string; title: string; taxId: string; status: string; amountFen: number } }>(
      'GET',
      `/api/v1/payment/orders/${order.orderId}`,
      { token },
    );
    assert.equal(view.body.invoice.type, 'enterprise');
    assert.equal(view.body.invoice.taxId, '91310000MA1K000000');
    assert.equal(view.body.invoice.status, 'issued');
    assert.equal(view.body.invoice.amountFen, 55050);
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderPaid]);
    const again = await h.request<{ code: string }>('POST', `/api/v1/payment/orders/${order.orderId}/payments`, { token });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'PAYMENT_ORDER_PAID');
  });

  it('forged, stale and replayed notifications are refused and change nothing; a valid one is applied once', async () => {
    const { order, token } = await h.placeOrder();
    const { body: p } = await pay(order.orderId, token);
    const body = JSON.stringify({ paymentId: p.paymentId, tradeNo: 'SBXFORGED', status: 'paid', amountFen: 55050, paidAt: new Date().toISOString() });
    const url = '/api/v1/payment/notifications/sandbox';
    const forged = await h.request<{ code: string; field: string }>('POST', url, { text: body, headers: h.signed(body, { secret: 'x'.repeat(40) }) });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.code, 'PAYMENT_NOTIFY_SIGNATURE');
    const tampered = h.signed(body);
    const t2 = await h.request<{ code: string }>('POST', url, { text: body.replace('55050', '1'), headers: tampered });
    assert.equal(t2.body.code, 'PAYMENT_NOTIFY_SIGNATURE');
    const stale = await h.request<{ code: string }>('POST', url, { text: body, headers: h.signed(body, { timestamp: Math.floor(Date.now() / 1000) - 301 }) });
    assert.equal(stale.status, 401);
    assert.equal(stale.body.code, 'PAYMENT_NOTIFY_STALE');
    const unsigned = await h.request<{ code: string }>('POST', url, { text: body });
    assert.equal(unsigned.status, 400);
    assert.equal((await h.orderRow(order.orderId))?.status, 'pending');

    const headers = h.signed(body);
    const ok = await h.request<{ outcome: string }>('POST', url, { text: body, headers });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.outcome, 'paid');
    const replay = await h.request<{ code: string }>('POST', url, { text: body, headers });
    assert.equal(replay.status, 409);
    assert.equal(replay.body.code, 'PAYMENT_NOTIFY_REPLAYED');
    const duplicate = await h.request<{ outcome: string }>('POST', url, { text: body, headers: h.signed(body) });
    assert.equal(duplicate.body.outcome, 'duplicate');
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderPaid]);
    const wrongAmount = JSON.stringify({ ...JSON.parse(body), amountFen: 1 });
    assert.equal((await h.request<{ code: string }>('POST', url, { text: wrongAmount, headers: h.signed(wrongAmount) })).body.code, 'PAYMENT_NOTIFY_AMOUNT_MISMATCH');
    const unknown = JSON.stringify({ ...JSON.parse(body), paymentId: randomUUID() });
    assert.equal((await h.request('POST', url, { text: unknown, headers: h.signed(unknown) })).status, 404);
  });

  it('duplicate notifications pay once; a delayed one arrives later', async () => {
    const a = await h.placeOrder();
    const { body: pa } = await pay(a.order.orderId, a.token);
    await sandboxPay(pa.paymentId, { notify: 'duplicate' });
    await h.waitForStatus(a.order.orderId, 'paid');
    await eventually(async () => (await h.request<{ notifications: Array<{ deliveredAt: string | null }> }>('GET', `/api/v1/sandbox/payments/${pa.paymentId}/notifications`)).body.notifications.every((n) => n.deliveredAt));
    assert.deepEqual(await h.outboxTopics(a.order.orderId), [PaymentTopics.OrderPaid]);

    const b = await h.placeOrder();
    const { body: pb } = await pay(b.order.orderId, b.token);
    await sandboxPay(pb.paymentId, { notify: 'delay', delayMs: 1500 });
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await h.orderRow(b.order.orderId))?.status, 'pending');
    await h.waitForStatus(b.order.orderId, 'paid');
  });

  it('reconciliation finds a dropped notification and applies it; the daily report shows it to staff only', async () => {
    const { order, token } = await h.placeOrder();
    const { body: p } = await pay(order.orderId, token);
    await sandboxPay(p.paymentId, { notify: 'drop' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await h.orderRow(order.orderId))?.status, 'pending');
    const round = await h.app.get(ReconciliationService).reconcilePending();
    assert.ok(round.applied >= 1);
    assert.equal((await h.orderRow(order.orderId))?.status, 'paid');
    const date = chinaDate(new Date());
    const report = await h.request<{ differences: Array<{ kind: string; reference: string; resolution: string }>; statement: { payments: number } }>(
      'GET',
      `/api/v1/payment/admin/reconciliation/${date}`,
      { token: h.token(undefined, ['staff'], 'staff') },
    );
    assert.equal(report.status, 200);
    assert.ok(report.body.statement.payments >= 1);
    assert.ok(report.body.differences.some((d) => d.kind === 'missing-notification' && d.reference === p.paymentId && d.resolution === 'applied'));
    assert.equal((await h.request('GET', `/api/v1/payment/admin/reconciliation/${date}`, { token })).status, 403);
    assert.equal((await h.request<{ code: string }>('GET', `/api/v1/payment/admin/reconciliation/2026-13-99`, { token: h.token(undefined, ['admin'], 'staff') })).body.code, 'PAYMENT_DATE_INVALID');
    // The scheduled comparison runs yesterday's statement once.
    const reconciliation = h.app.get(ReconciliationService);
    const far = new Date(Date.UTC(2031, 0, 1, 12) + Math.floor(Math.random() * 3000) * 24 * 3600_000);
    const ran = await reconciliation.runDueStatement(far);
    assert.equal(ran, chinaDate(new Date(far.getTime() - 24 * 3600_000)));
    assert.equal(await reconciliation.runDueStatement(far), undefined);
  });

  it('expires at the deadline (deadline pass or workflow), then refuses to pay; the provider payment is closed', async () => {
    const { order, token } = await h.placeOrder({ expiresAt: new Date(Date.now() + 4000).toISOString() });
    const { body: p } = await pay(order.orderId, token);
    await h.waitForStatus(order.orderId, 'expired', 30_000);
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderExpired]);
    const again = await h.request<{ code: string }>('POST', `/api/v1/payment/orders/${order.orderId}/payments`, { token });
    assert.equal(again.body.code, 'PAYMENT_ORDER_EXPIRED');
    const late = await sandboxPay(p.paymentId);
    assert.equal(late.status, 409);
  });

  it('at the deadline the provider is asked first: a payment whose notification was dropped makes the order paid, not expired', async () => {
    const { order, token } = await h.placeOrder({ expiresAt: new Date(Date.now() + 4000).toISOString(), invoice: { type: 'none', title: null, taxId: null } });
    const { body: p } = await pay(order.orderId, token);
    await sandboxPay(p.paymentId, { notify: 'drop' });
    await h.waitForStatus(order.orderId, 'paid', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderPaid]);
    const view = await h.request<{ status: string; invoice: unknown }>('GET', `/api/v1/payment/orders/${order.orderId}`, { token });
    assert.equal(view.body.status, 'paid');
    assert.equal(view.body.invoice, null, 'no invoice was requested');
    // The deadline pass or the workflow's activity asked the provider; the workflow ends with the order paid either way.
    const wf = await h.app.get(Client).workflow.getHandle(`order-payment:${order.orderId}`).result();
    assert.equal(wf.status, 'paid');
  });

  it('deadline pass: due orders are expired from the database on their own (no workflow), each with one event; one paid at the provider becomes paid', async () => {
    const insert = async (o: ReturnType<PaymentHarness['newOrder']>) =>
      h.dataSource.query(
        `INSERT INTO payment_order (id, payer_id, registration_id, business_no, period_id, period_name, amount_fen, lines, invoice_request, status, placed_at, expires_at, workflow_started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, now())`,
        [o.orderId, o.candidateId, o.registrationId, o.businessNo, o.periodId, o.periodName, o.amountFen, JSON.stringify(o.lines), JSON.stringify(o.invoice), o.placedAt, o.expiresAt],
      );
    // Marked as started although no workflow runs for them: only the pass can settle them.
    const unpaid = [h.newOrder(), h.newOrder(), h.newOrder()];
    for (const o of unpaid) await insert({ ...o, expiresAt: new Date(Date.now() - 1000).toISOString() });
    const paid = h.newOrder({ invoice: { type: 'none', title: null, taxId: null } });
    await insert(paid);
    const { body: p } = await pay(paid.orderId, h.token(paid.candidateId));
    await sandboxPay(p.paymentId, { notify: 'drop' });
    await h.dataSource.query(`UPDATE payment_order SET expires_at = now() WHERE id = $1`, [paid.orderId]);
    for (const o of unpaid) await h.waitForStatus(o.orderId, 'expired', 15_000);
    await h.waitForStatus(paid.orderId, 'paid', 15_000);
    for (const o of unpaid) assert.deepEqual(await h.outboxTopics(o.orderId), [PaymentTopics.OrderExpired]);
    assert.deepEqual(await h.outboxTopics(paid.orderId), [PaymentTopics.OrderPaid]);
    const early: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_order WHERE id = ANY($1::uuid[]) AND closed_at < expires_at`, [unpaid.map((o) => o.orderId)]);
    assert.equal(early[0]!.n, 0, 'never expired before the deadline');
    // A pass over nothing due changes nothing.
    assert.equal(await h.app.get(DeadlinePass).run(), false);
  });

  it('a payment arriving after expiry (provider could not close) is refunded automatically', async () => {
    const { order, token } = await h.placeOrder({ expiresAt: new Date(Date.now() + 4000).toISOString() });
    const { body: p } = await pay(order.orderId, token);
    await h.request('PUT', '/api/v1/sandbox/payments/switches', { body: { name: 'fail-closes', remaining: 2 } });
    await h.waitForStatus(order.orderId, 'expired', 30_000);
    assert.equal((await sandboxPay(p.paymentId)).status, 200);
    await eventually(async () => (await h.outboxTopics(order.orderId)).includes(PaymentTopics.OrderRefunded), { timeoutMs: 30_000, what: 'late payment refunded' });
    const view = await h.request<{ status: string; refunds: Array<{ reason: string; status: string }> }>('GET', `/api/v1/payment/orders/${order.orderId}`, { token });
    assert.equal(view.body.status, 'expired');
    assert.deepEqual(view.body.refunds.map((r) => [r.reason, r.status]), [['late-payment', 'confirmed']]);
  });

  it('cancel: pending → cancelled + event; repeated → 200; another\'s → 404; paid → 409', async () => {
    const { order, token } = await h.placeOrder();
    const { body: p } = await pay(order.orderId, token);
    assert.equal((await h.request('POST', `/api/v1/payment/orders/${order.orderId}/cancel`, { token: h.token() })).status, 404);
    const cancelled = await h.request<{ status: string }>('POST', `/api/v1/payment/orders/${order.orderId}/cancel`, { token });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal((await h.request('POST', `/api/v1/payment/orders/${order.orderId}/cancel`, { token })).status, 200);
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderCancelled]);
    assert.equal((await sandboxPay(p.paymentId)).status, 409, 'the provider payment was closed');

    const paid = await h.placeOrder();
    const { body: pp } = await pay(paid.order.orderId, paid.token);
    await sandboxPay(pp.paymentId, { notify: 'drop' });
    // The notification was dropped, but cancel asks the provider first.
    const refused = await h.request<{ code: string }>('POST', `/api/v1/payment/orders/${paid.order.orderId}/cancel`, { token: paid.token });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'PAYMENT_ORDER_PAID');
    assert.equal((await h.orderRow(paid.order.orderId))?.status, 'paid');
  });

  it('cancel racing a payment: exactly one wins, and no money is kept for a cancelled order', async () => {
    for (let i = 0; i < 3; i += 1) {
      const { order, token } = await h.placeOrder();
      const { body: p } = await pay(order.orderId, token);
      const [cancel, paid] = await Promise.all([h.request('POST', `/api/v1/payment/orders/${order.orderId}/cancel`, { token }), sandboxPay(p.paymentId)]);
      if (cancel.status === 200) {
        assert.equal(paid.status, 409, 'a cancelled order cannot be paid');
        assert.equal((await h.orderRow(order.orderId))?.status, 'cancelled');
      } else {
        assert.equal(cancel.status, 409);
        assert.equal(paid.status, 200);
        await h.waitForStatus(order.orderId, 'paid');
      }
    }
  });

  it('refund requested: the provider fails twice, the workflow retries until confirmed; invoice voided, event written', async () => {
    const { order, token } = await h.placeOrder();
    const { body: p } = await pay(order.orderId, token);
    await sandboxPay(p.paymentId);
    await h.waitForStatus(order.orderId, 'paid');
    await h.request('PUT', '/api/v1/sandbox/payments/switches', { body: { name: 'fail-refunds', remaining: 2 } });
    // A request that does not match the order (another candidate) is ignored.
    await h.publish(ExamTopics.RefundRequested, {
      orderId: order.orderId, registrationId: order.registrationId, businessNo: order.businessNo, periodId: order.periodId, candidateId: randomUUID(), amountFen: order.amountFen, requestedAt: new Date().toISOString(),
    });
    await h.publish(ExamTopics.RefundRequested, {
      orderId: order.orderId, registrationId: order.registrationId, businessNo: order.businessNo, periodId: order.periodId, candidateId: order.candidateId, amountFen: order.amountFen, requestedAt: new Date().toISOString(),
    });
    await h.waitForStatus(order.orderId, 'refunded', 60_000);
    const view = await h.request<{ invoice: { status: string }; refunds: Array<{ reason: string; status: string }> }>('GET', `/api/v1/payment/orders/${order.orderId}`, { token });
    assert.equal(view.body.invoice.status, 'voided');
    assert.deepEqual(view.body.refunds.map((r) => [r.reason, r.status]), [['requested', 'confirmed']]);
    const attempts: Array<{ provider_attempts: number }> = await h.dataSource.query(`SELECT provider_attempts FROM refund WHERE order_id = $1`, [order.orderId]);
    assert.equal(attempts[0]!.provider_attempts, 3);
    assert.deepEqual(await h.outboxTopics(order.orderId), [PaymentTopics.OrderPaid, PaymentTopics.OrderRefunded]);
  });
});
