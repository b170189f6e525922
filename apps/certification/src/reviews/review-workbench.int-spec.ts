import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, startServiceProcess, type ServiceProcess } from '@certhub/testing';
import { CertificationHarness } from '../testing/certification-harness';
import { InboxClient, type InboxTask } from '../testing/inbox';

type Body = Record<string, unknown> & { code?: string; field?: string };

/**
 * Review cases with everything real: the certification service (its worker on the Temporal dev
 * server), the workbench as its own process, PostgreSQL and Kafka. Reviewers act through the
 * workbench API as in the inbox; the applicant follows the case in my items and messages.
 */
describe('review cases through the real workbench (CE-5, CE-6, WB-1 … WB-4)', () => {
  let h: CertificationHarness;
  let workbench: ServiceProcess;
  let inbox: InboxClient;
  let institutionA: string;
  let institutionB: string;

  before(async () => {
    h = await CertificationHarness.start();
    workbench = await startServiceProcess('workbench');
    inbox = new InboxClient(workbench.url);
    institutionA = h.identity.institution('甲认证中心（测试）');
    institutionB = h.identity.institution('乙认证中心（测试）');
  });
  after(async () => {
    await workbench?.stop();
    await h?.stop();
  });

  const wb = <T = Body>(token: string, method: 'GET' | 'POST', path: string, body?: unknown) => inbox.call<T>(token, method, path, body);
  const taskOf = (token: string, caseId: string, stage: string, round: number) => inbox.task(token, caseId, stage, round);
  const act = (token: string, task: InboxTask, outcome: string, opinion: string | null, data?: Record<string, unknown>) => inbox.act(token, task, outcome, opinion, data);

  it('transfer: each institution reviews only its own step, the association decides; my items and messages follow; the certificate moves', async () => {
    const a = h.applicant();
    const twoYears = new Date();
    twoYears.setFullYear(twoYears.getFullYear() + 2);
    const { id: certificateId } = await h.certificate(a, { validUntil: twoYears, institutionId: institutionA, institutionName: '甲认证中心（测试）', issuedYearsAgo: 1, certificateNo: `QMS-WB-${Date.now()}` });
    const opened = await h.request<Body & { id: string; businessNo: string }>('POST', '/api/v1/certification/transfers', {
      token: a.token,
      body: { toInstitutionId: institutionB, transferType: 'certification', reason: 'job-change' },
    });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const id = opened.body.id;
    const userA = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId: institutionA });
    const userB = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId: institutionB });
    const staff = h.token({ sub: randomUUID(), accountType: 'staff', roles: ['staff'] });
    const admin = h.token({ sub: randomUUID(), accountType: 'staff', roles: ['admin', 'staff'] });

    const out = await taskOf(userA, id, 'transfer-out-review', 1);
    assert.equal(out.type, 'institution-transfer.transfer-out-review');
    // The institution joined cannot see or decide the step of the institution left.
    assert.equal((await wb(userB, 'GET', `/api/v1/workbench/tasks/${out.id}`)).status, 404);
    assert.equal((await wb(userB, 'POST', `/api/v1/workbench/tasks/${out.id}/complete`, { outcome: 'approve', opinion: null })).status, 404);
    await act(userA, out, 'approve', '同意转出');
    // Deciding twice is refused.
    const twice = await wb<Body>(userA, 'POST', `/api/v1/workbench/tasks/${out.id}/complete`, { outcome: 'reject', opinion: '改主意' });
    assert.ok(twice.status === 409 || twice.status === 404, `second decision refused (${twice.status})`);

    const incoming = await taskOf(userB, id, 'transfer-in-review', 1);
    assert.equal((await wb(userA, 'GET', `/api/v1/workbench/tasks/${incoming.id}`)).status, 404);
    await act(userB, incoming, 'approve', '同意接收');
    await act(staff, await taskOf(staff, id, 'association-review', 1), 'approve', null);
    await act(admin, await taskOf(admin, id, 'association-decision', 1), 'approve', '准予转换');

    const done = await eventually(
      async () => {
        const v = await h.request<{ status: string; result: string; history: Array<{ action: string; actorId: string | null }> }>('GET', `/api/v1/certification/cases/${id}`, { token: a.token });
        return v.body.status === 'decided' ? v.body : undefined;
      },
      { what: 'transfer decided', timeoutMs: 30_000 },
    );
    assert.equal(done.result, 'approved');
    const [moved] = await h.dataSource.query(`SELECT institution_id FROM certificate WHERE id = $1`, [certificateId]);
    assert.equal(moved.institution_id, institutionB);

    // My items (WB-3) shows it done, with its business number; the decision is a message (WB-4).
    const item = await eventually(
      async () => {
        const list = await wb<{ items: Array<{ businessNo: string; status: string; itemName: string; stageName: string }> }>(a.token, 'GET', '/api/v1/workbench/items?tab=done');
        return list.body.items?.find((i) => i.businessNo === opened.body.businessNo);
      },
      { what: 'the transfer in my items', timeoutMs: 30_000 },
    );
    assert.deepEqual([item.itemName, item.stageName], ['人员转换执业机构', '已结束']);
    const messages = await eventually(
      async () => {
        const list = await wb<{ items: Array<{ businessNo?: string | null; text?: string; title?: string }> }>(a.token, 'GET', '/api/v1/workbench/messages');
        const mine = (list.body.items ?? []).filter((m) => JSON.stringify(m).includes(opened.body.businessNo));
        return mine.length >= 2 ? mine : undefined;
      },
      { what: 'submitted and decided messages', timeoutMs: 30_000 },
    );
    assert.ok(messages.length >= 2);
  });

  it('appeal: only the expert the admin assigned evaluates; the association opinion is fed back', async () => {
    const a = h.applicant();
    const opened = await h.request<Body & { id: string }>('POST', '/api/v1/certification/appeals', { token: a.token, body: { subject: '对考试成绩的申诉', content: '阅卷有误' } });
    assert.equal(opened.status, 201);
    const id = opened.body.id;
    const admin = h.token({ sub: randomUUID(), accountType: 'staff', roles: ['admin', 'staff'] });
    const staff = h.token({ sub: randomUUID(), accountType: 'staff', roles: ['staff'] });
    const { id: expertId, token: expert } = await h.expert();
    const otherExpert = h.token({ sub: randomUUID(), roles: ['personal', 'expert'] });
    await act(admin, await taskOf(admin, id, 'expert-assignment', 1), 'assign', null, { expertId });
    const evaluation = await taskOf(expert, id, 'expert-evaluation', 1);
    assert.equal((await wb(otherExpert, 'GET', `/api/v1/workbench/tasks/${evaluation.id}`)).status, 404);
    assert.equal((await wb(otherExpert, 'POST', `/api/v1/workbench/tasks/${evaluation.id}/complete`, { outcome: 'supported', opinion: 'x' })).status, 404);
    const noOpinion = await wb<Body>(expert, 'POST', `/api/v1/workbench/tasks/${evaluation.id}/complete`, { outcome: 'supported', opinion: null });
    assert.equal(noOpinion.status, 422, 'the evaluation needs an opinion');
    await act(expert, evaluation, 'supported', '阅卷确有遗漏');
    await act(staff, await taskOf(staff, id, 'association-opinion', 1), 'uphold', '维持申诉，重新评分');
    const done = await eventually(
      async () => {
        const v = await h.request<{ status: string; result: string; history: Array<{ action: string; actorId: string | null; opinion: string | null }> }>('GET', `/api/v1/certification/cases/${id}`, { token: a.token });
        return v.body.status === 'decided' ? v.body : undefined;
      },
      { what: 'appeal decided', timeoutMs: 30_000 },
    );
    assert.equal(done.result, 'upheld');
    assert.equal(done.history.find((x) => x.action === 'expert-evaluation:supported')?.actorId, expertId);
    assert.equal(done.history.at(-1)!.opinion, '维持申诉，重新评分');
  });
});
