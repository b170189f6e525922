/**
 * A certified person's life through the gateway, every service of it as its own process on the
 * real engines: a registration application submitted, reviewed in the inbox (institution, admin,
 * expert, association) with the fee paid online by the institution, and approved; identity grants `certified` from the certificate event; the
 * certificate is found by the public query; then a transfer to another institution (with its
 * reason file uploaded through the gateway) goes through both institutions and the association,
 * and identity moves the person (CE-3, CE-5, CE-9, WB-1).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startServiceProcess } from '@certhub/testing';
import { Journey, type Json } from '../testing/journey-kit';

interface Task {
  id: string;
  stage: string;
  round: number;
  status: string;
  case: { caseId: string };
}

describe('journey: registration approved, certificate queried, institution transferred (CE-3, CE-5, CE-9)', () => {
  let j: Journey;

  before(async () => {
    // The workbench first (its projection joins its consumer group before the first case event), with its worker: it runs the tasks' activities.
    const workbench = await startServiceProcess('workbench');
    const identity = await startServiceProcess('identity', { RUN_WORKER: 'false', PASSWORD_HASH_COST: '12' });
    // The payment service runs the fee child workflow (the institution pays the registration fee).
    const payment = await startServiceProcess('payment');
    const certification = await startServiceProcess('certification', { IDENTITY_SERVICE_URL: identity.url });
    j = await Journey.start([workbench, identity, payment, certification]);
  });
  after(async () => {
    await j?.stop();
  });

  async function task(token: string, caseId: string, stage: string): Promise<Task> {
    return eventually(
      async () => {
        const list = await j.call('GET', '/api/v1/workbench/tasks?size=100', { token });
        return (list.body.items as Task[] | undefined)?.find((t) => t.case.caseId === caseId && t.stage === stage && t.status === 'open');
      },
      { what: `${stage} task`, timeoutMs: 60_000, intervalMs: 200 },
    );
  }

  async function decide(token: string, caseId: string, stage: string, outcome: string, opinion: string | null, data?: Json) {
    const t = await task(token, caseId, stage);
    assert.equal((await j.call('POST', `/api/v1/workbench/tasks/${t.id}/claim`, { token })).status, 200);
    const done = await j.call('POST', `/api/v1/workbench/tasks/${t.id}/complete`, { token, body: { outcome, opinion, ...(data ? { data } : {}) } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }

  it('applies, is certified, is found by the public query, and moves to another institution', async () => {
    const me = await j.person({ realName: '赵敏' });
    const from = await j.certificationBody('甲旅程认证中心');
    const to = await j.certificationBody('乙旅程认证中心');
    const staff = j.token({ accountType: 'staff', roles: ['staff'] });
    const admin = j.token({ accountType: 'staff', roles: ['admin', 'staff'] });
    const { id: expertId, token: expert } = await j.expert();
    const userOf = (institutionId: string) => j.token({ accountType: 'institution', roles: ['institution'], institutionId });

    // CE-1 … CE-3: a complete application, paid by the institution, submitted.
    const created = await j.call('POST', '/api/v1/certification/applications', {
      token: me.token,
      body: { applicationType: 'system-auditor', grade: 'trainee', field: 'QMS', kind: 'new', specialty: 'QMS建工', narrowScope: false, paymentBy: 'institution', institutionId: from.id },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const applicationId = created.body.id as string;
    const records: Record<string, Json> = {
      education: { school: '北京理工大学', major: '质量管理工程', level: 'bachelor', degree: '工学学士', startDate: '2008-09-01', endDate: '2012-07-01' },
      work: { employer: '某制造有限公司', department: '质量部', position: '质量工程师', startDate: '2012-08-01', refereeName: '李明', refereePhone: '13800000000' },
      'professional-work': {
        employer: '某制造有限公司', department: '质量部', position: '质量工程师', post: '体系内审员', startDate: '2014-01-01', endDate: '2020-12-31',
        content: '质量管理体系建立与内审', refereeName: '李明', refereePhone: '010-12345678',
      },
    };
    const recordIds: string[] = [];
    for (const [kind, body] of Object.entries(records)) {
      const added = await j.call('POST', `/api/v1/certification/applications/${applicationId}/records/${kind}`, { token: me.token, body });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      recordIds.push(added.body.id as string);
    }
    const submitted = await j.call('POST', `/api/v1/certification/applications/${applicationId}/submit`, { token: me.token });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));

    await decide(userOf(from.id), applicationId, 'institution-review', 'approve', '同意');
    // The institution pays the registration fee online: any of its users finds it among the institution's fees.
    const colleague = userOf(from.id);
    const fee = await eventually(
      async () => {
        const fees = await j.call('GET', '/api/v1/payment/fees?status=pending', { token: colleague });
        return (fees.body.items as Json[] | undefined)?.find((f) => f.businessNo === created.body.businessNo);
      },
      { what: 'the fee among the institution\'s fees', timeoutMs: 60_000, intervalMs: 200 },
    );
    const payment = await j.call('POST', `/api/v1/payment/fees/${fee.feeId}/payments`, { token: colleague });
    assert.equal(payment.status, 201, JSON.stringify(payment.body));
    assert.equal((await j.call('POST', `/api/v1/sandbox/payments/${payment.body.paymentId}/pay`)).status, 200);
    await decide(admin, applicationId, 'expert-assignment', 'assign', null, { expertId });
    await decide(expert, applicationId, 'expert-evaluation', 'pass', '符合要求', { verdicts: recordIds.map((recordId) => ({ recordId, verdict: 'pass' })) });
    await decide(staff, applicationId, 'association-approval', 'approve', '同意');
    await decide(admin, applicationId, 'association-decision', 'approve', '批准注册');

    const approved = await eventually(
      async () => {
        const v = await j.call('GET', `/api/v1/certification/applications/${applicationId}`, { token: me.token });
        return v.body.status === 'approved' ? v.body : undefined;
      },
      { what: 'application approved', timeoutMs: 60_000, intervalMs: 200 },
    );
    const certificateNo = approved.certificate.certificateNo as string;
    // Identity grants `certified` from the certificate event: a new session carries it.
    const certifiedToken = await eventually(
      async () => {
        const token = await j.login(me.username);
        const profile = await j.call('GET', '/api/v1/identity/me', { token });
        return (profile.body.roles as string[]).includes('certified') ? token : undefined;
      },
      { what: 'certified role', timeoutMs: 60_000, intervalMs: 500 },
    );

    // CE-9: anyone, without logging in, checks the certificate by number and name (in the body, not the URL).
    const query = await j.call('POST', '/api/v1/certification/certificates/query', { body: { certificateNo, name: '赵敏' } });
    assert.equal(query.status, 200, JSON.stringify(query.body));
    assert.deepEqual([query.body.state, query.body.holderName, query.body.institutionName], ['valid', '赵敏', from.name]);
    assert.equal((await j.call('POST', '/api/v1/certification/certificates/query', { body: { certificateNo, name: '赵' } })).status, 404);

    // CE-5: the transfer, only for the certified person, with the reason file (转会理由文件) uploaded first.
    const reasonFile = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 0x20), Buffer.from('\n%%EOF\n')]);
    const uploaded = await j.call('POST', '/api/v1/certification/attachments', { token: certifiedToken, raw: reasonFile, headers: { 'content-type': 'application/pdf' } });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    const transfer = await j.call('POST', '/api/v1/certification/transfers', {
      token: certifiedToken,
      body: { toInstitutionId: to.id, transferType: 'certification', reason: 'job-change', reasonFileId: uploaded.body.id },
    });
    assert.equal(transfer.status, 201, JSON.stringify(transfer.body));
    const caseId = transfer.body.id as string;
    // The institution joining reads the file through the gateway; another person is told it does not exist.
    const read = await j.call('GET', `/api/v1/certification/attachments/${uploaded.body.id}`, { token: userOf(to.id) });
    assert.deepEqual([read.status, read.headers.get('content-type')], [200, 'application/pdf']);
    assert.ok(read.bytes.equals(reasonFile));
    const stranger = j.token({ accountType: 'personal', roles: ['personal'] });
    assert.equal((await j.call('GET', `/api/v1/certification/attachments/${uploaded.body.id}`, { token: stranger })).body.code, 'CERT_ATTACHMENT_NOT_FOUND');
    await decide(userOf(from.id), caseId, 'transfer-out-review', 'approve', '同意转出');
    await decide(userOf(to.id), caseId, 'transfer-in-review', 'approve', '同意接收');
    await decide(staff, caseId, 'association-review', 'approve', null);
    await decide(admin, caseId, 'association-decision', 'approve', '准予转换');
    const moved = await eventually(
      async () => {
        const profile = await j.call('GET', '/api/v1/identity/me', { token: certifiedToken });
        return profile.body.institutionId === to.id ? profile.body : undefined;
      },
      { what: 'identity moves the person', timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.equal(moved.institutionId, to.id);
    const after = await j.call('POST', '/api/v1/certification/certificates/query', { body: { certificateNo, name: '赵敏' } });
    assert.equal(after.body.institutionName, to.name);
    const history = await j.call('GET', `/api/v1/certification/cases/${caseId}`, { token: certifiedToken });
    assert.deepEqual(
      (history.body.history as Json[]).map((h) => h.action),
      ['submitted', 'transfer-out-review:approve', 'transfer-in-review:approve', 'association-review:approve', 'decided'],
    );
    // The case and its outcome in my items (WB-3).
    await eventually(
      async () => {
        const items = await j.call('GET', '/api/v1/workbench/items?tab=done', { token: certifiedToken });
        return (items.body.items as Json[] | undefined)?.some((i) => i.caseId === caseId && i.itemName === '人员转换执业机构');
      },
      { what: 'the transfer in my items', timeoutMs: 60_000, intervalMs: 300 },
    );
  });
});
