import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { completeTaskUpdate } from '@certhub/human-tasks';
import { FakeWorkbench } from '@certhub/testing';
import { reviewCaseWorkflowId, type ReviewCaseKind } from '@certhub/workflows-certification';
import { CertificationHarness, type Applicant } from '../testing/certification-harness';
import { startFakeInbox } from '../testing/inbox';

type Body = Record<string, unknown> & { code?: string; field?: string; message?: string; messageZh?: string; details?: Record<string, unknown> };
interface CaseView {
  id: string;
  kind: string;
  businessNo: string;
  status: string;
  result: string | null;
  stage: string;
  stageName: string;
  round: number;
  form: Record<string, unknown>;
  institutionId: string | null;
  targetInstitutionId: string | null;
  history: Array<{ action: string; stage: string; round: number; actorId: string | null; opinion: string | null; outcome: string | null; toStatus: string; details: Record<string, unknown> | null }>;
  code?: string;
}

const DAY = 24 * 60 * 60 * 1000;
const CASES = '/api/v1/certification/cases';

/**
 * The review cases of CE-4 … CE-9 against the real PostgreSQL and the real Temporal dev server:
 * the service runs its worker (the prebuilt bundle, the real activities), the workbench is an
 * in-memory one on its task queue, and reviewers' decisions arrive as the workbench sends them.
 */
