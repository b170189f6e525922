import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CaseTopics, ExamTopics, PaymentTopics } from '@certhub/contracts';
import { unique, KafkaProbe, testEnvironment } from '@certhub/testing';
import { ExamHarness, openPeriod, type Candidate } from '../testing/exam-harness';

type Body = Record<string, unknown> & { code?: string; field?: string; details?: { fullOfferings?: Array<{ code: string }>; citiesWithSeats?: Array<{ cityCode: string }> } };
type Data = { data: Record<string, unknown> };

/** Payment events are published to the real Kafka where the payment service would (see orders.int-spec.ts). */
describe('after payment: city change (EX-10) and refund request (PY-4)', () => {
  let h: ExamHarness;
  let probe: KafkaProbe;
  before(async () => {
    h = await ExamHarness.start();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([ExamTopics.RefundRequested, CaseTopics.exam], false);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  async function paid(c: Candidate, periodId: string, codes: string[], city: string): Promise<{ id: string; orderId: string; amountFen: number }> {
    const o = await h.offerings(periodId);
    const id = await h.readyRegistration(c, periodId, codes.map((code) => o[code]!), city);
    const order = await h.order(c, id);
    assert.equal(order.status, 201, JSON.stringify(order.body));
    await h.pay(order.body.orderId, order.body.amountFen);
    return { id, orderId: order.body.orderId, amountFen: order.body.amountFen };
  }

  const cityChange = (c: Candidate, id: string, cityCode: string) =>
    h.request<Body>('POST', `/api/v1/exam/registrations/${id}/city-change`, { token: c.token, body: { cityCode } });
  const refund = (c: Candidate, id: string) => h.request<Body>('POST', `/api/v1/exam/registrations/${id}/refund`, { token: c.token });

  it('moves every paid seat to the new city, or refuses naming the full offerings and changes nothing', async () => {
    const periodId = await h.importPeriod(
      openPeriod({}, { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 10 }, { code: 'SH', name: '上海', seatsPerOffering: 10, seats: { GEN: 0 } }, { code: 'TJ', name: '天津', seatsPerOffering: 10 }] }),
    );
    const [c] = await h.candidates(1);
    const { id } = await paid(c!, periodId, ['QMS-1', 'GEN'], 'BJ');
    const full = await cityChange(c!, id, 'SH');
    assert.equal(full.status, 409);
    assert.equal(full.body.code, 'EXAM_SEAT_FULL');
    assert.deepEqual(full.body.details!.fullOfferings!.map((f) => f.code), ['GEN']);
    assert.deepEqual(full.body.details!.citiesWithSeats!.map((x) => x.cityCode), ['BJ', 'TJ']);
    assert.equal((await h.pool(periodId, 'QMS-1', 'SH')).paid, 0, 'nothing moved');
    assert.equal((await h.pool(periodId, 'QMS-1', 'BJ')).paid, 1);
    const unknownCity = await cityChange(c!, id, 'XX');
    assert.equal(unknownCity.body.code, 'EXAM_CITY_UNKNOWN');
    assert.equal((await cityChange(c!, id, 'BJ')).body.code, 'EXAM_CITY_CHANGE_SAME');

    const moved = await cityChange(c!, id, 'TJ');
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    for (const code of ['QMS-1', 'GEN']) {
      assert.equal((await h.pool(periodId, code, 'BJ')).paid, 0, code);
      assert.equal((await h.pool(periodId, code, 'TJ')).paid, 1, code);
    }
    const view = await h.request<{ city: { cityCode: string }; subjects: Array<{ paid: boolean }> }>('GET', `/api/v1/exam/registrations/${id}`, { token: c!.token });
    assert.equal(view.body.city.cityCode, 'TJ');
    assert.ok(view.body.subjects.every((s) => s.paid));
  });

  it('refuses a city change before payment (cancel instead) and after the registration window', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c, d] = await h.candidates(2);
    const id = await h.readyRegistration(c!, periodId, [o['GEN']!], 'BJ');
    const before = await cityChange(c!, id, 'SH');
    assert.equal(before.status, 409);
    assert.equal(before.body.code, 'EXAM_NOT_PAID');
    assert.equal((await h.order(c!, id)).status, 201);
    assert.equal((await cityChange(c!, id, 'SH')).body.code, 'EXAM_NOT_PAID');

    const { id: paidId } = await paid(d!, periodId, ['GEN'], 'BJ');
    await h.dataSource.query(`UPDATE exam_period SET registration_closes_at = now() - interval '1 minute' WHERE id = $1`, [periodId]);
    const late = await cityChange(d!, paidId, 'SH');
    assert.equal(late.status, 409);
    assert.equal(late.body.code, 'EXAM_REGISTRATION_CLOSED');
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).paid, 1);
  });

  it('city changes racing each other for the last seat: exactly one moves', async () => {
    const periodId = await h.importPeriod(openPeriod({}, { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 10 }, { code: 'SH', name: '上海', seatsPerOffering: 10, seats: { GEN: 1 } }] }));
    const racers = await h.candidates(6);
    const regs: string[] = [];
    for (const c of racers) regs.push((await paid(c, periodId, ['QMS-1', 'GEN'], 'BJ')).id);
    const results = await Promise.all(racers.map((c, i) => cityChange(c, regs[i]!, 'SH')));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body.code === 'EXAM_SEAT_FULL'));
    assert.deepEqual(await h.pool(periodId, 'GEN', 'SH'), { code: 'GEN', city_code: 'SH', quota: 1, held: 0, paid: 1 });
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).paid, 5);
    assert.equal((await h.pool(periodId, 'QMS-1', 'SH')).paid, 1, 'the winner moved both subjects, the losers none');
  });

  it('city changes racing new orders for the same seats, both ways: never more than the quota, no deadlock', async () => {
    const periodId = await h.importPeriod(
      openPeriod({}, { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 20, seats: { EMS: 5 } }, { code: 'SH', name: '上海', seatsPerOffering: 20, seats: { EMS: 5 } }] }),
    );
    const o = await h.offerings(periodId);
    const movers = await h.candidates(8);
    const buyers = await h.candidates(8);
    const moverRegs: string[] = [];
    // Half paid in BJ moving to SH, half paid in SH moving to BJ (opposite lock orders if unsorted).
    for (const [i, c] of movers.entries()) moverRegs.push((await paid(c, periodId, ['QMS-1', 'EMS'], i % 2 === 0 ? 'BJ' : 'SH')).id);
    const buyerRegs: string[] = [];
    for (const [i, c] of buyers.entries()) buyerRegs.push(await h.readyRegistration(c, periodId, [o['EMS']!, o['QMS-1']!], i % 2 === 0 ? 'SH' : 'BJ'));
    const before = await h.pools(periodId);
    assert.equal(before.find((p) => p.code === 'EMS' && p.city_code === 'BJ')!.paid, 4, 'one EMS seat left in BJ');
    const results = await Promise.all([
      ...movers.map((c, i) => cityChange(c, moverRegs[i]!, i % 2 === 0 ? 'SH' : 'BJ')),
      ...buyers.map((c, i) => h.order(c, buyerRegs[i]!)),
    ]);
    assert.ok(results.every((r) => r.status === 200 || r.status === 201 || (r.status === 409 && r.body.code === 'EXAM_SEAT_FULL')), JSON.stringify(results.map((r) => [r.status, r.body.code])));
    for (const p of await h.pools(periodId)) assert.ok(p.held + p.paid <= p.quota, JSON.stringify(p));
    const ems = (await h.pools(periodId)).filter((p) => p.code === 'EMS');
    assert.equal(ems.reduce((n, p) => n + p.held + p.paid, 0), 8 + results.filter((r) => r.status === 201).length, 'every mover keeps one EMS seat, every buyer took one');
  });

  it('refunds once per person per period inside the window: seats released, event to payment, 已退费 when refunded', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const [c] = await h.candidates(1);
    const { id, orderId, amountFen } = await paid(c!, periodId, ['QMS-1', 'GEN'], 'BJ');
    const res = await refund(c!, id);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).paid, 0);
    assert.equal((await h.pool(periodId, 'QMS-1', 'BJ')).paid, 0);
    const requested = await probe.waitFor((m) => m.topic === ExamTopics.RefundRequested && m.key === orderId);
    assert.equal((requested.value as Data).data.amountFen, amountFen);
    const twice = await refund(c!, id);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'EXAM_REFUND_USED');

    await h.publish(PaymentTopics.OrderRefunded, orderId, { orderId, refundId: unique.id(), amountFen, refundedAt: new Date().toISOString(), reason: 'requested' });
    await h.orderStatus(orderId, 'refunded');
    const view = await h.request<{ status: string; stageName: string }>('GET', `/api/v1/exam/registrations/${id}`, { token: c!.token });
    assert.deepEqual([view.body.status, view.body.stageName], ['refunded', '已退费']);
    await probe.waitFor((m) => m.topic === CaseTopics.exam && m.key === id && (m.value as Data).data.stage === 'refunded');

    // EX-11: register again (other subjects), pay — but the one refund of this period is used.
    const again = await paid(c!, periodId, ['QMS-2'], 'SH');
    assert.notEqual(again.id, id);
    const second = await refund(c!, again.id);
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'EXAM_REFUND_USED');
    assert.equal((await h.pool(periodId, 'QMS-2', 'SH')).paid, 1, 'nothing released');
  });

  it('refuses a refund outside the refund window and before payment', async () => {
    const periodId = await h.importPeriod(openPeriod());
    const o = await h.offerings(periodId);
    const [c, d] = await h.candidates(2);
    const unpaid = await h.readyRegistration(d!, periodId, [o['GEN']!], 'BJ');
    assert.equal((await refund(d!, unpaid)).body.code, 'EXAM_NOT_PAID');
    const { id } = await paid(c!, periodId, ['GEN'], 'BJ');
    await h.dataSource.query(`UPDATE exam_period SET refund_closes_at = now() - interval '1 minute' WHERE id = $1`, [periodId]);
    const late = await refund(c!, id);
    assert.equal(late.status, 409);
    assert.equal(late.body.code, 'EXAM_REFUND_CLOSED');
    assert.equal((await h.pool(periodId, 'GEN', 'BJ')).paid, 1);
    assert.equal((await h.dataSource.query(`SELECT 1 FROM refund_request WHERE registration_id = $1`, [id])).length, 0);
  });
});
