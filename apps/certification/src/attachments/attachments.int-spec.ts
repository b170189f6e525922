import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { completeTaskUpdate } from '@certhub/human-tasks';
import { FakeWorkbench } from '@certhub/testing';
import { reviewCaseWorkflowId } from '@certhub/workflows-certification';
import { CertificationConfig } from '../certification.config';
import { CertificationHarness, type Applicant } from '../testing/certification-harness';
import { startFakeInbox } from '../testing/inbox';
import { AttachmentService } from './attachment.service';

type Body = Record<string, unknown> & { code?: string; field?: string; message?: string; messageZh?: string; details?: Record<string, unknown> };
interface CaseView {
  id: string;
  status: string;
  stage: string;
  round: number;
  form: Record<string, unknown>;
  attachments: Array<{ field: string; round: number; id: string; contentType: string; bytes: number; sha256: string }>;
}

const DAY = 24 * 60 * 60 * 1000;
const FILES = '/api/v1/certification/attachments';
const CASES = '/api/v1/certification/cases';
const MAX_BYTES = 64 * 1024;
const PER_DAY = 6;

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 3), Buffer.from([0xff, 0xd9])]);

/**
 * Case attachments and the transfer's reason file (CE-5 转会理由文件) against the real PostgreSQL
 * and the real Temporal dev server (the service's worker, an in-memory workbench on its queue):
 * uploads checked by content, stored as uploaded, named in the transfer form, read by the case's
 * readers only.
 */
