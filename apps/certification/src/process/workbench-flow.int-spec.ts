import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, putInAccountDirectory, startServiceProcess, type ServiceProcess } from '@certhub/testing';
import { CertificationHarness, COMPLETE_RECORDS, completeForm } from '../testing/certification-harness';
import { InboxClient, type InboxTask } from '../testing/inbox';

type Body = Record<string, unknown> & { code?: string; field?: string };

const BASE = '/api/v1/certification/applications';

/**
 * The application process with everything real: the certification service (its worker on the
 * Temporal dev server), the workbench as its own process, PostgreSQL and Kafka. The reviewers
 * act through the workbench API as they would in the inbox.
 */
describe('registration application through the real workbench (CE-3, WB-1)', () => {
  let h: CertificationHarness;
  let workbench: ServiceProcess;
  let payment: ServiceProcess;
  let inbox: InboxClient;
  let institutionId: string;

  before(async () => {
    h = await CertificationHarness.start();
    // The workbench and the payment service (the fee child workflow's worker) run as their own processes.
    [workbench, payment] = await Promise.all([startServiceProcess('workbench'), startServiceProcess('payment')]);
    inbox = new InboxClient(workbench.url);
    institutionId = h.identity.institution();
  });
  after(async () => {
    await workbench?.stop();
    await payment?.stop();
    await h?.stop();
  });

  async function call<T = Body>(base: string, token: string | null, method: 'GET' | 'POST', path: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  const wb = <T = Body>(token: string, method: 'GET' | 'POST', path: string, body?: unknown) => inbox.call<T>(token, method, path, body);
  const taskOf = (token: string, caseId: string, stage: string, round: number) => inbox.task(token, caseId, stage, round);
  const act = (token: string, task: InboxTask, outcome: string, opinion: string | null, data?: Record<string, unknown>, claim = true) => inbox.act(token, task, outcome, opinion, data, claim);

  it('institution review, the institution pays the fee, expert assigned by the admin, only that expert evaluates, association approves and decides: certificate issued', async () => {
    const a = h.applicant();
    const created = await h.create(a, { ...completeForm(institutionId), paymentBy: 'institution' });
    const id = created.body.id;
    const records: string[] = [];
    for (const kind of ['education', 'work', 'professional-work'] as const) {
      records.push((await h.request<{ id: string }>('POST', `${BASE}/${id}/records/${kind}`, { token: a.token, body: COMPLETE_RECORDS[kind] })).body.id);
    }
    assert.equal((await h.request('POST', `${BASE}/${id}/submit`, { token: a.token })).status, 200);

    const instUser = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
    const otherInst = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId: randomUUID() });
    const admin = h.token({ sub: randomUUID(), accountType: 'staff', roles: ['admin', 'staff'] });
    const staff = h.token({ sub: randomUUID(), accountType: 'staff', roles: ['staff'] });
    const { id: expertId, token: expert } = await h.expert();
    const otherExpert = h.token({ sub: randomUUID(), roles: ['personal', 'expert'] });

    const review = await taskOf(instUser, id, 'institution-review', 1);
    assert.equal(review.type, 'cert-registration.institution-review');
    // Another institution's staff do not see it.
    assert.equal((await wb(otherInst, 'GET', `/api/v1/workbench/tasks/${review.id}`)).status, 404);
    await act(instUser, review, 'approve', '同意');

    // The institution pays the fee (payment service): any user of the institution finds it among its fees and pays online.
    type FeeView = { stage: string; businessNo: string; fee: { feeId: string; amountFen: number; payerKind: string; outcome: string | null; link: string } | null };
    const asked = await eventually(
      async () => {
        const v = (await h.view(a, id)).body as unknown as FeeView;
        return v.stage === 'payment' && v.fee ? v : undefined;
      },
      { what: 'the institution asked to pay', timeoutMs: 30_000 },
    );
    assert.equal(asked.fee!.payerKind, 'institution');
    // The user who approved (the payer the case names) is told to pay, linked to the fee; the applicant has nothing to do.
    type Messages = { items?: Array<{ category?: string; link?: string; linkType?: string; body: string }> };
    const told = await eventually(async () => (await wb<Messages>(instUser, 'GET', '/api/v1/workbench/messages')).body.items?.find((m) => m.linkType === 'fee'), {
      what: 'the payer told to pay',
      timeoutMs: 30_000,
    });
    assert.deepEqual([told.category, told.link], ['case-action-required', asked.fee!.link]);
    assert.ok(told.body.includes(asked.businessNo));
    assert.equal((await wb<Messages>(a.token, 'GET', '/api/v1/workbench/messages')).body.items?.some((m) => m.linkType === 'fee'), false);
    const colleague = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
    type FeeList = { items: Array<{ feeId: string; businessNo: string; payerKind: string; status: string; amountFen: number; link: string }> };
    const listed = await eventually(
      async () => {
        const r = await call<FeeList>(payment.url, colleague, 'GET', '/api/v1/payment/fees?status=pending');
        return r.body.items?.find((f) => f.feeId === asked.fee!.feeId);
      },
      { what: 'the fee among the institution\'s fees', timeoutMs: 30_000 },
    );
    assert.deepEqual([listed.businessNo, listed.payerKind, listed.amountFen, listed.link], [asked.businessNo, 'institution', asked.fee!.amountFen, asked.fee!.link]);
    // Neither the applicant nor another institution pays it.
    assert.equal((await call(payment.url, a.token, 'GET', asked.fee!.link)).status, 404);
    assert.equal((await call(payment.url, otherInst, 'GET', asked.fee!.link)).status, 404);
    assert.equal((await call(payment.url, otherInst, 'POST', `/api/v1/payment/fees/${asked.fee!.feeId}/payments`)).status, 404);
    const started = await call<{ paymentId: string }>(payment.url, colleague, 'POST', `/api/v1/payment/fees/${asked.fee!.feeId}/payments`);
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal((await call(payment.url, null, 'POST', `/api/v1/sandbox/payments/${started.body.paymentId}/pay`)).status, 200);
    const afterPaid = await eventually(
      async () => {
        const v = (await h.view(a, id)).body as unknown as FeeView & { history: Array<{ action: string; details: Record<string, unknown> | null }> };
        return v.stage === 'expert-assignment' ? v : undefined;
      },
      { what: 'fee paid by the institution, expert assignment next', timeoutMs: 60_000 },
    );
    assert.equal(afterPaid.fee!.outcome, 'paid-online');
    assert.equal(afterPaid.history.find((x) => x.action === 'paid')?.details?.payerKind, 'institution');

    const assignment = await taskOf(admin, id, 'expert-assignment', 1);
    const noExpert = await wb<Body>(admin, 'POST', `/api/v1/workbench/tasks/${assignment.id}/claim`);
    assert.equal(noExpert.status, 200);
    const missing = await wb<Body>(admin, 'POST', `/api/v1/workbench/tasks/${assignment.id}/complete`, { outcome: 'assign', opinion: null });
    assert.equal(missing.status, 422, 'the expert must be named');
    assert.equal(missing.body.field, 'data.expertId');
    // Only an expert of the directory may be named: an unknown account, or one without the role, is refused and nothing moves.
    const notExpert = randomUUID();
    await putInAccountDirectory(h.dataSource, [{ accountId: notExpert, accountType: 'personal', roles: ['personal', 'certified'] }]);
    for (const named of [randomUUID(), notExpert, 'not-an-id']) {
      const refused = await wb<Body>(admin, 'POST', `/api/v1/workbench/tasks/${assignment.id}/complete`, { outcome: 'assign', opinion: null, data: { expertId: named } });
      assert.equal(refused.status, 422, `${named} is no expert`);
      assert.equal(refused.body.code, 'TASK_ACCOUNT_INVALID');
      assert.equal(refused.body.field, 'data.expertId');
    }
    const still = await wb<Body>(admin, 'GET', `/api/v1/workbench/tasks/${assignment.id}`);
    assert.equal(still.body.status, 'open', 'the refused assignments changed nothing');
    assert.equal((await h.view(a, id)).body.stage, 'expert-assignment');
    await act(admin, assignment, 'assign', null, { expertId }, false);

    const evaluation = await taskOf(expert, id, 'expert-evaluation', 1);
    // An expert the case is not assigned to cannot see, claim or complete it.
    assert.equal((await wb(otherExpert, 'GET', `/api/v1/workbench/tasks/${evaluation.id}`)).status, 404);
    assert.equal((await wb(otherExpert, 'POST', `/api/v1/workbench/tasks/${evaluation.id}/claim`)).status, 404);
    const refused = await wb(otherExpert, 'POST', `/api/v1/workbench/tasks/${evaluation.id}/complete`, { outcome: 'pass', opinion: null, data: { verdicts: [] } });
    assert.equal(refused.status, 404);
    await act(expert, evaluation, 'pass', '符合要求', { verdicts: records.map((recordId) => ({ recordId, verdict: 'pass' })) }, false);

    await act(staff, await taskOf(staff, id, 'association-approval', 1), 'approve', '同意');
    await act(admin, await taskOf(admin, id, 'association-decision', 1), 'approve', '批准注册');

    const done = await eventually(
      async () => {
        const v = await h.view(a, id);
        return v.body.status === 'approved' ? (v.body as unknown as { certificate: { certificateNo: string } | null; history: Array<{ action: string; actorId: string | null }> }) : undefined;
      },
      { what: 'application approved', timeoutMs: 30_000 },
    );
    assert.ok(done.certificate);
    assert.equal(done.history.find((x) => x.action === 'expert-evaluation:pass')?.actorId, expertId);
  });

  it('withdrawn while returned: the workflow ends, my items shows the case done (withdrawn) and the applicant gets a message', async () => {
    const a = h.applicant();
    const created = await h.create(a, { ...completeForm(institutionId), paymentBy: 'institution' });
    const id = created.body.id;
    for (const kind of ['education', 'work', 'professional-work'] as const) {
      assert.equal((await h.request('POST', `${BASE}/${id}/records/${kind}`, { token: a.token, body: COMPLETE_RECORDS[kind] })).status, 201);
    }
    assert.equal((await h.request('POST', `${BASE}/${id}/submit`, { token: a.token })).status, 200);
    const instUser = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
    await act(instUser, await taskOf(instUser, id, 'institution-review', 1), 'return', '请补充继续教育记录');
    await eventually(async () => ((await h.view(a, id)).body.status === 'returned' ? true : undefined), { what: 'returned', timeoutMs: 30_000 });
    const withdrawn = await h.request<Body & { status: string }>('POST', `${BASE}/${id}/withdraw`, { token: a.token });
    assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
    const businessNo = created.body.businessNo;
    type Item = { status: string; result: string | null; stage: string };
    const item = await eventually(
      async () => {
        const r = await wb<Item>(a.token, 'GET', `/api/v1/workbench/items/certification/${businessNo}`);
        return r.status === 200 && r.body.status === 'done' ? r.body : undefined;
      },
      { what: 'my item done', timeoutMs: 30_000 },
    );
    assert.deepEqual([item.result, item.stage], ['withdrawn', 'finished']);
    const message = await eventually(
      async () => {
        const r = await wb<{ items: Array<{ category?: string; link?: string; title: string }> }>(a.token, 'GET', '/api/v1/workbench/messages');
        return r.body.items?.find((m) => m.category === 'case-withdrawn' && m.link === `${BASE}/${id}`);
      },
      { what: 'withdrawn message', timeoutMs: 30_000 },
    );
    assert.match(message.title, /^事项已撤回/);
  });

  it('paid by the person: after the institution review the applicant is asked to pay, pays online through the payment service, and the case goes on', async () => {
    const a = h.applicant();
    const created = await h.create(a, { ...completeForm(institutionId), paymentBy: 'person' });
    const id = created.body.id;
    for (const kind of ['education', 'work', 'professional-work'] as const) {
      assert.equal((await h.request('POST', `${BASE}/${id}/records/${kind}`, { token: a.token, body: COMPLETE_RECORDS[kind] })).status, 201);
    }
    assert.equal((await h.request('POST', `${BASE}/${id}/submit`, { token: a.token })).status, 200);
    const instUser = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
    await act(instUser, await taskOf(instUser, id, 'institution-review', 1), 'approve', null);

    type FeeView = { stage: string; fee: { feeId: string; amountFen: number; outcome: string | null; link: string } | null };
    const asked = await eventually(
      async () => {
        const v = (await h.view(a, id)).body as unknown as FeeView;
        return v.stage === 'payment' && v.fee ? v : undefined;
      },
      { what: 'asked to pay', timeoutMs: 30_000 },
    );
    assert.equal(asked.fee!.amountFen, 30_000, 'the trainee fee of the fee table');
    const feeId = asked.fee!.feeId;
    const feeView = await eventually(async () => {
      const r = await call<{ amountFen: number; status: string }>(payment.url, a.token, 'GET', asked.fee!.link);
      return r.status === 200 ? r.body : undefined;
    }, { what: 'fee opened by the child workflow', timeoutMs: 30_000 });
    assert.deepEqual([feeView.amountFen, feeView.status], [30_000, 'pending']);
    // Only the applicant pays it.
    assert.equal((await call(payment.url, h.applicant().token, 'GET', asked.fee!.link)).status, 404);
    const started = await call<{ paymentId: string }>(payment.url, a.token, 'POST', `/api/v1/payment/fees/${feeId}/payments`);
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal((await call(payment.url, null, 'POST', `/api/v1/sandbox/payments/${started.body.paymentId}/pay`)).status, 200);

    const paid = await eventually(
      async () => {
        const v = (await h.view(a, id)).body as unknown as FeeView & { history: Array<{ action: string; details: Record<string, unknown> | null }> };
        return v.stage === 'expert-assignment' ? v : undefined;
      },
      { what: 'fee paid, expert assignment next', timeoutMs: 60_000 },
    );
    assert.equal(paid.fee!.outcome, 'paid-online');
    assert.equal(paid.history.find((x) => x.action === 'paid')?.details?.feeOutcome, 'paid-online');
    const admin = h.token({ sub: randomUUID(), accountType: 'staff', roles: ['admin', 'staff'] });
    await act(admin, await taskOf(admin, id, 'expert-assignment', 1), 'reject', '专业领域暂不受理');
    await eventually(async () => (await h.view(a, id)).body.status === 'rejected', { what: 'rejected', timeoutMs: 30_000 });
  });
});
