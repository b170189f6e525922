import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CaseTopics, validateEvent, type CaseChangedV1, type EventEnvelope } from '@certhub/contracts';
import { KafkaProbe, testEnvironment } from '@certhub/testing';
import { CertificationHarness, completeForm, type ApplicationView } from '../testing/certification-harness';

type Body = Record<string, unknown> & { code?: string; field?: string; message?: string; messageZh?: string; details?: Record<string, unknown> };

const BASE = '/api/v1/certification/applications';

describe('registration application drafts (CE-1, CE-2)', () => {
  let h: CertificationHarness;
  let probe: KafkaProbe;
  let institutionId: string;
  before(async () => {
    h = await CertificationHarness.start({ MAX_OPEN_APPLICATIONS: '4' });
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([CaseTopics.certification], false);
    institutionId = h.identity.institution();
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  const caseEvents = (id: string) => probe.matching((m) => m.key === id).map((m) => m.value as EventEnvelope<CaseChangedV1>);

  it('creates a draft → 201 { id, businessNo }, shows it to its owner with stage, status, readiness and history', async () => {
    const a = h.applicant();
    const created = await h.create(a, { applicationType: 'system-auditor', grade: 'trainee', field: 'QMS', kind: 'new' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['businessNo', 'id']);
    assert.match(created.body.businessNo, /^\d{14}$/);
    const view = await h.view(a, created.body.id);
    assert.equal(view.status, 200);
    assert.equal(view.body.businessNo, created.body.businessNo);
    assert.equal(view.body.status, 'draft');
    assert.equal(view.body.stage, 'draft');
    assert.equal(view.body.stageName, '草稿箱');
    assert.equal(view.body.editable, true);
    assert.equal(view.body.itemName, '人员注册申请（体系认证审核员：QMS）');
    assert.equal(view.body.workflowId, null);
    assert.deepEqual((view.body.form as Record<string, unknown>).gradeName, { nameZh: '实习审核员', nameEn: 'Trainee auditor' });
    assert.deepEqual(view.body.history.map((x) => [x.action, x.toStatus]), [['created', 'draft']]);
    assert.equal(view.body.readiness.ready, false);
    assert.deepEqual(
      view.body.readiness.missing.map((m) => m.field),
      ['narrowScope', 'paymentBy', 'institutionId', 'records.education', 'records.work', 'records.professional-work'],
    );
    const list = await h.request<{ applications: Array<{ id: string; stageName: string }> }>('GET', BASE, { token: a.token });
    assert.deepEqual(list.body.applications.map((x) => [x.id, x.stageName]), [[created.body.id, '草稿箱']]);
  });

  it('emits certification.case.changed.v1 through the outbox: stage draft on create, again when the item name changes, not on other saves', async () => {
    const a = h.applicant();
    const { body } = await h.create(a, { applicationType: 'system-auditor' });
    const first = await probe.waitFor((m) => m.key === body.id);
    assert.equal(first.topic, CaseTopics.certification);
    assert.equal(first.headers['event-type'], CaseTopics.certification);
    const envelope = first.value as EventEnvelope<CaseChangedV1>;
    assert.deepEqual(validateEvent(CaseTopics.certification, envelope), { ok: true });
    assert.equal(envelope.producer, 'certification');
    assert.equal(envelope.subjectId, body.id);
    assert.deepEqual(
      {
        domain: envelope.data.domain, caseType: envelope.data.caseType, caseId: envelope.data.caseId, businessNo: envelope.data.businessNo,
        itemName: envelope.data.itemName, applicantId: envelope.data.applicantId, stage: envelope.data.stage, stageName: envelope.data.stageName,
        status: envelope.data.status, version: envelope.data.version, institutionId: envelope.data.institutionId, link: envelope.data.link,
      },
      {
        domain: 'certification', caseType: 'cert-registration', caseId: body.id, businessNo: body.businessNo,
        itemName: '人员注册申请（体系认证审核员）', applicantId: a.id, stage: 'draft', stageName: '草稿箱',
        status: 'draft', version: 1, institutionId: null, link: `${BASE}/${body.id}`,
      },
    );
    // Specialty and payment change nothing my items shows: no event.
    assert.equal((await h.request('PUT', `${BASE}/${body.id}`, { token: a.token, body: { applicationType: 'system-auditor', specialty: 'QMS建工', paymentBy: 'person' } })).status, 200);
    // The field changes the item name: version 2.
    assert.equal((await h.request('PUT', `${BASE}/${body.id}`, { token: a.token, body: { applicationType: 'system-auditor', field: 'EMS' } })).status, 200);
    const second = await probe.waitFor((m) => m.key === body.id && (m.value as EventEnvelope<CaseChangedV1>).data.version === 2);
    assert.equal((second.value as EventEnvelope<CaseChangedV1>).data.itemName, '人员注册申请（体系认证审核员：EMS）');
    assert.equal((second.value as EventEnvelope<CaseChangedV1>).data.status, 'draft');
    const outbox: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM outbox_message WHERE message_key = $1`, [body.id]);
    assert.equal(outbox[0]!.n, 2);
    assert.deepEqual(caseEvents(body.id).map((e) => e.data.version), [1, 2]);
  });

  it('saves the whole form (PUT replaces it), resolving the institution from the directory', async () => {
    const a = h.applicant();
    const { body } = await h.create(a, {});
    const saved = await h.request<ApplicationView>('PUT', `${BASE}/${body.id}`, { token: a.token, body: completeForm(institutionId) });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual(saved.body.form.institution, { id: institutionId, name: '华认质量认证中心（测试）' });
    assert.equal(saved.body.form.narrowScope, false);
    assert.deepEqual(saved.body.readiness.missing.map((m) => m.field), ['records.education', 'records.work', 'records.professional-work']);
    // Fields left out are cleared.
    const cleared = await h.request<ApplicationView>('PUT', `${BASE}/${body.id}`, { token: a.token, body: { applicationType: 'system-auditor' } });
    assert.equal(cleared.body.form.institution, null);
    assert.equal(cleared.body.form.field, null);
    // Identity is asked with the caller's token.
    assert.ok(h.identity.calls.some((c) => c.path === `/api/v1/identity/institutions/${institutionId}` && c.authorization === `Bearer ${a.token}`));
  });

  it('refuses inconsistent or malformed forms with a code and the field at fault, changing nothing', async () => {
    const a = h.applicant();
    const { body } = await h.create(a, { applicationType: 'system-auditor', field: 'QMS' });
    const before = await h.snapshot(body.id);
    const trainingBody = h.identity.institution('某培训中心', 'training');
    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ grade: 'trainee' }, 400, 'CERT_TYPE_REQUIRED', 'applicationType'],
      [{ applicationType: 'product-inspector', field: 'QMS' }, 400, 'CERT_FIELD_UNKNOWN', 'field'],
      [{ applicationType: 'system-auditor', grade: 'trainee', kind: 'upgrade' }, 400, 'CERT_KIND_GRADE_MISMATCH', 'grade'],
      [{ applicationType: 'pilot' }, 400, 'COMMON_VALIDATION_FAILED', 'applicationType'],
      [{ narrowScope: 'yes' }, 400, 'COMMON_VALIDATION_FAILED', 'narrowScope'],
      [{ paymentBy: 'employer' }, 400, 'COMMON_VALIDATION_FAILED', 'paymentBy'],
      [{ specialty: 'x'.repeat(101) }, 400, 'COMMON_VALIDATION_FAILED', 'specialty'],
      [{ institutionId: 'not-a-uuid' }, 400, 'COMMON_VALIDATION_FAILED', 'institutionId'],
      [{ institutionId: randomUUID() }, 400, 'CERT_INSTITUTION_UNKNOWN', 'institutionId'],
      [{ institutionId: trainingBody }, 400, 'CERT_INSTITUTION_UNKNOWN', 'institutionId'],
      [{ applicationType: 'system-auditor', idNumber: '110105199003071247' }, 400, 'COMMON_UNKNOWN_FIELD', 'idNumber'],
    ];
    for (const [form, status, code, field] of cases) {
      const res = await h.request<Body>('PUT', `${BASE}/${body.id}`, { token: a.token, body: form });
      assert.equal(res.status, status, JSON.stringify(form));
      assert.equal(res.body.code, code, JSON.stringify(form));
      assert.equal(res.body.field, field, JSON.stringify(form));
      assert.ok(res.body.message && res.body.messageZh, 'both messages');
    }
    const malformed = await h.request<Body>('PUT', `${BASE}/${body.id}`, { token: a.token, rawBody: '{"applicationType": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'COMMON_MALFORMED_BODY');
    // The same refusals at create: nothing is created.
    const refusedCreate = await h.create(a, { applicationType: 'system-auditor', field: 'GAP' });
    assert.equal(refusedCreate.body.code, 'CERT_FIELD_UNKNOWN');
    assert.deepEqual(await h.snapshot(body.id), before, 'nothing changed');
    const count: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM application WHERE applicant_id = $1`, [a.id]);
    assert.equal(count[0]!.n, 1);
  });

  it('is the owner\'s only: another person\'s or an unknown id is 404; institution and staff accounts are refused', async () => {
    const owner = h.applicant();
    const other = h.applicant();
    const { body } = await h.create(owner, { applicationType: 'system-auditor', field: 'ISMS' });
    const before = await h.snapshot(body.id);
    for (const [method, path, payload] of [
      ['GET', `${BASE}/${body.id}`, undefined],
      ['PUT', `${BASE}/${body.id}`, { applicationType: 'system-auditor', field: 'EMS' }],
      ['POST', `${BASE}/${body.id}/records/work`, { employer: '某公司' }],
      ['POST', `${BASE}/${body.id}/records/from-library`, { items: [{ kind: 'work', libraryRecordId: randomUUID() }] }],
      ['GET', `${BASE}/${randomUUID()}`, undefined],
      ['GET', `${BASE}/not-a-uuid`, undefined],
    ] as const) {
      const res = await h.request<Body>(method, path, { token: other.token, body: payload });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.code, 'CERT_APPLICATION_NOT_FOUND', `${method} ${path}`);
    }
    const list = await h.request<{ applications: unknown[] }>('GET', BASE, { token: other.token });
    assert.deepEqual(list.body.applications, []);
    const institution = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
    assert.equal((await h.request<Body>('GET', `${BASE}/${body.id}`, { token: institution })).body.code, 'COMMON_FORBIDDEN');
    assert.equal((await h.request<Body>('POST', BASE, { token: institution, body: {} })).status, 403);
    const anonymous = await h.request<Body>('GET', `${BASE}/${body.id}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, 'COMMON_UNAUTHENTICATED');
    assert.deepEqual(await h.snapshot(body.id), before, 'nothing changed');
  });

  it('a double create: one open application per type and field; the second is told which one exists', async () => {
    const a = h.applicant();
    const form = { applicationType: 'system-auditor', field: 'FSMS' };
    const [x, y] = await Promise.all([h.create(a, form), h.create(a, form)]);
    assert.deepEqual([x.status, y.status].sort(), [201, 409]);
    const [won, lost] = x.status === 201 ? [x, y] : [y, x];
    assert.equal(lost.body.code, 'CERT_APPLICATION_EXISTS');
    assert.equal(lost.body.field, 'field');
    assert.deepEqual(lost.body.details, { id: won.body.id, businessNo: won.body.businessNo });
    // Changing another draft to the same type and field is refused the same way.
    const other = await h.create(a, { applicationType: 'system-auditor', field: 'EMS' });
    const moved = await h.request<Body>('PUT', `${BASE}/${other.body.id}`, { token: a.token, body: form });
    assert.equal(moved.status, 409);
    assert.equal(moved.body.code, 'CERT_APPLICATION_EXISTS');
    // Another person may apply for the same.
    assert.equal((await h.create(h.applicant(), form)).status, 201);
    // Once the first one is decided, a new one may start.
    await h.dataSource.query(`UPDATE application SET status = 'rejected', stage = 'finished' WHERE id = $1`, [won.body.id]);
    assert.equal((await h.create(a, form)).status, 201);
  });

  it('a create retried with the same Idempotency-Key returns the same draft, even concurrently', async () => {
    const a = h.applicant();
    const key = `create-${randomUUID()}`;
    const results = await Promise.all([1, 2, 3].map(() => h.create(a, {}, { 'idempotency-key': key })));
    assert.deepEqual(results.map((r) => r.status), [201, 201, 201]);
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.equal(new Set(results.map((r) => r.body.businessNo)).size, 1);
    assert.equal(results.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 2);
    const rows: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM application WHERE applicant_id = $1`, [a.id]);
    assert.equal(rows[0]!.n, 1);
    const badKey = await h.create(a, {}, { 'idempotency-key': 'x' });
    assert.equal(badKey.status, 400);
    assert.equal(badKey.body.field, 'Idempotency-Key');
  });

  it('caps the open applications of one person (MAX_OPEN_APPLICATIONS)', async () => {
    const a = h.applicant();
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => h.create(a, {})));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 201, 409, 409]);
    const refused = results.find((r) => r.status === 409)!;
    assert.equal(refused.body.code, 'CERT_TOO_MANY_APPLICATIONS');
    assert.deepEqual(refused.body.details, { limit: 4 });
  });

  it('editing outside rectification: a submitted application refuses every change; returned for rectification, it is editable again', async () => {
    const a = h.applicant();
    const { body } = await h.create(a, { applicationType: 'system-auditor', field: 'OHSMS' });
    const record = await h.request<{ id: string }>('POST', `${BASE}/${body.id}/records/work`, { token: a.token, body: { employer: '某公司' } });
    assert.equal(record.status, 201);
    await h.dataSource.query(`UPDATE application SET status = 'submitted', stage = 'institution-review', submitted_at = now() WHERE id = $1`, [body.id]);
    const before = await h.snapshot(body.id);
    for (const [method, path, payload] of [
      ['PUT', `${BASE}/${body.id}`, { applicationType: 'system-auditor', field: 'EMS' }],
      ['POST', `${BASE}/${body.id}/records/work`, { employer: '另一公司' }],
      ['PUT', `${BASE}/${body.id}/records/work/${record.body.id}`, { employer: '另一公司' }],
      ['DELETE', `${BASE}/${body.id}/records/work/${record.body.id}`, undefined],
      ['POST', `${BASE}/${body.id}/records/from-library`, { items: [{ kind: 'work', libraryRecordId: randomUUID() }] }],
    ] as const) {
      const res = await h.request<Body>(method, path, { token: a.token, body: payload });
      assert.equal(res.status, 409, `${method} ${path}`);
      assert.equal(res.body.code, 'CERT_APPLICATION_LOCKED', `${method} ${path}`);
      assert.deepEqual(res.body.details, { status: 'submitted' });
    }
    assert.deepEqual(await h.snapshot(body.id), before, 'nothing changed');
    const view = await h.view(a, body.id);
    assert.equal(view.body.editable, false);
    assert.equal(view.body.workflowId, `cert-application:${body.id}`);
    await h.dataSource.query(`UPDATE application SET status = 'returned', stage = 'rectification' WHERE id = $1`, [body.id]);
    const edited = await h.request<ApplicationView>('PUT', `${BASE}/${body.id}`, { token: a.token, body: { applicationType: 'system-auditor', field: 'OHSMS', paymentBy: 'institution' } });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.editable, true);
  });

  it('refuses oversized payloads (413) and over-long values (400) without writing', async () => {
    const a = h.applicant();
    const { body } = await h.create(a, {});
    const before = await h.snapshot(body.id);
    const huge = await h.request<Body>('PUT', `${BASE}/${body.id}`, { token: a.token, body: { applicationType: 'system-auditor', specialty: 'x'.repeat(h.config.BODY_LIMIT_BYTES) } });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, 'COMMON_PAYLOAD_TOO_LARGE');
    const hugeCreate = await h.create(a, { specialty: '质'.repeat(h.config.BODY_LIMIT_BYTES) });
    assert.equal(hugeCreate.status, 413);
    const longRecord = await h.request<Body>('POST', `${BASE}/${body.id}/records/professional-work`, { token: a.token, body: { content: '内'.repeat(1001) } });
    assert.equal(longRecord.status, 400);
    assert.equal(longRecord.body.field, 'content');
    assert.deepEqual(await h.snapshot(body.id), before, 'nothing changed');
    const count: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM application WHERE applicant_id = $1`, [a.id]);
    assert.equal(count[0]!.n, 1);
  });

  it('serves the catalogue publicly: types with grades and fields, kinds, payment methods', async () => {
    const res = await h.request<{ applicationTypes: Array<{ code: string; nameZh: string; grades: Array<{ nameZh: string }>; fields: Array<{ code: string }> }>; kinds: Array<{ nameZh: string }> }>(
      'GET',
      '/api/v1/certification/catalogue',
    );
    assert.equal(res.status, 200);
    const system = res.body.applicationTypes.find((t) => t.code === 'system-auditor')!;
    assert.equal(system.nameZh, '体系认证审核员');
    assert.deepEqual(system.grades.map((g) => g.nameZh), ['实习审核员', '审核员', '高级审核员']);
    for (const f of ['QMS', 'EMS', 'OHSMS', 'FSMS', 'ISMS']) assert.ok(system.fields.some((x) => x.code === f), f);
    assert.deepEqual(res.body.kinds.map((k) => k.nameZh), ['新申请', '升级', '其他领域转换']);
  });
});
