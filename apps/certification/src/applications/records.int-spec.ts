import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CertificationHarness, COMPLETE_RECORDS, completeForm, type Applicant, type ApplicationView } from '../testing/certification-harness';

type Body = Record<string, unknown> & { code?: string; field?: string; message?: string; messageZh?: string; details?: Record<string, unknown> };
type RecordBody = Body & { id: string; kind: string; source: string; libraryRecordId: string | null };

const BASE = '/api/v1/certification/applications';

describe('application records: added directly or copied from the basic info library (CE-1, ID-11)', () => {
  let h: CertificationHarness;
  let institutionId: string;
  before(async () => {
    h = await CertificationHarness.start({ MAX_RECORDS_PER_KIND: '3' });
    institutionId = h.identity.institution();
  });
  after(() => h?.stop());

  const draft = async (a: Applicant, form: Record<string, unknown> = {}) => {
    const res = await h.create(a, form);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  };
  const add = (a: Applicant, id: string, kind: string, body: unknown) => h.request<RecordBody>('POST', `${BASE}/${id}/records/${kind}`, { token: a.token, body });
  const copy = (a: Applicant, id: string, items: unknown) => h.request<Body & { records: RecordBody[] }>('POST', `${BASE}/${id}/records/from-library`, { token: a.token, body: { items } });

  it('adds, replaces and removes records of every kind; the view lists them in order', async () => {
    const a = h.applicant();
    const id = await draft(a);
    const ids: Record<string, string> = {};
    for (const [kind, body] of Object.entries(COMPLETE_RECORDS)) {
      const res = await add(a, id, kind, body);
      assert.equal(res.status, 201, `${kind}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.kind, kind);
      assert.equal(res.body.source, 'direct');
      ids[kind] = res.body.id;
    }
    const second = await add(a, id, 'work', { employer: '第二家公司', startDate: '2010-01-01', endDate: '2012-07-31' });
    assert.equal(second.status, 201);
    let view = await h.view(a, id);
    assert.deepEqual(view.body.records.work!.map((r) => r.employer), ['某制造有限公司', '第二家公司']);
    assert.equal(view.body.records.audit![0]!.onSiteDays, 2.5);
    assert.equal(view.body.records.work![1]!.refereePhone, null, 'fields not given are empty');

    const replaced = await h.request<RecordBody>('PUT', `${BASE}/${id}/records/work/${second.body.id}`, { token: a.token, body: { employer: '第二家公司（更名）', startDate: '2010-01-01' } });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.endDate, null, 'PUT replaces the record');
    assert.equal((await h.request('DELETE', `${BASE}/${id}/records/work/${ids.work}`, { token: a.token })).status, 204);
    view = await h.view(a, id);
    assert.deepEqual(view.body.records.work!.map((r) => r.employer), ['第二家公司（更名）']);
    // A record id of another kind or another application is not found.
    for (const [method, path] of [
      ['PUT', `${BASE}/${id}/records/education/${ids.audit}`],
      ['DELETE', `${BASE}/${id}/records/work/${ids.work}`],
      ['DELETE', `${BASE}/${id}/records/work/${randomUUID()}`],
      ['DELETE', `${BASE}/${id}/records/work/nope`],
    ] as const) {
      const res = await h.request<Body>(method, path, { token: a.token, body: method === 'PUT' ? {} : undefined });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.code, 'CERT_RECORD_NOT_FOUND', path);
    }
    const unknownKind = await add(a, id, 'hobbies', {});
    assert.equal(unknownKind.status, 404);
    assert.equal(unknownKind.body.field, 'kind');
  });

  it('refuses malformed records with the field at fault, changing nothing', async () => {
    const a = h.applicant();
    const id = await draft(a);
    const before = await h.snapshot(id);
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['work', { employer: '某公司', startDate: '2020-05-01', endDate: '2019-01-01' }, 'CERT_DATE_ORDER', 'endDate'],
      ['audit', { startDate: '2999-01-01' }, 'CERT_DATE_IN_FUTURE', 'startDate'],
      ['audit', { onSiteDays: 0.3 }, 'COMMON_VALIDATION_FAILED', 'onSiteDays'],
      ['education', { level: 'phd' }, 'COMMON_VALIDATION_FAILED', 'level'],
      ['work', { refereePhone: '911' }, 'COMMON_VALIDATION_FAILED', 'refereePhone'],
      ['work', { employer: '某公司', salary: 10000 }, 'COMMON_UNKNOWN_FIELD', 'salary'],
    ];
    for (const [kind, body, code, field] of cases) {
      const res = await add(a, id, kind, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual([res.body.code, res.body.field], [code, field], JSON.stringify(body));
      assert.ok(res.body.message && res.body.messageZh);
    }
    const array = await h.request<Body>('POST', `${BASE}/${id}/records/work`, { token: a.token, body: [{ employer: 'x' }] });
    assert.equal(array.status, 400);
    assert.deepEqual(await h.snapshot(id), before);
  });

  it('caps the records of one kind (MAX_RECORDS_PER_KIND), also when copying', async () => {
    const a = h.applicant();
    const id = await draft(a);
    for (let i = 0; i < 3; i++) assert.equal((await add(a, id, 'audit', { auditee: `受审核方${i}` })).status, 201);
    const over = await add(a, id, 'audit', { auditee: '第四家' });
    assert.equal(over.status, 409);
    assert.equal(over.body.code, 'CERT_TOO_MANY_RECORDS');
    assert.equal(over.body.field, 'records.audit');
    const library = randomUUID();
    h.identity.records.set(a.id, [{ id: library, kind: 'audit', auditee: '库中受审核方', standard: 'QMS', auditType: 'initial', startDate: '2021-01-01', onSiteDays: 2 }]);
    assert.equal((await copy(a, id, [{ kind: 'audit', libraryRecordId: library }])).body.code, 'CERT_TOO_MANY_RECORDS');
    // Other kinds are not affected.
    assert.equal((await add(a, id, 'work', { employer: '某公司' })).status, 201);
  });

  it('copies ticked library records in one go, with the caller\'s token; the copy is marked and then edited like any record', async () => {
    const a = h.applicant();
    const edu = randomUUID();
    const work = randomUUID();
    const audit = randomUUID();
    h.identity.profiles.set(a.id, {
      verificationStatus: 'verified',
      photoAccepted: true,
      educations: [{ id: edu, school: '北京理工大学', major: '质量管理工程', level: 'bachelor', degree: null, startDate: '2008-09-01', endDate: '2012-07-01' }],
    });
    h.identity.records.set(a.id, [
      { id: work, kind: 'work', employer: '某制造有限公司', position: '质量工程师', startDate: '2012-08-01', updatedAt: new Date().toISOString() },
      { id: audit, kind: 'audit', auditee: '某电子有限公司', standard: 'QMS', auditType: 'surveillance', startDate: '2021-03-01', onSiteDays: 3 },
    ]);
    const id = await draft(a, { applicationType: 'system-auditor' });
    const res = await copy(a, id, [
      { kind: 'education', libraryRecordId: edu },
      { kind: 'work', libraryRecordId: work },
      { kind: 'audit', libraryRecordId: audit },
    ]);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.records.map((r) => [r.kind, r.source, r.libraryRecordId]), [
      ['education', 'library', edu],
      ['work', 'library', work],
      ['audit', 'library', audit],
    ]);
    assert.equal(res.body.records[1]!.employer, '某制造有限公司');
    assert.equal(res.body.records[2]!.endDate, null, 'the library has no end date of audits: left for the applicant');
    assert.ok(h.identity.calls.some((c) => c.path === '/api/v1/identity/me/records' && c.authorization === `Bearer ${a.token}`));
    assert.ok(h.identity.calls.some((c) => c.path === '/api/v1/identity/me' && c.authorization === `Bearer ${a.token}`));

    // The readiness check names what the copies lack.
    const view = await h.view(a, id);
    const missing = view.body.readiness.missing.map((m) => m.field);
    assert.ok(missing.includes('records.work[0].refereeName'), missing.join());
    assert.ok(missing.includes('records.audit[0].endDate'), missing.join());
    assert.equal(view.body.readiness.missing.find((m) => m.field === 'records.work[0].refereePhone')?.recordId, res.body.records[1]!.id);

    // A copy is edited like any record and keeps where it came from.
    const edited = await h.request<RecordBody>('PUT', `${BASE}/${id}/records/work/${res.body.records[1]!.id}`, {
      token: a.token,
      body: { ...COMPLETE_RECORDS.work, employer: '某制造有限公司' },
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.libraryRecordId, work);
    // Later changes of the library do not reach the copy.
    h.identity.records.set(a.id, [{ id: work, kind: 'work', employer: '改名后的公司', position: 'x', startDate: '2012-08-01' }]);
    assert.equal((await h.view(a, id)).body.records.work![0]!.employer, '某制造有限公司');
  });

  it('refuses library records the caller does not have, of another kind, twice, or already copied — all or nothing', async () => {
    const a = h.applicant();
    const mine = randomUUID();
    const mine2 = randomUUID();
    const someoneElses = randomUUID();
    h.identity.records.set(a.id, [
      { id: mine, kind: 'work', employer: '甲公司', position: '工程师', startDate: '2015-01-01' },
      { id: mine2, kind: 'professional-work', organisation: '乙机构', field: '质量', startDate: '2016-01-01', content: '内审' },
    ]);
    h.identity.records.set(randomUUID(), [{ id: someoneElses, kind: 'work', employer: '别人的公司', position: 'x', startDate: '2015-01-01' }]);
    const id = await draft(a);
    const before = await h.snapshot(id);
    const notMine = await copy(a, id, [{ kind: 'work', libraryRecordId: mine }, { kind: 'work', libraryRecordId: someoneElses }]);
    assert.equal(notMine.status, 404);
    assert.deepEqual([notMine.body.code, notMine.body.field], ['CERT_LIBRARY_RECORD_NOT_FOUND', 'items[1].libraryRecordId']);
    const wrongKind = await copy(a, id, [{ kind: 'audit', libraryRecordId: mine }]);
    assert.deepEqual([wrongKind.status, wrongKind.body.code], [404, 'CERT_LIBRARY_RECORD_NOT_FOUND']);
    const twice = await copy(a, id, [{ kind: 'work', libraryRecordId: mine }, { kind: 'work', libraryRecordId: mine.toUpperCase() }]);
    assert.deepEqual([twice.status, twice.body.code, twice.body.field], [409, 'CERT_RECORD_ALREADY_COPIED', 'items[1].libraryRecordId']);
    for (const items of [[], Array.from({ length: 51 }, () => ({ kind: 'work', libraryRecordId: randomUUID() })), [{ kind: 'work', libraryRecordId: 'x' }], [{ kind: 'pets', libraryRecordId: mine }]]) {
      const res = await copy(a, id, items);
      assert.equal(res.status, 400, JSON.stringify(items).slice(0, 80));
      assert.equal(res.body.code, 'COMMON_VALIDATION_FAILED');
    }
    assert.deepEqual(await h.snapshot(id), before, 'nothing copied');

    assert.equal((await copy(a, id, [{ kind: 'work', libraryRecordId: mine }])).status, 201);
    const again = await copy(a, id, [{ kind: 'professional-work', libraryRecordId: mine2 }, { kind: 'work', libraryRecordId: mine }]);
    assert.deepEqual([again.status, again.body.code, again.body.field], [409, 'CERT_RECORD_ALREADY_COPIED', 'items[1].libraryRecordId']);
    const view = await h.view(a, id);
    assert.equal(view.body.records['professional-work']!.length, 0, 'all or nothing');
    // Two concurrent copies of the same record: one wins.
    const [x, y] = await Promise.all([copy(a, id, [{ kind: 'professional-work', libraryRecordId: mine2 }]), copy(a, id, [{ kind: 'professional-work', libraryRecordId: mine2 }])]);
    assert.deepEqual([x.status, y.status].sort(), [201, 409]);
  });

  it('answers 503 and changes nothing while identity is unreachable', async () => {
    const a = h.applicant();
    const id = await draft(a);
    const before = await h.snapshot(id);
    h.identity.down = true;
    try {
      const res = await copy(a, id, [{ kind: 'work', libraryRecordId: randomUUID() }]);
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'CERT_IDENTITY_UNAVAILABLE');
      const form = await h.request<Body>('PUT', `${BASE}/${id}`, { token: a.token, body: completeForm(institutionId) });
      assert.equal(form.body.code, 'CERT_IDENTITY_UNAVAILABLE');
      const conditions = await h.request<Body>('GET', '/api/v1/certification/conditions', { token: a.token });
      assert.equal(conditions.status, 503);
    } finally {
      h.identity.down = false;
    }
    assert.deepEqual(await h.snapshot(id), before);
  });

  it('a complete application is ready to submit', async () => {
    const a = h.applicant();
    const id = await draft(a, completeForm(institutionId));
    for (const kind of ['education', 'work', 'professional-work'] as const) assert.equal((await add(a, id, kind, COMPLETE_RECORDS[kind])).status, 201);
    const view = await h.view(a, id);
    assert.deepEqual(view.body.readiness, { ready: true, missing: [] });
    // Auditor grade needs audits too.
    const upgraded = await h.request<ApplicationView>('PUT', `${BASE}/${id}`, { token: a.token, body: { ...completeForm(institutionId), grade: 'auditor', kind: 'upgrade' } });
    assert.deepEqual(upgraded.body.readiness.missing.map((m) => m.field), ['records.audit']);
  });

  it('condition self-check: what my profile and library meet, miss, or leave to the reviewers', async () => {
    const a = h.applicant();
    h.identity.profiles.set(a.id, { verificationStatus: 'verified', photoAccepted: false, educations: [{ id: randomUUID(), level: 'master', school: '某大学' }] });
    h.identity.records.set(a.id, [
      { id: randomUUID(), kind: 'work', employer: '甲', position: 'x', startDate: '2010-01-01' },
      { id: randomUUID(), kind: 'professional-work', organisation: '乙', field: '质量', startDate: '2015-01-01', endDate: '2016-01-01', content: 'x' },
      ...Array.from({ length: 4 }, () => ({ id: randomUUID(), kind: 'audit', auditee: '丙', standard: 'QMS', auditType: 'initial', startDate: '2020-01-01', onSiteDays: 5 })),
    ]);
    const res = await h.request<{ eligible: boolean; conditions: Array<{ code: string; status: string; messageZh: string; message: string }> }>(
      'GET',
      '/api/v1/certification/conditions?applicationType=system-auditor&grade=auditor&field=QMS&kind=upgrade',
      { token: a.token },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.fromEntries(res.body.conditions.map((c) => [c.code, c.status])), {
      'identity-verified': 'met',
      'photo-accepted': 'missing',
      education: 'met',
      'work-experience': 'met',
      'professional-work-experience': 'missing',
      'audit-experience': 'met',
      'current-certificate': 'manual',
    });
    assert.equal(res.body.eligible, false);
    for (const c of res.body.conditions) assert.ok(c.message && /[\u4e00-\u9fff]/.test(c.messageZh), c.code);
    const bad = await h.request<Body>('GET', '/api/v1/certification/conditions?applicationType=service-auditor&field=QMS', { token: a.token });
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'CERT_FIELD_UNKNOWN', 'field']);
    const unknown = await h.request<Body>('GET', '/api/v1/certification/conditions?grade=trainee&color=blue', { token: a.token });
    assert.deepEqual([unknown.status, unknown.body.code], [400, 'COMMON_UNKNOWN_FIELD']);
  });
});
