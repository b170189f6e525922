import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CaseTopics, ExamTopics, PaymentTopics } from '@certhub/contracts';
import { KafkaProbe, testEnvironment } from '@certhub/testing';
import { ExamRuntime } from '../exam.runtime';
import { ExamHarness, openPeriod, VALID_INFO } from '../testing/exam-harness';

type Body = Record<string, unknown> & { code?: string; field?: string; details?: { fullOfferings?: Array<{ code: string }>; citiesWithSeats?: Array<{ cityCode: string }> } };
type Data = { data: Record<string, unknown> };

/**
 * The payment service is another service of this platform: where it would act, these tests
 * publish its `payment.order.*` events to the real Kafka and answer its cancel endpoint from a
 * small real HTTP stub (see CollaboratorStub), so the exam service is tested over its real
 * engines without running the payment service's own process and provider sandbox.
 */
describe('orders and seats (EX-8, ST-1 … ST-3)', () => {
  let h: ExamHarness;
  let probe: KafkaProbe;
  before(async () => {
    h = await ExamHarness.start();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([ExamTopics.OrderPlaced, ExamTopics.RefundRequested, CaseTopics.exam], false);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  it('places an order in one step: seats held, amount from the catalogue, order event and action-required case, choice locked', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c] = await h.candidates(1);
    const id = await h.readyRegistration(c!, periodId, [o['QMS-1']!, o['EMS']!], 'BJ');
    const unconfirmed = await h.request<Body>('POST', `/api/v1/exam/registrations/${id}/order`, { token: c!.token, body: { confirmed: false } });
    assert.equal(unconfirmed.body.code, 'EXAM_CONFIRMATION_REQUIRED');
    const res = await h.order(c!, id);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.amountFen, 8000 + 9000);
    const expires = Date.parse(res.body.expiresAt);
    assert.ok(Math.abs(expires - (Date.now() + 30 * 60_000)) < 60_000);
    assert.equal((await h.pool(periodId, 'QMS-1', 'BJ')).held, 1);
    assert.equal((await h.pool(periodId, 'EMS', 'BJ')).held, 1);
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 0);

    const placed = await probe.waitFor((m) => m.topic === ExamTopics.OrderPlaced && m.key === res.body.orderId);
    const data = (placed.value as Data).data;
    assert.equal(data.amountFen, 17000);
    assert.deepEqual((data.lines as Array<{ code: string; feeFen: number }>).map((l) => [l.code, l.feeFen]), [['QMS-1', 8000], ['EMS', 9000]]);
    assert.deepEqual(data.invoice, { type: 'personal', title: '张伟', taxId: null });
    const caseEvent = await probe.waitFor((m) => m.topic === CaseTopics.exam && m.key === id && (m.value as Data).data.milestone === 'action-required');
    assert.equal((caseEvent.value as Data).data.dueAt, res.body.expiresAt);
    assert.equal((caseEvent.value as Data).data.stageName, '待支付');

    for (const [path, body] of [['info', VALID_INFO], ['subjects', { offeringIds: [o['GEN']] }], ['city', { cityCode: 'SH' }]] as const) {
      const locked = await h.request<Body>('PUT', `/api/v1/exam/registrations/${id}/${path}`, { token: c!.token, body });
      assert.equal(locked.status, 409, path);
      assert.equal(locked.body.code, 'EXAM_REGISTRATION_LOCKED', path);
    }
    const second = await h.order(c!, id);
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'EXAM_ORDER_EXISTS');
    assert.equal((await h.pool(periodId, 'QMS-1', 'BJ')).held, 1, 'the second order took nothing');
  });

  it('refuses an order before every step is done', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const [c] = await h.candidates(1);
    const started = await h.request<{ id: string }>('POST', `/api/v1/exam/periods/${periodId}/registrations`, { token: c!.token, body: { noticeAccepted: true } });
    const res = await h.order(c!, started.body.id);
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'EXAM_STEPS_INCOMPLETE');
  });

  it('is all or nothing: a full subject takes no seat of the others and names the cities that still have seats', async () => {
    const periodId = await h.importPeriod(
      openPeriod({}, { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 10 }, { code: 'SH', name: '上海', seatsPerOffering: 10, seats: { 'QMS-1': 1 } }, { code: 'TJ', name: '天津', seatsPerOffering: 10, seats: { GEN: 0 } }] }),
    );
    const o = await h.offerings(periodId);
    const [first, second] = await h.candidates(2);
    assert.equal((await h.order(first!, await h.readyRegistration(first!, periodId, [o['QMS-1']!], 'SH'))).status, 201);
    const id = await h.readyRegistration(second!, periodId, [o['QMS-1']!, o['GEN']!], 'SH');
    const res = await h.order(second!, id);
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'EXAM_SEAT_FULL');
    assert.deepEqual(res.body.details!.fullOfferings!.map((f) => f.code), ['QMS-1']);
    assert.deepEqual(res.body.details!.citiesWithSeats!.map((c) => c.cityCode), ['BJ'], 'TJ has no GEN seat, SH no QMS-1 seat');
    assert.equal((await h.pool(periodId, 'GEN', 'SH')).held, 0, 'no seat of the free subject was taken');
    const reg = await h.request<{ status: string }>('GET', `/api/v1/exam/registrations/${id}`, { token: second!.token });
    assert.equal(reg.body.status, 'draft');
  });

  it('sells exactly the quota when many candidates race for the last seats, never more', async () => {
    const quota = 5;
    const racers = 30;
    const periodId = await h.importPeriod(openPeriod({}, { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 100, seats: { GEN: quota } }] }));
    const o = await h.offerings(periodId);
    const candidates = await h.candidates(racers);
    const registrations: string[] = [];
    for (const c of candidates) registrations.push(await h.readyRegistration(c, periodId, [o['QMS-2']!, o['GEN']!], 'BJ'));
    let watching = true;
    let worst = 0;
    const watcher = (async () => {
      while (watching) {
        const p = await h.pool(periodId, 'GEN', 'BJ');
        worst = Math.max(worst, p.held + p.paid);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const results = await Promise.all(candidates.map((c, i) => h.order(c, registrations[i]!)));
    watching = false;
    await watcher;
    const won = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status === 409);
    assert.equal(won.length, quota, JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body)));
    assert.equal(lost.length, racers - quota);
    assert.ok(lost.every((r) => r.body.code === 'EXAM_SEAT_FULL'));
    assert.ok(worst <= quota, `held + paid reached ${worst}`);
    assert.deepEqual(await h.pool(periodId, 'GEN', 'BJ'), { code: 'GEN', city_code: 'BJ', quota, held: quota, paid: 0 });
    assert.equal((await h.pool(periodId, 'QMS-2', 'BJ')).held, quota, 'the losers took no seat of their other subject');
  });

  it('cancels the unpaid order through the payment service (token forwarded) and releases the seats once', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c] = await h.candidates(1);
    const id = await h.readyRegistration(c!, periodId, [o['GEN']!], 'BJ');
    const { orderId } = (await h.order(c!, id)).body;

    h.stub.cancelAnswers.set(orderId, 'unknown');
    const notReady = await h.request<Body>('DELETE', `/api/v1/exam/registrations/${id}/order`, { token: c!.token });
    assert.equal(notReady.status, 409);
    assert.equal(notReady.body.code, 'EXAM_ORDER_NOT_READY');
    assert.equal(notReady.headers['retry-after'], '1');
    h.stub.cancelAnswers.set(orderId, 'error');
    assert.equal((await h.request<Body>('DELETE', `/api/v1/exam/registrations/${id}/order`, { token: c!.token })).status, 503);
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 1, 'nothing released while the payment service did not cancel');

    h.stub.cancelAnswers.set(orderId, 'cancelled');
    const res = await h.request<Body>('DELETE', `/api/v1/exam/registrations/${id}/order`, { token: c!.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(h.stub.cancelCalls.at(-1)!.orderId, orderId);
    assert.equal(h.stub.cancelCalls.at(-1)!.authorization, `Bearer ${c!.token}`);
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 0);
    const reg = await h.request<{ status: string; editable: boolean }>('GET', `/api/v1/exam/registrations/${id}`, { token: c!.token });
    assert.equal(reg.body.editable, true);
    const withdrawn = await probe.waitFor((m) => m.topic === CaseTopics.exam && m.key === id && (m.value as Data).data.milestone === 'withdrawn');
    assert.equal((withdrawn.value as Data).data.stage, 'confirm');
    // The payment service's own event arrives later and finds the seats released already.
    await h.publish(PaymentTopics.OrderCancelled, orderId, { orderId, cancelledAt: new Date().toISOString(), cancelledBy: c!.id });
    await h.settled(orderId);
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 0, 'released once');
    const again = await h.request<Body>('DELETE', `/api/v1/exam/registrations/${id}/order`, { token: c!.token });
    assert.equal(again.body.code, 'EXAM_NO_ACTIVE_ORDER');
  });

  it('refuses to cancel a paid order (payment says paid) and keeps the seats', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c] = await h.candidates(1);
    const id = await h.readyRegistration(c!, periodId, [o['GEN']!], 'BJ');
    const { orderId } = (await h.order(c!, id)).body;
    h.stub.cancelAnswers.set(orderId, 'paid');
    const res = await h.request<Body>('DELETE', `/api/v1/exam/registrations/${id}/order`, { token: c!.token });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'EXAM_ORDER_PAID');
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 1);
  });
});

