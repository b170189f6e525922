/**
 * The candidate's whole exam registration (EX-2 … EX-11, ST-*, PY-*) through the gateway, with
 * identity, exam, payment and workbench each running as its own process as the embedded default
 * runs them, on the real engines, paying in the sandbox provider.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startServiceProcess, testEnvironment, unique } from '@certhub/testing';
import { Journey, type Answer, type CallOptions, type Json } from '../testing/journey-kit';

const WAIT = { timeoutMs: 30_000, intervalMs: 200 };

describe('journey: a candidate registers for the exam, pays in the sandbox, changes city, gets a refund (EX-2 … EX-11)', () => {
  let j: Journey;
  let adminToken: string;
  let periodId: string;

  const call = (method: string, path: string, options?: CallOptions) => j.call(method, path, options);

  /** A new person: registered with a real SMS code, logged in, with an accepted ID photo. */
  const candidate = () => j.person({ realName: '李娜', region: '310104', photo: true });

  /** A registration with info, two subjects (sessions S1 and S2) and the city filled in. */
  async function readyRegistration(token: string, cityCode: string): Promise<{ id: string; businessNo: string; offeringIds: string[] }> {
    const availability = await call('GET', `/api/v1/exam/periods/${periodId}/availability`, { token });
    const offerings = availability.body.offerings as Array<{ offeringId: string; sessionCode: string; code: string }>;
    const chosen = ['S1', 'S2'].map((s) => offerings.find((o) => o.sessionCode === s)!.offeringId);
    // The accepted photo reaches the exam service as an event: until it has, registering is
    // refused with EXAM_PHOTO_REQUIRED (and nothing is created), so a client tries again.
    let created = await call('POST', `/api/v1/exam/periods/${periodId}/registrations`, { token, body: { noticeAccepted: true } });
    await eventually(async () => {
      if (created.status === 409 && created.body.code === 'EXAM_PHOTO_REQUIRED') {
        created = await call('POST', `/api/v1/exam/periods/${periodId}/registrations`, { token, body: { noticeAccepted: true } });
      }
      return created.status !== 409 || created.body.code !== 'EXAM_PHOTO_REQUIRED';
    }, { ...WAIT, what: 'the accepted photo known to the exam service' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const info = await call('PUT', `/api/v1/exam/registrations/${id}/info`, {
      token,
      body: { nationality: '中国', ethnicity: '汉族', residenceCity: '上海', education: '本科', workUnit: '某认证机构', address: '上海市徐汇区漕溪北路1号', email: unique.email(), phone: unique.phone(), invoice: { type: 'personal' } },
    });
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal((await call('PUT', `/api/v1/exam/registrations/${id}/subjects`, { token, body: { offeringIds: chosen } })).status, 200);
    const city = await call('PUT', `/api/v1/exam/registrations/${id}/city`, { token, body: { cityCode } });
    assert.equal(city.status, 200, JSON.stringify(city.body));
    assert.deepEqual(city.body.steps, { info: true, subjects: true, city: true, payment: false });
    return { id, businessNo: created.body.businessNo as string, offeringIds: chosen };
  }

  const remaining = async (token: string, offeringId: string, cityCode: string): Promise<number> => {
    const availability = await call('GET', `/api/v1/exam/periods/${periodId}/availability`, { token });
    const offering = (availability.body.offerings as Array<{ offeringId: string; cities: Array<{ cityCode: string; remaining: number }> }>).find((o) => o.offeringId === offeringId)!;
    return offering.cities.find((c) => c.cityCode === cityCode)!.remaining;
  };

  before(async () => {
    const notifySecret = randomBytes(32).toString('hex');
    // The workbench first: its projection is in its consumer group before the first case event.
    const workbench = await startServiceProcess('workbench', { RUN_WORKER: 'false' });
    const identity = await startServiceProcess('identity', { RUN_WORKER: 'false', PASSWORD_HASH_COST: '12' });
    const payment = await startServiceProcess('payment', { PAYMENT_SANDBOX_NOTIFY_SECRET: notifySecret, PAYMENT_SANDBOX_SEND_INTERVAL_MS: '100' });
    const exam = await startServiceProcess('exam', { PAYMENT_SERVICE_URL: payment.url, IDENTITY_SERVICE_URL: identity.url, AVAILABILITY_REFRESH_MS: '100' });
    j = await Journey.start([workbench, identity, payment, exam]);
    adminToken = j.token({ accountType: 'staff', roles: ['admin'], username: 'admin' });
    // The demo period of the import format, its windows moved so that registration is open now.
    const period = JSON.parse(readFileSync(join(testEnvironment().repoRoot, 'apps', 'exam', 'seed', 'exam-period-2021-2.json'), 'utf8')) as Json;
    const now = Date.now();
    const at = (hours: number) => new Date(now + hours * 3600_000).toISOString();
    period.code = `J${randomBytes(4).toString('hex')}`;
    period.registrationOpensAt = at(-1);
    period.registrationClosesAt = at(48);
    period.refundWindow = { opensAt: at(-1), closesAt: at(48) };
    period.ticketPrintWindow = { opensAt: at(24 * 30), closesAt: at(24 * 31) };
    for (const [i, s] of (period.sessions as Json[]).entries()) {
      s.startsAt = at(24 * 32 + i * 3);
      s.endsAt = at(24 * 32 + i * 3 + 1.5);
    }
    const imported = await call('POST', '/api/v1/exam/admin/periods', { token: adminToken, body: period });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    periodId = imported.body.id as string;
  });

  after(async () => {
    await j?.stop();
  });

  it('registers, confirms, pays in the sandbox, changes city and is refunded; my items and messages follow', async () => {
    const me = await candidate();
    const periods = await call('GET', '/api/v1/exam/periods', { token: me.token });
    assert.equal(periods.status, 200);
    assert.ok((periods.body.periods as Json[]).some((p) => p.id === periodId));

    const reg = await readyRegistration(me.token, 'BJ');
    const [s1] = reg.offeringIds;
    const before = await remaining(me.token, s1!, 'BJ');

    const order = await call('POST', `/api/v1/exam/registrations/${reg.id}/order`, { token: me.token, body: { confirmed: true } });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    assert.equal(order.body.amountFen, 16000, 'two subjects at 80 RMB each, in fen');
    assert.ok(Date.parse(order.body.expiresAt as string) > Date.now());
    await eventually(async () => (await remaining(me.token, s1!, 'BJ')) === before - 1, { ...WAIT, what: 'the seat shown as taken' });
    const second = await call('POST', `/api/v1/exam/registrations/${reg.id}/order`, { token: me.token, body: { confirmed: true } });
    assert.equal(second.status, 409, 'a second order while one exists');

    // The payment page: the order reaches the payment service through Kafka within moments.
    let pay!: Answer;
    await eventually(async () => (pay = await call('POST', `/api/v1/payment/orders/${order.body.orderId}/payments`, { token: me.token })).status === 201, {
      ...WAIT,
      what: 'the payment page',
    });
    assert.match(pay.body.payUrl as string, /\/api\/v1\/sandbox\/payments\//);
    // Nobody else pays (or sees) this order.
    const stranger = await candidate();
    assert.equal((await call('POST', `/api/v1/payment/orders/${order.body.orderId}/payments`, { token: stranger.token })).status, 404);
    assert.equal((await call('GET', `/api/v1/exam/registrations/${reg.id}`, { token: stranger.token })).status, 404);

    const paid = await call('POST', `/api/v1/sandbox/payments/${pay.body.paymentId}/pay`, { body: {} });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    const registered = await eventually(
      async () => {
        const r = await call('GET', `/api/v1/exam/registrations/${reg.id}`, { token: me.token });
        return r.body.status === 'paid' ? r : undefined;
      },
      { ...WAIT, what: 'the registration paid through the signed notification' },
    );
    assert.equal(registered.body.stageName, '已报考');

    // EX-10: the paid seats move to another city, all of them.
    const bjBefore = await remaining(me.token, s1!, 'BJ');
    const shBefore = await remaining(me.token, s1!, 'SH');
    const moved = await call('POST', `/api/v1/exam/registrations/${reg.id}/city-change`, { token: me.token, body: { cityCode: 'SH' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await eventually(async () => (await remaining(me.token, s1!, 'BJ')) === bjBefore + 1 && (await remaining(me.token, s1!, 'SH')) === shBefore - 1, {
      ...WAIT,
      what: 'the seat moved from BJ to SH',
    });

    // PY-4: the refund, once; the provider confirms; the seats are free again.
    const refund = await call('POST', `/api/v1/exam/registrations/${reg.id}/refund`, { token: me.token, body: {} });
    assert.equal(refund.status, 202, JSON.stringify(refund.body));
    const again = await call('POST', `/api/v1/exam/registrations/${reg.id}/refund`, { token: me.token, body: {} });
    assert.ok(again.status >= 400 && again.status < 500, 'one refund per person and period');
    await eventually(async () => (await call('GET', `/api/v1/exam/registrations/${reg.id}`, { token: me.token })).body.status === 'refunded', {
      ...WAIT,
      what: 'the refund confirmed by the provider',
    });
    const paymentOrder = await call('GET', `/api/v1/payment/orders/${order.body.orderId}`, { token: me.token });
    assert.equal(paymentOrder.body.status, 'refunded');
    assert.equal(await remaining(me.token, s1!, 'SH'), shBefore);

    // My items and messages (WB-3, WB-4) follow the case.
    let items!: Answer;
    await eventually(
      async () => {
        items = await call('GET', '/api/v1/workbench/items', { token: me.token });
        return (items.body.items as Json[] | undefined)?.some((i) => i.businessNo === reg.businessNo && i.stageName === '已退费');
      },
      { ...WAIT, timeoutMs: 60_000, what: 'my items showing the refunded registration' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; my items: ${items.status} ${JSON.stringify(items.body).slice(0, 1500)}`);
    });
    const messages = await call('GET', '/api/v1/workbench/messages', { token: me.token });
    assert.ok((messages.body.items as Json[]).some((m) => String(m.body ?? '').includes(reg.businessNo)), 'a message about the registration');
  });

  it('cancels the unpaid order: the seats come back and the order can no longer be paid', async () => {
    const me = await candidate();
    const reg = await readyRegistration(me.token, 'TJ');
    const [s1] = reg.offeringIds;
    const before = await remaining(me.token, s1!, 'TJ');
    const order = await call('POST', `/api/v1/exam/registrations/${reg.id}/order`, { token: me.token, body: { confirmed: true } });
    assert.equal(order.status, 201);
    // Cancelling needs the payment service to know the order (it may take a moment to arrive).
    await eventually(async () => (await call('GET', `/api/v1/payment/orders/${order.body.orderId}`, { token: me.token })).status === 200, { ...WAIT, what: 'the payment order' });
    const cancelled = await call('DELETE', `/api/v1/exam/registrations/${reg.id}/order`, { token: me.token });
    assert.ok(cancelled.status === 200 || cancelled.status === 204, JSON.stringify(cancelled.body));
    await eventually(async () => (await remaining(me.token, s1!, 'TJ')) === before, { ...WAIT, what: 'the seat released' });
    const payment = await call('POST', `/api/v1/payment/orders/${order.body.orderId}/payments`, { token: me.token });
    assert.equal(payment.status, 409, JSON.stringify(payment.body));
    // Steps can be changed again and a new order placed.
    const reordered = await call('POST', `/api/v1/exam/registrations/${reg.id}/order`, { token: me.token, body: { confirmed: true } });
    assert.equal(reordered.status, 201, JSON.stringify(reordered.body));
  });
});