describe('case attachments: the transfer reason file (CE-5 转会理由文件)', () => {
  let h: CertificationHarness;
  let institutionA: string;
  let institutionB: string;
  let temporal: Client;
  let workbench: FakeWorkbench;
  let inbox: Awaited<ReturnType<typeof startFakeInbox>>;

  before(async () => {
    h = await CertificationHarness.start({ ATTACHMENT_MAX_BYTES: String(MAX_BYTES), ATTACHMENTS_PER_DAY: String(PER_DAY) });
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

  const certificate = (a: Applicant) =>
    h.certificate(a, { validUntil: new Date(Date.now() + 500 * DAY), institutionId: institutionA, institutionName: '甲认证中心（测试）', issuedYearsAgo: 1 });

  const read = (token: string, id: string) => h.request<Body>('GET', `${FILES}/${id}`, { token });
  const view = async (token: string, id: string) => (await h.request<CaseView>('GET', `${CASES}/${id}`, { token })).body;
  const transfer = (token: string, body: unknown) => h.request<Body & { id: string }>('POST', '/api/v1/certification/transfers', { token, body });
  const institutionUser = (institutionId: string) => h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
  const staff = () => h.token({ sub: randomUUID(), accountType: 'staff', roles: ['staff'] });

  async function stored(ownerId: string) {
    const [r] = await h.dataSource.query(`SELECT count(*)::int AS n FROM attachment WHERE owner_id = $1`, [ownerId]);
    return (r as { n: number }).n;
  }

  async function waitFor(token: string, id: string, pick: (v: CaseView) => boolean): Promise<CaseView> {
    for (let i = 0; i < 400; i++) {
      const v = await view(token, id);
      if (pick(v)) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`case ${id} never got there`);
  }

  function assertRefusal(res: { status: number; body: Body }, status: number, code: string, field?: string) {
    assert.deepEqual([res.status, res.body.code, res.body.field], [status, code, field], JSON.stringify(res.body));
    assert.ok(typeof res.body.message === 'string' && res.body.message.length > 0, 'an English message');
    assert.ok(typeof res.body.messageZh === 'string' && /[\u4e00-\u9fff]/.test(res.body.messageZh), 'a Chinese message');
  }

  it('uploads JPEG, PNG and PDF and answers the id; the uploader reads the same bytes back; a replay with the same X-Request-Id answers the same file', async () => {
    const a = h.applicant();
    const ids: string[] = [];
    for (const [file, type] of [
      [JPEG, 'image/jpeg'],
      [PNG, 'image/png'],
      [PDF, 'application/pdf; charset=binary'],
    ] as const) {
      const res = await h.upload(a.token, file, type);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ['bytes', 'contentType', 'id', 'sha256', 'uploadedAt']);
      assert.deepEqual([res.body.contentType, res.body.bytes, res.body.sha256], [type.split(';')[0], file.length, createHash('sha256').update(file).digest('hex')]);
      const back = await read(a.token, res.body.id);
      assert.equal(back.status, 200);
      assert.ok(back.raw.equals(file), 'the bytes as uploaded');
      assert.equal(back.headers['content-type'], type.split(';')[0]);
      assert.equal(back.headers['x-content-type-options'], 'nosniff');
      assert.equal(back.headers['cache-control'], 'private, no-store');
      ids.push(res.body.id);
    }
    const first = await h.upload(a.token, PDF, 'application/pdf', { 'x-request-id': `reason-file-${a.id}` });
    const replay = await h.upload(a.token, PDF, 'application/pdf', { 'x-request-id': `reason-file-${a.id}` });
    assert.deepEqual([replay.status, replay.body.id, replay.headers['idempotent-replayed']], [201, first.body.id, 'true']);
    assert.equal(await stored(a.id), 4, 'the replay stored nothing');
  });

  it('refuses a wrong type, an empty file, a too-large file with stable codes, the field and both messages; nothing is stored', async () => {
    const a = h.applicant();
    const cases: Array<[string, Buffer | string, string, number, string, string | undefined]> = [
      ['a PNG sent as JPEG', PNG, 'image/jpeg', 415, 'CERT_ATTACHMENT_TYPE', 'body'],
      ['text sent as PDF', Buffer.from('hello, this is not a reason file at all'), 'application/pdf', 415, 'CERT_ATTACHMENT_TYPE', 'body'],
      ['a bare PDF signature', Buffer.from('%PDF-'), 'application/pdf', 415, 'CERT_ATTACHMENT_TYPE', 'body'],
      ['bytes of no type', Buffer.alloc(3000, 1), 'application/octet-stream', 415, 'CERT_ATTACHMENT_TYPE', 'body'],
      ['a JSON body', JSON.stringify({ file: 'x' }), 'application/json', 415, 'CERT_ATTACHMENT_TYPE', 'body'],
      ['an empty file', Buffer.alloc(0), 'image/png', 400, 'CERT_ATTACHMENT_EMPTY', 'body'],
      ['one byte over the limit', Buffer.concat([PDF, Buffer.alloc(MAX_BYTES - PDF.length + 1, 0x20)]), 'application/pdf', 413, 'CERT_ATTACHMENT_TOO_LARGE', 'body'],
      ['beyond the HTTP body limit', Buffer.concat([JPEG, Buffer.alloc(MAX_BYTES + 1024 * 1024)]), 'image/jpeg', 413, 'COMMON_PAYLOAD_TOO_LARGE', undefined],
      ['a type not accepted', Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(100)]), 'image/gif', 415, 'COMMON_UNSUPPORTED_MEDIA_TYPE', undefined],
    ];
    for (const [what, file, type, status, code, field] of cases) {
      const res = await h.request<Body>('POST', FILES, { token: a.token, rawBody: file, headers: { 'content-type': type } });
      assert.doesNotThrow(() => assertRefusal(res, status, code, field), what);
      if (code === 'CERT_ATTACHMENT_TOO_LARGE') assert.equal(res.body.details?.maxBytes, MAX_BYTES);
    }
    const exactly = await h.upload(a.token, Buffer.concat([PDF, Buffer.alloc(MAX_BYTES - PDF.length, 0x20)]), 'application/pdf');
    assert.equal(exactly.status, 201, 'exactly the limit is accepted');
    assert.equal(await stored(a.id), 1, 'only the accepted file');

    assert.equal((await h.request<Body>('POST', FILES, { rawBody: PDF, headers: { 'content-type': 'application/pdf' } })).status, 401);
    assertRefusal(await h.request<Body>('POST', FILES, { token: staff(), rawBody: PDF, headers: { 'content-type': 'application/pdf' } }), 403, 'COMMON_FORBIDDEN');
  });

  it(`refuses more than ${PER_DAY} uploads of one person in 24 hours (429), storing nothing more`, async () => {
    const a = h.applicant();
    for (let i = 0; i < PER_DAY; i++) assert.equal((await h.upload(a.token, JPEG, 'image/jpeg')).status, 201);
    assertRefusal(await h.upload(a.token, JPEG, 'image/jpeg'), 429, 'CERT_TOO_MANY_ATTACHMENTS');
    assert.equal(await stored(a.id), PER_DAY);
    assert.equal((await h.upload(h.applicant().token, JPEG, 'image/jpeg')).status, 201, 'another person is not limited by it');
  });

  it('another person\'s file, an unknown id, a malformed id are "not found" to the reader (404 CERT_ATTACHMENT_NOT_FOUND on id)', async () => {
    const owner = h.applicant();
    const other = h.applicant();
    const file = await h.upload(owner.token, PNG, 'image/png');
    assertRefusal(await read(other.token, file.body.id), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'id');
    assertRefusal(await read(institutionUser(institutionA), file.body.id), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'id');
    assertRefusal(await read(h.token({ sub: randomUUID(), roles: ['personal', 'expert'] }), file.body.id), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'id');
    assertRefusal(await read(other.token, randomUUID()), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'id');
    assertRefusal(await read(other.token, 'not-a-uuid'), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'id');
    assert.equal((await h.request<Body>('GET', `${FILES}/${file.body.id}`)).status, 401);
  });

  it('the OpenAPI document has the upload (raw JPEG, PNG or PDF), the download, and reasonFileId on the transfer form', async () => {
    const doc = (await h.request<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>; components: { schemas: Record<string, { properties: Record<string, { format?: string }> }> } }>('GET', '/api/docs-json')).body;
    assert.deepEqual(Object.keys(doc.paths[FILES]!.post!.requestBody!.content).sort(), ['application/pdf', 'image/jpeg', 'image/png']);
    assert.ok(doc.paths[`${FILES}/{id}`]?.get, 'GET /attachments/{id}');
    assert.equal(doc.components.schemas.InstitutionTransferFormDto!.properties.reasonFileId!.format, 'uuid');
  });

  it('CE-5: the form names the applicant\'s own upload only (nothing written otherwise); the case shows it; the case\'s readers read it; a resubmit may name another file and both stay readable', async () => {
    const a = h.applicant();
    const cert = await certificate(a);
    const other = h.applicant();
    const othersFile = await h.upload(other.token, PDF, 'application/pdf');
    const form = { toInstitutionId: institutionB, transferType: 'certification', reason: 'relocation' };
    const countRows = async () =>
      (await h.dataSource.query(
        `SELECT (SELECT count(*)::int FROM review_case WHERE applicant_id = $1) AS cases,
                (SELECT count(*)::int FROM review_case_attachment l JOIN review_case c ON c.id = l.case_id WHERE c.applicant_id = $1) AS links`,
        [a.id],
      ))[0] as { cases: number; links: number };

    assertRefusal(await transfer(a.token, { ...form, reasonFileId: othersFile.body.id }), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'reasonFileId');
    assertRefusal(await transfer(a.token, { ...form, reasonFileId: randomUUID() }), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'reasonFileId');
    const malformed = await transfer(a.token, { ...form, reasonFileId: 'reason.pdf' });
    assert.deepEqual([malformed.status, malformed.body.field], [400, 'reasonFileId']);
    assert.deepEqual(await countRows(), { cases: 0, links: 0 }, 'refusals wrote nothing');

    const reasonFile = await h.upload(a.token, PDF, 'application/pdf');
    const opened = await transfer(a.token, { ...form, reasonFileId: reasonFile.body.id.toUpperCase() });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const id = opened.body.id;
    const submitted = await view(a.token, id);
    assert.equal(submitted.form.reasonFileId, reasonFile.body.id, 'the id as uploaded (lower-case)');
    assert.equal(submitted.form.archiveNo, cert.no);
    assert.deepEqual(
      submitted.attachments.map((f) => [f.field, f.round, f.id, f.contentType, f.bytes]),
      [['reasonFileId', 1, reasonFile.body.id, 'application/pdf', PDF.length]],
    );

    // The readers of the case read the file: applicant, association, both institutions; nobody else.
    for (const [who, token] of [
      ['applicant', a.token],
      ['staff', staff()],
      ['the institution left', institutionUser(institutionA)],
      ['the institution joined', institutionUser(institutionB)],
    ] as const) {
      const res = await read(token, reasonFile.body.id);
      assert.equal(res.status, 200, who);
      assert.ok(res.raw.equals(PDF), who);
    }
    for (const [who, token] of [
      ['another person', other.token],
      ['a third institution', institutionUser(h.identity.institution('丙认证中心（测试）'))],
      ['an expert not assigned', h.token({ sub: randomUUID(), roles: ['personal', 'expert'] })],
    ] as const) {
      const res = await read(token, reasonFile.body.id);
      assert.deepEqual([res.status, res.body.code], [404, 'CERT_ATTACHMENT_NOT_FOUND'], who);
    }
    assertRefusal(await read(a.token, othersFile.body.id), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'id');

    // Returned for rectification: the resubmit is checked the same way, and may name another file.
    const task = await workbench.openTask(`${reviewCaseWorkflowId('institution-transfer', id)}:transfer-out-review:1`, 30_000);
    await temporal.workflow
      .getHandle(reviewCaseWorkflowId('institution-transfer', id))
      .executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'return', '请上传调动证明', 'inst-user-a', null)] });
    const returned = await waitFor(a.token, id, (v) => v.status === 'returned');
    const refused = await h.request<Body>('PUT', `${CASES}/${id}`, { token: a.token, body: { ...form, reasonFileId: othersFile.body.id } });
    assertRefusal(refused, 404, 'CERT_ATTACHMENT_NOT_FOUND', 'reasonFileId');
    const unchanged = await view(a.token, id);
    assert.deepEqual([unchanged.status, unchanged.round, unchanged.form, unchanged.attachments.length], [returned.status, returned.round, returned.form, 1], 'nothing changed');

    const proof = await h.upload(a.token, PNG, 'image/png');
    const resubmitted = await h.request<Body & { round: number }>('PUT', `${CASES}/${id}`, { token: a.token, body: { ...form, reasonFileId: proof.body.id } });
    assert.equal(resubmitted.status, 200, JSON.stringify(resubmitted.body));
    const again = await view(a.token, id);
    assert.equal(again.form.reasonFileId, proof.body.id);
    assert.deepEqual(
      again.attachments.map((f) => [f.field, f.round, f.id]),
      [
        ['reasonFileId', 1, reasonFile.body.id],
        ['reasonFileId', 2, proof.body.id],
      ],
    );
    const joined = institutionUser(institutionB);
    assert.ok((await read(joined, proof.body.id)).raw.equals(PNG));
    assert.equal((await read(joined, reasonFile.body.id)).status, 200, 'the earlier round\'s file stays readable');

    // A resubmit without a file is fine (the file is optional): the form no longer names one.
    const task2 = await workbench.openTask(`${reviewCaseWorkflowId('institution-transfer', id)}:transfer-out-review:2`, 30_000);
    await temporal.workflow
      .getHandle(reviewCaseWorkflowId('institution-transfer', id))
      .executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task2, 'return', '文件不清晰', 'inst-user-a', null)] });
    await waitFor(a.token, id, (v) => v.status === 'returned');
    assert.equal((await h.request<Body>('PUT', `${CASES}/${id}`, { token: a.token, body: form })).status, 200);
    assert.equal((await view(a.token, id)).form.reasonFileId, null);

    // No file content or personal data in the case's events.
    const events: Array<{ payload: unknown }> = await h.dataSource.query(`SELECT payload FROM outbox_message WHERE message_key = $1`, [id]);
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => !JSON.stringify(e.payload).includes('张伟')), 'no personal data in the events');
  });

  it('uploads no form named are deleted once older than ATTACHMENT_UNUSED_DAYS; named, recent and in-use ones are kept; a form naming a file being purged gets 404 and writes nothing', async () => {
    const days = h.app.get(CertificationConfig).ATTACHMENT_UNUSED_DAYS;
    const purge = () => h.app.get(AttachmentService).purgeUnused(days);
    const age = (id: string, daysAgo: number) => h.dataSource.query(`UPDATE attachment SET uploaded_at = now() - make_interval(days => $2) WHERE id = $1`, [id, daysAgo]);
    const exists = async (id: string) => ((await h.dataSource.query(`SELECT 1 FROM attachment WHERE id = $1`, [id])) as unknown[]).length === 1;
    const form = { toInstitutionId: institutionB, transferType: 'certification', reason: 'relocation' };

    const a = h.applicant();
    const unused = (await h.upload(a.token, PDF, 'application/pdf')).body.id;
    const recent = (await h.upload(a.token, PNG, 'image/png')).body.id;
    const inUse = (await h.upload(a.token, JPEG, 'image/jpeg')).body.id;
    const b = h.applicant();
    await certificate(b);
    const named = (await h.upload(b.token, PDF, 'application/pdf')).body.id;
    assert.equal((await transfer(b.token, { ...form, reasonFileId: named })).status, 201);
    await age(unused, days + 1);
    await age(inUse, days + 1);
    await age(named, days + 30);
    await age(recent, days - 1);

    // A form naming `inUse` is being written (its transaction holds the file): the purge passes it by.
    const form1 = h.dataSource.createQueryRunner();
    await form1.connect();
    await form1.startTransaction();
    await form1.query(`SELECT id FROM attachment WHERE id = $1 FOR KEY SHARE`, [inUse]);
    try {
      assert.equal(await purge(), 1, 'only the old file no form names');
    } finally {
      await form1.rollbackTransaction();
      await form1.release();
    }
    assert.deepEqual([await exists(unused), await exists(recent), await exists(inUse), await exists(named)], [false, true, true, true]);
    assertRefusal(await read(a.token, unused), 404, 'CERT_ATTACHMENT_NOT_FOUND', 'id');
    assert.ok((await read(b.token, named)).raw.equals(PDF), 'a file a case names stays, however old');
    assert.ok((await read(institutionUser(institutionB), named)).raw.equals(PDF));
    assert.equal(await purge(), 1, 'the form was given up: the file is deleted next time');
    assert.equal(await exists(inUse), false);
    assert.equal(await purge(), 0);

    // The other way round: the purge is deleting the file when the form names it — the form waits, then finds no such file.
    const c = h.applicant();
    await certificate(c);
    const doomed = (await h.upload(c.token, PDF, 'application/pdf')).body.id;
    await age(doomed, days + 1);
    const purging = h.dataSource.createQueryRunner();
    await purging.connect();
    await purging.startTransaction();
    let refused: Awaited<ReturnType<typeof transfer>> | undefined;
    try {
      await purging.query(`DELETE FROM attachment WHERE id = $1`, [doomed]);
      const pending = transfer(c.token, { ...form, reasonFileId: doomed }).then((res) => (refused = res));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(refused, undefined, 'the form waits for the purge');
      await purging.commitTransaction();
      await pending;
    } finally {
      if (purging.isTransactionActive) await purging.rollbackTransaction();
      await purging.release();
    }
    assertRefusal(refused!, 404, 'CERT_ATTACHMENT_NOT_FOUND', 'reasonFileId');
    const [cases] = await h.dataSource.query(`SELECT count(*)::int AS n FROM review_case WHERE applicant_id = $1`, [c.id]);
    assert.equal((cases as { n: number }).n, 0, 'no case written');
  });
});