describe('payment events (ST-4, PY-1): seats follow the order, exactly once', () => {
  let h: ExamHarness;
  let probe: KafkaProbe;
  before(async () => {
    h = await ExamHarness.start();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([CaseTopics.exam], false);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  it('paid: seats held → paid, 已报考, subjects paid; a redelivered or repeated paid event changes nothing', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c] = await h.candidates(1);
    const id = await h.readyRegistration(c!, periodId, [o['QMS-1']!, o['GEN']!], 'BJ');
    const { orderId, amountFen } = (await h.order(c!, id)).body;
    const eventId = randomUUID();
    const paid = { orderId, paymentId: randomUUID(), provider: 'sandbox', amountFen, paidAt: new Date().toISOString() };
    await h.publish(PaymentTopics.OrderPaid, orderId, paid, eventId);
    await h.orderStatus(orderId, 'paid');
    await h.publish(PaymentTopics.OrderPaid, orderId, paid, eventId);
    await h.publish(PaymentTopics.OrderPaid, orderId, paid);
    await h.settled(orderId);
    assert.deepEqual(await h.pool(periodId, 'GEN', 'BJ'), { code: 'GEN', city_code: 'BJ', quota: 100, held: 0, paid: 1 });
    assert.deepEqual(await h.pool(periodId, 'QMS-1', 'BJ'), { code: 'QMS-1', city_code: 'BJ', quota: 100, held: 0, paid: 1 });
    const reg = await h.request<{ status: string; subjects: Array<{ paid: boolean }>; steps: Record<string, boolean> }>('GET', `/api/v1/exam/registrations/${id}`, { token: c!.token });
    assert.equal(reg.body.status, 'paid');
    assert.ok(reg.body.subjects.every((s) => s.paid));
    assert.equal(reg.body.steps.payment, true);
    const list = await h.request<{ periods: Array<{ id: string; myStatusZh: string }> }>('GET', '/api/v1/exam/periods', { token: c!.token });
    assert.equal(list.body.periods.find((p) => p.id === periodId)?.myStatusZh, '已报考');
    const decided = await probe.waitFor((m) => m.key === id && (m.value as Data).data.milestone === 'decided');
    assert.equal((decided.value as Data).data.status, 'done');
  });

  it('expired: seats released, the registration is editable again and can order again; a late expiry of a paid order changes nothing', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c, d] = await h.candidates(2);
    const id = await h.readyRegistration(c!, periodId, [o['GEN']!], 'BJ');
    const { orderId } = (await h.order(c!, id)).body;
    await h.publish(PaymentTopics.OrderExpired, orderId, { orderId, expiredAt: new Date().toISOString() });
    await h.orderStatus(orderId, 'expired');
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 0);
    await probe.waitFor((m) => m.key === id && (m.value as Data).data.milestone === 'expired');
    assert.equal((await h.request('PUT', `/api/v1/exam/registrations/${id}/city`, { token: c!.token, body: { cityCode: 'SH' } })).status, 200);
    const again = await h.order(c!, id);
    assert.equal(again.status, 201);
    assert.equal((await h.pool(periodId, 'GEN', 'SH')).held, 1);

    const paidId = await h.readyRegistration(d!, periodId, [o['GEN']!], 'BJ');
    const paidOrder = (await h.order(d!, paidId)).body;
    await h.pay(paidOrder.orderId, paidOrder.amountFen);
    await h.publish(PaymentTopics.OrderExpired, paidOrder.orderId, { orderId: paidOrder.orderId, expiredAt: new Date().toISOString() });
    await h.publish(PaymentTopics.OrderCancelled, paidOrder.orderId, { orderId: paidOrder.orderId, cancelledAt: new Date().toISOString(), cancelledBy: d!.id });
    await h.settled(paidOrder.orderId);
    assert.deepEqual(await h.pool(periodId, 'GEN', 'BJ'), { code: 'GEN', city_code: 'BJ', quota: 100, held: 0, paid: 1 });
  });

  it('drives the consumer directly: the same event twice is a duplicate, an invalid one is dead-lettered', async () => {
    const consumer = h.app.get(ExamRuntime).paymentConsumer!;
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c] = await h.candidates(1);
    const id = await h.readyRegistration(c!, periodId, [o['GEN']!], 'BJ');
    const { orderId } = (await h.order(c!, id)).body;
    const envelope = {
      eventId: randomUUID(),
      type: PaymentTopics.OrderExpired,
      occurredAt: new Date().toISOString(),
      producer: 'payment',
      subjectId: orderId,
      actorId: null,
      correlationId: null,
      data: { orderId, expiredAt: new Date().toISOString() },
    };
    const message = { key: Buffer.from(orderId), value: Buffer.from(JSON.stringify(envelope)), offset: '0', timestamp: String(Date.now()), attributes: 0, headers: {} };
    const results = await Promise.all([consumer.handle(PaymentTopics.OrderExpired, message), consumer.handle(PaymentTopics.OrderExpired, message)]);
    assert.deepEqual(results.sort(), ['duplicate', 'processed']);
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 0);
    const bad = { ...message, value: Buffer.from(JSON.stringify({ ...envelope, eventId: randomUUID(), data: { orderId } })) };
    assert.equal(await consumer.handle(PaymentTopics.OrderExpired, bad), 'dead-lettered');
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).held, 0);
  });
});
