import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CaseTopics } from '@certhub/contracts';
import { businessHour } from '@certhub/persistence';
import { KafkaProbe, testEnvironment, unique } from '@certhub/testing';
import { ExamHarness, openPeriod, VALID_INFO, type Candidate } from '../testing/exam-harness';

type Body = Record<string, unknown> & { code?: string; field?: string; message?: string; messageZh?: string; details?: Record<string, unknown> };

describe('registration steps (EX-2 … EX-7, EX-9)', () => {
  let h: ExamHarness;
  let probe: KafkaProbe;
  let periodId: string;
  let offerings: Record<string, string>;
  before(async () => {
    h = await ExamHarness.start();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([CaseTopics.exam], false);
    periodId = await h.importPeriod(openPeriod());
    offerings = await h.offerings(periodId);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  const start = (c: Candidate, pid = periodId, body: unknown = { noticeAccepted: true }) =>
    h.request<Body & { id: string }>('POST', `/api/v1/exam/periods/${pid}/registrations`, { token: c.token, body });

  it('lists open periods with my status: 未报考, then 报名中', async () => {
    const [c] = await h.candidates(1);
    const before = await h.request<{ periods: Array<{ id: string; myStatusZh: string }> }>('GET', '/api/v1/exam/periods', { token: c!.token });
    assert.equal(before.status, 200);
    assert.equal(before.body.periods.find((p) => p.id === periodId)?.myStatusZh, '未报考');
    assert.equal((await start(c!)).status, 201);
    const afterwards = await h.request<{ periods: Array<{ id: string; myStatusZh: string; registrationId: string }> }>('GET', '/api/v1/exam/periods', { token: c!.token });
    assert.equal(afterwards.body.periods.find((p) => p.id === periodId)?.myStatusZh, '报名中');
  });

  it('does not list a period whose registration window is closed, and refuses registering there', async () => {
    const closed = await h.importPeriod(openPeriod({ registrationOpensAt: new Date(Date.now() + 3600_000).toISOString(), refundWindow: { opensAt: new Date(Date.now() + 3600_000).toISOString(), closesAt: new Date(Date.now() + 7200_000).toISOString() } }));
    const [c] = await h.candidates(1);
    const list = await h.request<{ periods: Array<{ id: string }> }>('GET', '/api/v1/exam/periods', { token: c!.token });
    assert.ok(!list.body.periods.some((p) => p.id === closed));
    const res = await start(c!, closed);
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'EXAM_REGISTRATION_CLOSED');
  });

  it('needs the notice accepted and an accepted photo; one active registration per person and period', async () => {
    const [c] = await h.candidates(1);
    const notice = await start(c!, periodId, { noticeAccepted: false });
    assert.equal(notice.status, 400);
    assert.equal(notice.body.code, 'EXAM_NOTICE_NOT_ACCEPTED');
    assert.equal(notice.body.field, 'noticeAccepted');
    const noPhoto = h.token({ sub: unique.id() });
    const photo = await h.request<Body>('POST', `/api/v1/exam/periods/${periodId}/registrations`, { token: noPhoto, body: { noticeAccepted: true } });
    assert.equal(photo.status, 409);
    assert.equal(photo.body.code, 'EXAM_PHOTO_REQUIRED');
    // A double submit: both race, exactly one registration is created.
    const [a, b] = await Promise.all([start(c!), start(c!)]);
    assert.deepEqual([a.status, b.status].sort(), [201, 409]);
    assert.equal((a.status === 409 ? a : b).body.code, 'EXAM_ALREADY_REGISTERED');
    const rows = await h.dataSource.query(`SELECT business_no FROM registration WHERE candidate_id = $1`, [c!.id]);
    assert.equal(rows.length, 1);
    assert.match(rows[0].business_no, /^\d{14}$/);
  });

  it('walks the four steps, shows progress and everything, and emits the case with increasing versions', async () => {
    const [c] = await h.candidates(1);
    const { body } = await start(c!);
    const id = body.id;
    const view = () => h.request<Body & { steps: Record<string, boolean>; stage: string }>('GET', `/api/v1/exam/registrations/${id}`, { token: c!.token });
    assert.deepEqual((await view()).body.steps, { info: false, subjects: false, city: false, payment: false });
    assert.equal((await h.request('PUT', `/api/v1/exam/registrations/${id}/info`, { token: c!.token, body: VALID_INFO })).status, 200);
    const subjects = await h.request('PUT', `/api/v1/exam/registrations/${id}/subjects`, { token: c!.token, body: { offeringIds: [offerings['QMS-1'], offerings['EMS']] } });
    assert.equal(subjects.status, 200, JSON.stringify(subjects.body));
    assert.equal((await h.request('PUT', `/api/v1/exam/registrations/${id}/city`, { token: c!.token, body: { cityCode: 'SH' } })).status, 200);
    const full = await view();
    assert.deepEqual(full.body.steps, { info: true, subjects: true, city: true, payment: false });
    assert.equal(full.body.stage, 'confirm');
    assert.equal(full.body.amountFen, 17000);
    assert.deepEqual((full.body.invoice as Record<string, unknown>), { type: 'personal', title: '张伟', taxId: null });
    assert.deepEqual((full.body.subjects as Array<{ code: string; paid: boolean }>).map((s) => [s.code, s.paid]), [['QMS-1', false], ['EMS', false]]);
    const events = await probe.waitFor((m) => m.key === id && (m.value as { data: { stage: string } }).data.stage === 'confirm');
    const versions = probe.matching((m) => m.key === id).map((m) => (m.value as { data: { version: number } }).data.version);
    assert.deepEqual(versions, [...versions].sort((x, y) => x - y));
    assert.equal(new Set(versions).size, versions.length);
    assert.equal((events.value as { data: { status: string; businessNo: string } }).data.status, 'draft');
  });

  it('refuses two subjects of one session, a subject of another period, duplicates and an unknown city', async () => {
    const other = await h.importPeriod(openPeriod());
    const otherOfferings = await h.offerings(other);
    const [c] = await h.candidates(1);
    const id = (await start(c!)).body.id;
    const put = (path: string, body: unknown) => h.request<Body>('PUT', `/api/v1/exam/registrations/${id}/${path}`, { token: c!.token, body });
    const session = await put('subjects', { offeringIds: [offerings['QMS-1'], offerings['FSMS']] });
    assert.equal(session.status, 400);
    assert.equal(session.body.code, 'EXAM_SESSION_CONFLICT');
    assert.equal(session.body.field, 'offeringIds[1]');
    const foreign = await put('subjects', { offeringIds: [offerings['GEN'], otherOfferings['QMS-2']] });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.code, 'EXAM_SUBJECT_UNKNOWN');
    assert.equal(foreign.body.field, 'offeringIds[1]');
    const twice = await put('subjects', { offeringIds: [offerings['GEN'], offerings['GEN']] });
    assert.equal(twice.body.code, 'EXAM_SUBJECT_DUPLICATE');
    const city = await put('city', { cityCode: 'XX' });
    assert.equal(city.status, 400);
    assert.equal(city.body.code, 'EXAM_CITY_UNKNOWN');
    const stored = await h.dataSource.query(`SELECT offering_ids, city_code FROM registration WHERE id = $1`, [id]);
    assert.deepEqual(stored[0], { offering_ids: null, city_code: null }, 'nothing changed');
  });

  it('validates the invoice: personal title is the candidate name, enterprise needs a valid credit code', async () => {
    const [c] = await h.candidates(1);
    h.stub.names.set(c!.id, '李娜');
    const id = (await start(c!)).body.id;
    const put = (invoice: unknown) => h.request<Body>('PUT', `/api/v1/exam/registrations/${id}/info`, { token: c!.token, body: { ...VALID_INFO, invoice } });
    const renamed = await put({ type: 'personal', title: '别人' });
    assert.equal(renamed.status, 400);
    assert.equal(renamed.body.code, 'EXAM_INVOICE_TITLE');
    assert.equal(renamed.body.field, 'invoice.title');
    const badCode = await put({ type: 'enterprise', title: '某某认证有限公司', taxId: '91350100M000100Y42' });
    assert.equal(badCode.status, 400);
    assert.equal(badCode.body.code, 'EXAM_TAX_ID_INVALID');
    assert.equal(badCode.body.field, 'invoice.taxId');
    const noTitle = await put({ type: 'enterprise', taxId: '91350100M000100Y43' });
    assert.equal(noTitle.body.code, 'EXAM_INVOICE_TITLE');
    const badPhone = await h.request<Body>('PUT', `/api/v1/exam/registrations/${id}/info`, { token: c!.token, body: { ...VALID_INFO, phone: '12345' } });
    assert.equal(badPhone.status, 400);
    assert.equal(badPhone.body.field, 'phone');
    assert.equal((await h.dataSource.query(`SELECT info FROM registration WHERE id = $1`, [id]))[0].info, null, 'nothing stored');
    assert.equal((await put({ type: 'enterprise', title: '某某认证有限公司', taxId: '91350100M000100Y43' })).status, 200);
    assert.equal((await put({ type: 'personal' })).status, 200);
    const view = await h.request<{ invoice: unknown }>('GET', `/api/v1/exam/registrations/${id}`, { token: c!.token });
    assert.deepEqual(view.body.invoice, { type: 'personal', title: '李娜', taxId: null });
  });

  it('numbers registrations beyond 9 999 an hour by borrowing the next hour (registration opening)', async () => {
    const [c] = await h.candidates(1);
    const hour = businessHour(new Date());
    const next = businessHour(new Date(Date.now() + 3600_000));
    await h.dataSource.query(`INSERT INTO business_number_counter (hour, seq) VALUES ($1, 9999) ON CONFLICT (hour) DO UPDATE SET seq = 9999`, [hour]);
    const before: Array<{ seq: number }> = await h.dataSource.query(`SELECT seq FROM business_number_counter WHERE hour = $1`, [next]);
    const res = await start(c!);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.businessNo, `${next}${String((before[0]?.seq ?? 0) + 1).padStart(4, '0')}`);
    const after: Array<{ seq: number }> = await h.dataSource.query(`SELECT seq FROM business_number_counter WHERE hour = $1`, [hour]);
    assert.equal(after[0]!.seq, 9999, 'the full hour is left as it was');
  });

  it('refuses every step and the order once the registration window has closed, and changes nothing', async () => {
    const own = await h.importPeriod(openPeriod());
    const o = await h.offerings(own);
    const [c] = await h.candidates(1);
    const id = await h.readyRegistration(c!, own, [o['GEN']!], 'BJ');
    await h.dataSource.query(`UPDATE exam_period SET registration_closes_at = now() - interval '1 second' WHERE id = $1`, [own]);
    for (const [path, body] of [['info', VALID_INFO], ['subjects', { offeringIds: [o['QMS-1']] }], ['city', { cityCode: 'SH' }]] as const) {
      const res = await h.request<Body>('PUT', `/api/v1/exam/registrations/${id}/${path}`, { token: c!.token, body });
      assert.equal(res.status, 409, path);
      assert.equal(res.body.code, 'EXAM_REGISTRATION_CLOSED', path);
    }
    const order = await h.order(c!, id);
    assert.equal(order.status, 409);
    assert.equal(order.body.code, 'EXAM_REGISTRATION_CLOSED');
    assert.deepEqual(await h.pool(own, 'GEN', 'BJ'), { code: 'GEN', city_code: 'BJ', quota: 100, held: 0, paid: 0 });
    const stored = await h.dataSource.query(`SELECT city_code FROM registration WHERE id = $1`, [id]);
    assert.equal(stored[0].city_code, 'BJ');
  });

  it("answers 404 for another person's registration, to read or to change", async () => {
    const [owner, other] = await h.candidates(2);
    const id = (await start(owner!)).body.id;
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PUT', '/info', VALID_INFO],
      ['PUT', '/subjects', { offeringIds: [offerings['GEN']] }],
      ['PUT', '/city', { cityCode: 'BJ' }],
      ['POST', '/order', { confirmed: true }],
      ['DELETE', '/order', undefined],
      ['POST', '/city-change', { cityCode: 'BJ' }],
      ['POST', '/refund', undefined],
    ] as const) {
      const res = await h.request<Body>(method, `/api/v1/exam/registrations/${id}${path}`, { token: other!.token, body });
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'EXAM_NOT_FOUND');
    }
    const unknown = await h.request<Body>('GET', `/api/v1/exam/registrations/${unique.id()}`, { token: owner!.token });
    assert.equal(unknown.status, 404);
  });
});