describe('review cases through the real Temporal dev server (CE-4 … CE-9)', () => {
  let h: CertificationHarness;
  let institutionA: string;
  let institutionB: string;
  let temporal: Client;
  let workbench: FakeWorkbench;
  let inbox: Awaited<ReturnType<typeof startFakeInbox>>;

  before(async () => {
    h = await CertificationHarness.start();
    institutionA = h.identity.institution('甲认证中心（测试）');
    institutionB = h.identity.institution('乙认证中心（测试）');
    temporal = h.app.get(Client);
    inbox = await startFakeInbox();
    workbench = inbox.workbench;
  });
  after(async () => {
    await inbox?.stop();
    await h?.stop();
  });

  /** A registration certificate of the person (as CE-3 issues it), valid until `validUntil`. */
  const certificate = (a: Applicant, validUntil: Date, institutionId: string | null = institutionA, status = 'valid') =>
    h.certificate(a, { validUntil, institutionId, institutionName: institutionId === institutionA ? '甲认证中心（测试）' : '乙认证中心（测试）', issuedYearsAgo: 3, status });

  const post = (path: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    h.request<Body & { id: string; businessNo: string; workflowId: string }>('POST', `/api/v1/certification/${path}`, { token, body, headers });
  const view = async (token: string, id: string) => (await h.request<CaseView>('GET', `${CASES}/${id}`, { token })).body;
  const staff = () => h.token({ sub: randomUUID(), accountType: 'staff', roles: ['staff'] });

  async function decide(kind: ReviewCaseKind, id: string, stage: string, round: number, outcome: string, opinion: string | null, actorId: string, data: Record<string, unknown> | null = null) {
    const task = await workbench.openTask(`${reviewCaseWorkflowId(kind, id)}:${stage}:${round}`, 30_000);
    await temporal.workflow.getHandle(reviewCaseWorkflowId(kind, id)).executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, outcome, opinion, actorId, data)] });
    return task;
  }

  async function waitFor(token: string, id: string, pick: (v: CaseView) => boolean): Promise<CaseView> {
    for (let i = 0; i < 400; i++) {
      const v = await view(token, id);
      if (pick(v)) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`case ${id} never got there`);
  }

  async function rowCounts(personId: string) {
    const [r] = await h.dataSource.query(
      `SELECT (SELECT count(*)::int FROM review_case WHERE applicant_id = $1) AS cases,
              (SELECT count(*)::int FROM outbox_message o JOIN review_case c ON o.message_key = c.id::text WHERE c.applicant_id = $1) AS events`,
      [personId],
    );
    return r as { cases: number; events: number };
  }

  async function events(caseId: string) {
    const rows: Array<{ payload: { data: { milestone: string | null; stage: string; status: string; result: string | null; institutionId: string | null; caseType: string; dueAt: string | null; opinion: string | null } } }> = await h.dataSource.query(
      `SELECT payload FROM outbox_message WHERE message_key = $1 AND topic = 'certification.case.changed.v1' ORDER BY id`,
      [caseId],
    );
    return rows.map((r) => r.payload.data);
  }

  const ANNUAL = (certificateId: string) => ({
    certificateId,
    year: new Date().getUTCFullYear(),
    complaintsOnRecord: false,
    continuingEducationDone: true,
    personalQualitiesKept: true,
    codeOfConductKept: true,
    developmentFrom: '2026-01-01',
    developmentTo: '2026-06-30',
    developmentContent: '参加 ISO 9001 审核员继续教育 16 学时',
  });

  it('CE-4 annual confirmation: refused when no certificate is due (and says so); a due one goes institution → association and gains a year', async () => {
    const a = h.applicant();
    const none = await h.request<{ due: unknown[]; message: { zh: string } | null }>('GET', '/api/v1/certification/annual-confirmations/due', { token: a.token });
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.due, []);
    assert.match(none.body.message!.zh, /没有需要进行年度确认的证书/);
    const refused = await post('annual-confirmations', a.token, ANNUAL(randomUUID()));
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'CERT_NO_CONFIRMATION_DUE');
    assert.ok(typeof refused.body.messageZh === 'string');

    const far = await certificate(a, new Date(Date.now() + 400 * DAY));
    const notDue = await post('annual-confirmations', a.token, ANNUAL(far.id));
    assert.equal(notDue.status, 409, 'a certificate far from expiry is not due');
    const due = await certificate(a, new Date(Date.now() + 30 * DAY));
    const tooFar = await post('annual-confirmations', a.token, ANNUAL(far.id));
    assert.deepEqual([tooFar.status, tooFar.body.code, tooFar.body.field], [409, 'CERT_NO_CONFIRMATION_DUE', 'certificateId']);
    const other = h.applicant();
    const othersCert = await certificate(other, new Date(Date.now() + 10 * DAY));
    const notMine = await post('annual-confirmations', a.token, ANNUAL(othersCert.id));
    assert.deepEqual([notMine.status, notMine.body.code], [404, 'CERT_CERTIFICATE_NOT_FOUND']);
    const badYear = await post('annual-confirmations', a.token, { ...ANNUAL(due.id), year: 2019 });
    assert.deepEqual([badYear.status, badYear.body.field], [400, 'year']);
    const unknownField = await post('annual-confirmations', a.token, { ...ANNUAL(due.id), idNumber: '110101199001011234' });
    assert.equal(unknownField.status, 400);
    assert.deepEqual(await rowCounts(a.id), { cases: 0, events: 0 }, 'refusals wrote nothing');

    const opened = await post('annual-confirmations', a.token, ANNUAL(due.id), { 'idempotency-key': `annual-${a.id}` });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const replay = await post('annual-confirmations', a.token, ANNUAL(due.id), { 'idempotency-key': `annual-${a.id}` });
    assert.deepEqual([replay.status, replay.body.id, replay.headers['idempotent-replayed']], [201, opened.body.id, 'true']);
    const second = await post('annual-confirmations', a.token, ANNUAL(due.id));
    assert.deepEqual([second.status, second.body.code], [409, 'CERT_CASE_EXISTS']);
    const id = opened.body.id;

    const review = await decide('annual-confirmation', id, 'institution-review', 1, 'approve', '情况属实', 'inst-user-1');
    assert.deepEqual(review.input.candidate, { role: 'institution', institutionId: institutionA });
    assert.equal(review.input.type, 'annual-confirmation.institution-review');
    await decide('annual-confirmation', id, 'association-approval', 1, 'approve', '同意', randomUUID());
    const done = await waitFor(a.token, id, (v) => v.status === 'decided');
    assert.equal(done.result, 'approved');
    assert.deepEqual(done.history.map((x) => x.action), ['submitted', 'institution-review:approve', 'decided']);
    assert.equal(done.history[1]!.opinion, '情况属实');
    const [cert] = await h.dataSource.query(`SELECT valid_until, confirmed_year, last_confirmed_at FROM certificate WHERE id = $1`, [due.id]);
    const gained = new Date(cert.valid_until).getTime() - Date.now();
    assert.ok(gained > 390 * DAY && gained < 400 * DAY, 'a year longer than the 30 days it had left');
    assert.equal(cert.confirmed_year, new Date().getUTCFullYear());
    const milestones = (await events(id)).map((e) => [e.caseType, e.milestone, e.status]);
    assert.deepEqual(milestones[0], ['annual-confirmation', 'submitted', 'active']);
    assert.deepEqual(milestones.at(-1), ['annual-confirmation', 'decided', 'done']);
    assert.equal((await events(id))[0]!.institutionId, institutionA, 'the event names the institution reviewing it');
    // Decided: it cannot be resubmitted or withdrawn.
    const late = await h.request<Body>('PUT', `${CASES}/${id}`, { token: a.token, body: ANNUAL(due.id) });
    assert.deepEqual([late.status, late.body.code], [409, 'CERT_CASE_NOT_RETURNED']);
    const wd = await h.request<Body>('POST', `${CASES}/${id}/withdraw`, { token: a.token });
    assert.deepEqual([wd.status, wd.body.code], [409, 'CERT_CASE_FINISHED']);
  });

  it('CE-5 transfer: only certified persons, not to the current institution, a supplement for "other"; returned by the institution left, edited, then through both institutions and the association — the certificates move', async () => {
    const a = h.applicant();
    const form = { toInstitutionId: institutionB, transferType: 'certification', reason: 'job-change' };
    const uncertified = await post('transfers', a.token, form);
    assert.deepEqual([uncertified.status, uncertified.body.code], [403, 'CERT_NOT_CERTIFIED']);
    const cert = await certificate(a, new Date(Date.now() + 500 * DAY));
    const same = await post('transfers', a.token, { ...form, toInstitutionId: institutionA });
    assert.deepEqual([same.status, same.body.code, same.body.field], [400, 'CERT_TRANSFER_SAME_INSTITUTION', 'toInstitutionId']);
    const noSupplement = await post('transfers', a.token, { ...form, reason: 'other' });
    assert.deepEqual([noSupplement.status, noSupplement.body.code, noSupplement.body.field], [400, 'CERT_SUPPLEMENT_REQUIRED', 'supplement']);
    const unknown = await post('transfers', a.token, { ...form, toInstitutionId: randomUUID() });
    assert.deepEqual([unknown.status, unknown.body.code], [400, 'CERT_INSTITUTION_UNKNOWN']);
    assert.deepEqual(await rowCounts(a.id), { cases: 0, events: 0 });

    const opened = await post('transfers', a.token, { ...form, reason: 'other', supplement: '家庭搬迁' });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const id = opened.body.id;
    const submitted = await view(a.token, id);
    assert.deepEqual([submitted.form.archiveNo, submitted.form.toInstitutionName, submitted.targetInstitutionId], [cert.no, '乙认证中心（测试）', institutionB]);
    assert.equal(submitted.form.reasonFileId, null, 'the reason file is optional');
    // Not returned: it cannot be edited, resubmitted or withdrawn.
    const early = await h.request<Body>('PUT', `${CASES}/${id}`, { token: a.token, body: form });
    assert.deepEqual([early.status, early.body.code], [409, 'CERT_CASE_NOT_RETURNED']);
    const earlyWithdraw = await h.request<Body>('POST', `${CASES}/${id}/withdraw`, { token: a.token });
    assert.deepEqual([earlyWithdraw.status, earlyWithdraw.body.code], [409, 'CERT_CASE_NOT_WITHDRAWABLE']);

    await decide('institution-transfer', id, 'transfer-out-review', 1, 'return', '请说明具体原因', 'inst-user-a');
    const returned = await waitFor(a.token, id, (v) => v.status === 'returned');
    assert.deepEqual([returned.stage, returned.round], ['rectification', 2]);
    // Someone else's case is not found for them, and is not changed.
    const stranger = h.applicant();
    assert.equal((await h.request<Body>('PUT', `${CASES}/${id}`, { token: stranger.token, body: form })).status, 404);
    assert.equal((await h.request<Body>('GET', `${CASES}/${id}`, { token: stranger.token })).status, 404);
    const resubmitted = await h.request<Body & { stage: string; round: number }>('PUT', `${CASES}/${id}`, { token: a.token, body: form });
    assert.equal(resubmitted.status, 200, JSON.stringify(resubmitted.body));
    assert.deepEqual([resubmitted.body.stage, resubmitted.body.round], ['transfer-out-review', 2]);
    const twice = await h.request<Body>('PUT', `${CASES}/${id}`, { token: a.token, body: form });
    assert.deepEqual([twice.status, twice.body.code], [409, 'CERT_CASE_NOT_RETURNED'], 'a double resubmit changes nothing');

    await decide('institution-transfer', id, 'transfer-out-review', 2, 'approve', '同意转出', 'inst-user-a');
    const transferIn = await decide('institution-transfer', id, 'transfer-in-review', 2, 'approve', '同意接收', 'inst-user-b');
    assert.deepEqual(transferIn.input.candidate, { role: 'institution', institutionId: institutionB });
    // While the institution joined reviews it, the case event names that institution, and its users may read the case.
    assert.ok((await events(id)).some((e) => e.stage === 'transfer-in-review' && e.institutionId === institutionB));
    const institutionUser = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId: institutionB });
    assert.equal((await h.request('GET', `${CASES}/${id}`, { token: institutionUser })).status, 200);
    await decide('institution-transfer', id, 'association-review', 2, 'approve', null, randomUUID());
    await decide('institution-transfer', id, 'association-decision', 2, 'approve', '准予转换', randomUUID());
    const done = await waitFor(a.token, id, (v) => v.status === 'decided');
    assert.equal(done.result, 'approved');
    assert.deepEqual(
      done.history.map((x) => [x.action, x.round]),
      [
        ['submitted', 1],
        ['returned', 1],
        ['resubmitted', 2],
        ['transfer-out-review:approve', 2],
        ['transfer-in-review:approve', 2],
        ['association-review:approve', 2],
        ['decided', 2],
      ],
    );
    const [moved] = await h.dataSource.query(`SELECT institution_id, institution_name FROM certificate WHERE id = $1`, [cert.id]);
    assert.deepEqual([moved.institution_id, moved.institution_name], [institutionB, '乙认证中心（测试）']);
    const [announced] = await h.dataSource.query(`SELECT payload FROM outbox_message WHERE topic = 'certification.person.transferred.v1' AND message_key = $1`, [a.id]);
    assert.deepEqual([announced.payload.data.toInstitutionId, announced.payload.data.fromInstitutionId, announced.payload.data.certificateIds], [institutionB, institutionA, [cert.id]]);
    assert.ok(!JSON.stringify(announced.payload).includes('张伟'), 'no personal data in the event');
  });

  it('CE-6 appeal by an institution user: expert assigned by the admin; only that expert (and the association) sees it; the opinion is fed back', async () => {
    const instUser = { id: randomUUID(), token: '' };
    instUser.token = h.token({ sub: instUser.id, accountType: 'institution', roles: ['institution'], institutionId: institutionA });
    const empty = await post('appeals', instUser.token, { subject: '', content: '理由' });
    assert.deepEqual([empty.status, empty.body.field], [400, 'subject']);
    const opened = await post('appeals', instUser.token, { subject: '对注册决定的申诉', relatedBusinessNo: '20261124300001', content: '审核经历已补充证明' });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const id = opened.body.id;
    const expert = randomUUID();
    await decide('appeal', id, 'expert-assignment', 1, 'assign', null, randomUUID(), { expertId: expert });
    const evaluation = await decide('appeal', id, 'expert-evaluation', 1, 'not-supported', '证据不足', expert);
    assert.equal(evaluation.input.assigneeId, expert);
    const assignedExpert = h.token({ sub: expert, roles: ['personal', 'expert'] });
    const otherExpert = h.token({ sub: randomUUID(), roles: ['personal', 'expert'] });
    assert.equal((await h.request('GET', `${CASES}/${id}`, { token: assignedExpert })).status, 200);
    assert.equal((await h.request('GET', `${CASES}/${id}`, { token: otherExpert })).status, 404, 'an expert not assigned does not see it');
    assert.equal((await h.request('GET', `${CASES}/${id}`, { token: staff() })).status, 200);
    await decide('appeal', id, 'association-opinion', 1, 'dismiss', '维持原决定', randomUUID());
    const done = await waitFor(instUser.token, id, (v) => v.status === 'decided');
    assert.equal(done.result, 'dismissed');
    const last = (await events(id)).at(-1)!;
    assert.deepEqual([last.milestone, last.result, last.opinion], ['decided', 'dismissed', '维持原决定']);
    assert.ok((await events(id))[0]!.dueAt !== null, '90 working days deadline');
  });

  it('CE-7 complaint: not accepted ends it with the reason; a personal user\'s complaint is accepted, handled and fed back', async () => {
    const a = h.applicant();
    const form = { respondent: '某认证公司', subject: '审核走过场', content: '现场审核仅半天' };
    const first = await post('complaints', a.token, form);
    await decide('complaint', first.body.id, 'association-acceptance', 1, 'not-accept', '不属于受理范围', randomUUID());
    assert.equal((await waitFor(a.token, first.body.id, (v) => v.status === 'decided')).result, 'not-accepted');
    const second = await post('complaints', a.token, form);
    await decide('complaint', second.body.id, 'association-acceptance', 1, 'accept', null, randomUUID());
    await decide('complaint', second.body.id, 'handling', 1, 'handled', '已责令整改', randomUUID());
    const done = await waitFor(a.token, second.body.id, (v) => v.status === 'decided');
    assert.deepEqual([done.result, done.history.at(-1)!.opinion], ['handled', '已责令整改']);
  });

  it('CE-8 cancellation: the certificate is cancelled and the public query says so; expert application: an expert is refused, a person is appointed', async () => {
    const a = h.applicant();
    const cert = await certificate(a, new Date(Date.now() + 500 * DAY));
    const query = () => h.request<Body & { state: string; holderName: string }>('POST', '/api/v1/certification/certificates/query', { body: { certificateNo: cert.no, name: '张 伟' } });
    const before = await query();
    assert.deepEqual([before.status, before.body.state, before.body.holderName], [200, 'valid', '张伟']);
    const wrongName = await h.request<Body>('POST', '/api/v1/certification/certificates/query', { body: { certificateNo: cert.no, name: '李四' } });
    assert.deepEqual([wrongName.status, wrongName.body.code], [404, 'CERT_CERTIFICATE_NOT_FOUND'], 'a wrong name answers like an unknown number');
    const noName = await h.request<Body>('POST', '/api/v1/certification/certificates/query', { body: { certificateNo: cert.no } });
    assert.deepEqual([noName.status, noName.body.field], [400, 'name']);

    const opened = await post('cancellations', a.token, { certificateId: cert.id, reason: '不再从事认证工作' });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    await decide('certificate-cancellation', opened.body.id, 'association-review', 1, 'approve', '同意注销', randomUUID());
    await waitFor(a.token, opened.body.id, (v) => v.status === 'decided');
    assert.equal((await query()).body.state, 'cancelled');
    const [cancelled] = await h.dataSource.query(`SELECT payload FROM outbox_message WHERE topic = 'certification.certificate.cancelled.v1' AND message_key = $1`, [a.id]);
    assert.deepEqual([cancelled.payload.data.certificateId, cancelled.payload.data.stillCertified], [cert.id, false]);
    const again = await post('cancellations', a.token, { certificateId: cert.id, reason: '再次' });
    assert.deepEqual([again.status, again.body.code], [409, 'CERT_CERTIFICATE_NOT_VALID']);
    const mine = await h.request<Array<{ id: string; state: string }>>('GET', '/api/v1/certification/certificates', { token: a.token });
    assert.equal(mine.body.find((c) => c.id === cert.id)!.state, 'cancelled');

    const expertToken = h.token({ sub: randomUUID(), roles: ['personal', 'expert'] });
    const already = await post('expert-applications', expertToken, { fields: ['QMS'], expertise: '十年审核经历' });
    assert.deepEqual([already.status, already.body.code], [409, 'CERT_ALREADY_EXPERT']);
    const badField = await post('expert-applications', a.token, { fields: ['XYZ'], expertise: '十年审核经历' });
    assert.deepEqual([badField.status, badField.body.field], [400, 'fields']);
    const expertApp = await post('expert-applications', a.token, { fields: ['QMS', 'EMS', 'QMS'], expertise: '十年审核经历' });
    assert.equal(expertApp.status, 201);
    await decide('expert-application', expertApp.body.id, 'association-review', 1, 'approve', null, randomUUID());
    await waitFor(a.token, expertApp.body.id, (v) => v.status === 'decided');
    const [appointed] = await h.dataSource.query(`SELECT payload FROM outbox_message WHERE topic = 'certification.expert.appointed.v1' AND message_key = $1`, [a.id]);
    assert.deepEqual(appointed.payload.data.fields, ['QMS', 'EMS']);
  });

  it('withdraw: only while returned; the workflow ends; withdrawing again answers the same', async () => {
    const a = h.applicant();
    const opened = await post('expert-applications', a.token, { fields: ['ISMS'], expertise: '信息安全审核' });
    const id = opened.body.id;
    await decide('expert-application', id, 'association-review', 1, 'return', '请补充评价经历', randomUUID());
    await waitFor(a.token, id, (v) => v.status === 'returned');
    const first = await h.request<Body & { status: string }>('POST', `${CASES}/${id}/withdraw`, { token: a.token });
    assert.deepEqual([first.status, first.body.status], [200, 'withdrawn']);
    const second = await h.request<Body & { status: string }>('POST', `${CASES}/${id}/withdraw`, { token: a.token });
    assert.deepEqual([second.status, second.body.status], [200, 'withdrawn']);
    const handle = temporal.workflow.getHandle(reviewCaseWorkflowId('expert-application', id));
    const result = await handle.result();
    assert.equal((result as { result: string }).result, 'withdrawn');
    const v = await view(a.token, id);
    assert.deepEqual([v.status, v.result], ['withdrawn', 'withdrawn']);
    assert.deepEqual(v.history.map((x) => x.action), ['submitted', 'returned', 'withdrawn'], 'recorded once, by the service');
    assert.equal((await events(id)).filter((e) => e.milestone === 'withdrawn').length, 1, 'one message');
    // A new application may be opened now that the old one is withdrawn.
    assert.equal((await post('expert-applications', a.token, { fields: ['ISMS'], expertise: '信息安全审核' })).status, 201);
  });

  it('a personal-only kind is refused to an institution user; unauthenticated calls are refused', async () => {
    const inst = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId: institutionA });
    assert.equal((await post('transfers', inst, { toInstitutionId: institutionB, transferType: 'certification', reason: 'job-change' })).status, 403);
    assert.equal((await post('complaints', undefined, { respondent: 'x', subject: 'y', content: 'z' })).status, 401);
    assert.equal((await h.request('GET', `${CASES}/not-a-uuid`, { token: h.applicant().token })).status, 404);
  });
});
