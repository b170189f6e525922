import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { BusinessNo, IdentityTopics } from '@certhub/contracts';
import { eventually, KafkaProbe, startServiceProcess, testEnvironment, unique, type ServiceProcess } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';

type Body = Record<string, unknown> & { code?: string; status?: string; round?: number };

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 0x20), Buffer.from('\n%%EOF\n')]);

type Task = { id: string; type: string; dueAt: string; dueInWorkingDays: number; case: { businessNo: string; caseId: string }; stage: string; round: number; assigneeId: string | null };

describe('identity verification through the API, the workbench inbox, the dev server and Kafka (ID-12, WB-1/3/4)', () => {
  let h: IdentityHarness;
  let workbench: ServiceProcess;
  let staff: { id: string; accessToken: string };
  let probe: KafkaProbe;

  before(async () => {
    h = await IdentityHarness.start();
    // The staff decision is a task in the workbench inbox: the workbench runs as its own process.
    workbench = await startServiceProcess('workbench');
    staff = await h.staffToken(['staff']);
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([IdentityTopics.VerificationChanged]);
  });
  after(async () => {
    await probe?.stop();
    await workbench?.stop();
    await h?.stop();
  });

  async function wb<T = Body>(method: 'GET' | 'POST', path: string, token: string, options: { body?: unknown; requestId?: string } = {}) {
    const res = await fetch(`${workbench.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** The review task of an applicant's verification, once the workflow has put it into the inbox. */
  async function reviewTask(accountId: string, stage: string): Promise<Task> {
    return eventually(
      async () => {
        const list = await wb<{ items: Task[] }>('GET', '/api/v1/workbench/tasks?type=identity-verification.review&size=100', staff.accessToken);
        return list.body.items.find((t) => t.case.caseId === accountId && t.stage === stage);
      },
      { what: `review task ${stage} in the inbox`, timeoutMs: 30_000 },
    );
  }

  async function applicantWithOutcome(outcome: string, unavailableTimes = 0) {
    const username = unique.username('v');
    const set = await h.request('PUT', '/api/v1/sandbox/verification-outcomes', { body: { username, outcome, unavailableTimes } });
    assert.equal(set.status, 200);
    return h.registerAndLogin({ username });
  }

  async function statusOf(token: string, wanted: string) {
    return eventually(
      async () => {
        const res = await h.request<Body>('GET', '/api/v1/identity/me/verification', { token });
        return res.body.status === wanted ? res.body : undefined;
      },
      { what: `verification status ${wanted}`, timeoutMs: 30_000 },
    );
  }

  it('not verifiable → proof upload → staff approval → verified, each change an event; the workflow is in Temporal', async () => {
    const applicant = await applicantWithOutcome('not-verifiable');
    await statusOf(applicant.accessToken, 'awaiting-proof');

    const wrongType = await h.request<Body>('POST', '/api/v1/identity/me/verification/proof', { token: applicant.accessToken, raw: Buffer.from('hello world, not a pdf'), contentType: 'application/pdf' });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.body.code, 'IDENTITY_PROOF_TYPE');

    const uploaded = await h.request<Body>('POST', '/api/v1/identity/me/verification/proof', { token: applicant.accessToken, raw: PDF, contentType: 'application/pdf' });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    assert.equal(uploaded.body.status, 'awaiting-staff');

    const listed = await h.request<{ items: Array<{ accountId: string }> }>('GET', '/api/v1/identity/staff/verifications?status=awaiting-staff&limit=100', { token: staff.accessToken });
    assert.ok(listed.body.items.some((i) => i.accountId === applicant.id));
    const detail = await h.request<{ proofs: Array<{ id: string }>; round: number }>('GET', `/api/v1/identity/staff/verifications/${applicant.id}`, { token: staff.accessToken });
    assert.equal(detail.body.proofs.length, 1);
    const proof = await h.request('GET', `/api/v1/identity/staff/verifications/${applicant.id}/proofs/${detail.body.proofs[0]!.id}`, { token: staff.accessToken });
    assert.equal(proof.status, 200);

    // The review waits in the staff inbox, due in working days; a staff member claims and decides it.
    const task = await reviewTask(applicant.id, 'awaiting-staff');
    assert.equal(task.dueInWorkingDays, 3);
    assert.ok(Date.parse(task.dueAt) > Date.now() + 24 * 3600_000, 'due at least a day later');
    assert.match(task.case.businessNo, /^\d{14}$/);
    const applicantsView = await wb('GET', `/api/v1/workbench/tasks/${task.id}`, applicant.accessToken);
    assert.equal(applicantsView.status, 404, 'the applicant cannot see the staff task');
    const claimed = await wb<Task>('POST', `/api/v1/workbench/tasks/${task.id}/claim`, staff.accessToken);
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal(claimed.body.assigneeId, staff.id);

    const requestId = unique.id();
    const decide = () => wb<Body>('POST', `/api/v1/workbench/tasks/${task.id}/complete`, staff.accessToken, { requestId, body: { outcome: 'approve', opinion: '学历证书核验一致' } });
    const first = await decide();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'completed');
    // A retried request (same request id) is the same Update: it succeeds and decides nothing new.
    const retried = await decide();
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.outcome, 'approve');
    // A new decision on a finished task is refused with a code.
    const another = await wb<Body>('POST', `/api/v1/workbench/tasks/${task.id}/complete`, staff.accessToken, { body: { outcome: 'reject', opinion: '再次决定' } });
    assert.equal(another.status, 409);
    assert.equal(another.body.code, 'TASK_ALREADY_COMPLETED');

    const progress = await statusOf(applicant.accessToken, 'verified');
    assert.deepEqual(
      (progress.history as Array<{ status: string }>).map((s) => s.status),
      ['awaiting-proof', 'awaiting-staff', 'verified'],
    );
    const events = await eventually(async () => {
      const found = probe.matching((m) => m.key === applicant.id).map((m) => (m.value as { data: { status: string } }).data.status);
      return found.length >= 3 ? found : undefined;
    });
    assert.deepEqual(events, ['awaiting-proof', 'awaiting-staff', 'verified']);

    const description = await h.app.get(Client).workflow.getHandle(`identity-verification:${applicant.id}`).describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.deepEqual(description.typedSearchAttributes.get(BusinessNo), task.case.businessNo);

    // The applicant sees the case in my items, done, and has a message about the decision.
    const item = await eventually(
      async () => {
        const items = await wb<{ items: Array<{ businessNo: string; status: string; stageName: string }> }>('GET', '/api/v1/workbench/items?tab=done', applicant.accessToken);
        return items.body.items.find((i) => i.businessNo === task.case.businessNo);
      },
      { what: 'the verification in my items', timeoutMs: 30_000 },
    );
    assert.equal(item.stageName, '核验通过');
    const messages = await eventually(
      async () => {
        const res = await wb<{ items: Array<{ category?: string; link?: string }> }>('GET', '/api/v1/workbench/messages?kind=message', applicant.accessToken);
        return res.body.items.some((m) => m.category === 'case-decided') ? res.body.items : undefined;
      },
      { what: 'the decision message', timeoutMs: 30_000 },
    );
    assert.ok(messages.some((m) => m.link === '/api/v1/identity/me/verification'));
    // Every step of the case is in its history, the staff decision with actor and opinion.
    const history = await wb<Array<{ action: string; actorId: string | null; opinion: string | null }>>('GET', `/api/v1/workbench/cases/identity/${task.case.businessNo}/history`, staff.accessToken);
    assert.equal(history.status, 200);
    const completed = (Array.isArray(history.body) ? history.body : (history.body as unknown as { entries: typeof history.body }).entries).find((e) => e.action === 'task.completed');
    assert.equal(completed?.actorId, staff.id);
    assert.equal(completed?.opinion, '学历证书核验一致');
  });

  it('a decision needs an opinion unless approving, needs a claim, and only staff may work on the task', async () => {
    const applicant = await applicantWithOutcome('onsite-required');
    await statusOf(applicant.accessToken, 'onsite-required');
    const task = await reviewTask(applicant.id, 'onsite-required');
    const unclaimed = await wb<Body>('POST', `/api/v1/workbench/tasks/${task.id}/complete`, staff.accessToken, { body: { outcome: 'approve', opinion: 'ok' } });
    assert.equal(unclaimed.status, 409);
    assert.equal(unclaimed.body.code, 'TASK_NOT_CLAIMED');
    const self = await wb<Body>('POST', `/api/v1/workbench/tasks/${task.id}/claim`, applicant.accessToken);
    assert.equal(self.status, 404, 'an applicant cannot claim (or see) a staff task');
    assert.equal((await wb('POST', `/api/v1/workbench/tasks/${task.id}/claim`, staff.accessToken)).status, 200);
    const noOpinion = await wb<Body>('POST', `/api/v1/workbench/tasks/${task.id}/complete`, staff.accessToken, { body: { outcome: 'reject', opinion: ' ' } });
    assert.equal(noOpinion.status, 422);
    assert.equal(noOpinion.body.code, 'TASK_OPINION_REQUIRED');
    assert.equal(noOpinion.body.field, 'opinion');
    const notOffered = await wb<Body>('POST', `/api/v1/workbench/tasks/${task.id}/complete`, staff.accessToken, { body: { outcome: 'return', opinion: '补充材料' } });
    assert.equal(notOffered.status, 422, 'on-site review offers approve or reject only');
    assert.equal(notOffered.body.code, 'TASK_BAD_OUTCOME');
    const ok = await wb<Body>('POST', `/api/v1/workbench/tasks/${task.id}/complete`, staff.accessToken, { body: { outcome: 'approve', opinion: '现场核验通过' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await statusOf(applicant.accessToken, 'verified');
  });

  it('retries an unavailable provider and then verifies', async () => {
    const applicant = await applicantWithOutcome('verified', 1);
    const progress = await statusOf(applicant.accessToken, 'verified');
    assert.equal((progress.history as unknown[]).length, 1);
    const left: Array<{ unavailable_times: number }> = await h.dataSource.query(
      'SELECT unavailable_times FROM sandbox_verification_outcome WHERE username_key = $1',
      [(applicant.body.username as string).toLowerCase()],
    );
    assert.equal(left[0]!.unavailable_times, 0);
  });

  it('refuses a proof when none is awaited', async () => {
    const applicant = await applicantWithOutcome('verified');
    await statusOf(applicant.accessToken, 'verified');
    const res = await h.request<Body>('POST', '/api/v1/identity/me/verification/proof', { token: applicant.accessToken, raw: PDF, contentType: 'application/pdf' });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'IDENTITY_VERIFICATION_STATE');
    const rows: unknown[] = await h.dataSource.query('SELECT 1 FROM verification_proof WHERE account_id = $1', [applicant.id]);
    assert.equal(rows.length, 0);
  });
});
