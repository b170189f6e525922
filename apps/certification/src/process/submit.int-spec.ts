import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { completeTaskUpdate, WORKBENCH_TASK_QUEUE } from '@certhub/human-tasks';
import { installWorkerRuntime } from '@certhub/temporal';
import { FakeWorkbench, testEnvironment } from '@certhub/testing';
import { certApplicationStateQuery, certApplicationWorkflowId, type CertApplicationState, type RecordStepInput } from '@certhub/workflows-certification';
import type { FeeOutcome } from '@certhub/workflows-payment';
import { Logger } from '@certhub/logging';
import { ApplicationActivities, applicationDueAt, CertificationCalendar } from './application.activities';
import { ApplicationWorkflowStarter } from './workflow-starter';
import { CertificationHarness, COMPLETE_RECORDS, completeForm, type Applicant, type ApplicationView } from '../testing/certification-harness';

type Body = Record<string, unknown> & { code?: string; field?: string; message?: string; messageZh?: string; details?: Record<string, unknown> };
type Submitted = Body & { id: string; status: string; stage: string; round: number; workflowId: string };
type History = Array<{ action: string; actorId: string | null; stage: string; round: number; opinion: string | null; toStatus: string; details: Record<string, unknown> | null }>;
type View = Omit<ApplicationView, 'history'> & {
  round: number;
  returnedFrom: string | null;
  history: History;
  certificate: { certificateNo: string; validUntil: string; issuedAt: string; status: string } | null;
  fee: { feeId: string; amountFen: number; outcome: string | null } | null;
  workflowId: string | null;
};
type CaseEvent = { milestone: string | null; stage: string; status: string; result: string | null; institutionId: string | null; dueAt: string | null; clockPaused: boolean; opinion: string | null };

const BASE = '/api/v1/certification/applications';

/**
 * Submit and resubmit against the real PostgreSQL and the real Temporal dev server: the service
 * runs its worker (task queue `certification`, the prebuilt bundle, the real activities); the
 * workbench is an in-memory one on the workbench queue, and the reviewers' decisions are sent
 * as the workbench sends them (the `completeTask` Update). The fee child is the stand-in of the
 * certification workflow tests on the payment queue (the payment service has its own tests).
 */
describe('application submit and the process through the real Temporal dev server (CE-3)', () => {
  let h: CertificationHarness;
  let institutionId: string;
  let temporal: Client;
  let workbench: FakeWorkbench;
  let inbox: Worker;
  let inboxRun: Promise<void>;
  let fees: Worker;
  let feesRun: Promise<void>;
  let connection: NativeConnection;

  before(async () => {
    h = await CertificationHarness.start({ APPLICATION_REVIEW_WORKING_DAYS: '5' });
    institutionId = h.identity.institution();
    temporal = h.app.get(Client);
    installWorkerRuntime('ERROR');
    connection = await NativeConnection.connect({ address: testEnvironment().temporalAddress });
    workbench = new FakeWorkbench();
    inbox = await Worker.create({ connection, namespace: testEnvironment().temporalNamespace, taskQueue: WORKBENCH_TASK_QUEUE, activities: workbench.activities });
    inboxRun = inbox.run();
    const fakeFee = await bundleWorkflowCode({
      workflowsPath: join(testEnvironment().repoRoot, 'dist', 'workflows', 'certification', 'src', 'testing', 'fake-fee.workflow.js'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    fees = await Worker.create({ connection, namespace: testEnvironment().temporalNamespace, taskQueue: 'payment', workflowBundle: { code: fakeFee.code } });
    feesRun = fees.run();
  });
  after(async () => {
    // Fees left open are closed: no other test's payment worker inherits the stand-in's runs.
    for (const feeId of openFees.splice(0)) await temporal.workflow.getHandle(`fee-payment:${feeId}`).terminate('test finished').catch(() => undefined);
    fees?.shutdown();
    await feesRun;
    inbox?.shutdown();
    await inboxRun;
    await connection?.close();
    await h?.stop();
  });

  const openFees: string[] = [];
  const submit = (a: Applicant, id: string) => h.request<Submitted>('POST', `${BASE}/${id}/submit`, { token: a.token });
  const withdraw = (a: Applicant, id: string) => h.request<Submitted>('POST', `${BASE}/${id}/withdraw`, { token: a.token });

  /** The fee the case asks for (the institution pays by default), settled by the stand-in. */
  async function settleFee(a: Applicant, id: string, outcome: FeeOutcome = 'paid-online'): Promise<string> {
    const v = await waitForStatus(a, id, 'submitted', 'payment');
    const feeId = v.fee!.feeId;
    openFees.push(feeId);
    for (let i = 0; ; i++) {
      try {
        await temporal.workflow.getHandle(`fee-payment:${feeId}`).signal('settleFakeFee', outcome);
        return feeId;
      } catch (err) {
        if (i > 200) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function caseEvents(id: string): Promise<CaseEvent[]> {
    const rows: Array<{ payload: { data: CaseEvent } }> = await h.dataSource.query(
      `SELECT payload FROM outbox_message WHERE message_key = $1 AND topic = 'certification.case.changed.v1' ORDER BY id`,
      [id],
    );
    return rows.map((r) => r.payload.data);
  }
  const view = async (a: Applicant, id: string) => (await h.view(a, id)).body as View;

  /** A complete application; the institution pays unless `person` (then the fee child is asked for). */
  async function complete(a: Applicant, paymentBy: 'person' | 'institution' = 'institution'): Promise<{ id: string; records: string[] }> {
    const created = await h.create(a, { ...completeForm(institutionId), paymentBy });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const records: string[] = [];
    for (const kind of ['education', 'work', 'professional-work'] as const) {
      const res = await h.request<{ id: string }>('POST', `${BASE}/${created.body.id}/records/${kind}`, { token: a.token, body: COMPLETE_RECORDS[kind] });
      assert.equal(res.status, 201);
      records.push(res.body.id);
    }
    return { id: created.body.id, records };
  }

  async function decide(id: string, stage: string, round: number, outcome: string, opinion: string | null, actorId: string, data: Record<string, unknown> | null = null) {
    const task = await workbench.openTask(`${certApplicationWorkflowId(id)}:${stage}:${round}`, 30_000);
    await temporal.workflow.getHandle(certApplicationWorkflowId(id)).executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, outcome, opinion, actorId, data)] });
    return task;
  }

  async function waitForStatus(a: Applicant, id: string, status: string, stage?: string): Promise<View> {
    for (let i = 0; i < 400; i++) {
      const v = await view(a, id);
      if (v.status === status && (stage === undefined || v.stage === stage)) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`application never reached ${status}/${stage}`);
  }

  it('refuses an incomplete draft with 422 and everything missing, changing nothing', async () => {
    const a = h.applicant();
    const created = await h.create(a, { applicationType: 'system-auditor' });
    const before = await h.snapshot(created.body.id);
    const res = await submit(a, created.body.id);
    assert.equal(res.status, 422);
    assert.equal(res.body.code, 'CERT_APPLICATION_INCOMPLETE');
    assert.equal(res.body.field, 'grade');
    assert.ok(Array.isArray(res.body.details?.missing) && (res.body.details.missing as unknown[]).length > 3);
    assert.ok(typeof res.body.messageZh === 'string' && res.body.messageZh.length > 0);
    assert.deepEqual(await h.snapshot(created.body.id), before);
    await assert.rejects(temporal.workflow.getHandle(certApplicationWorkflowId(created.body.id)).describe());
  });

  it('another person\'s application is not found, an institution account is refused; nothing changes', async () => {
    const owner = h.applicant();
    const { id } = await complete(owner);
    const before = await h.snapshot(id);
    const other = h.applicant();
    const res = await submit(other, id);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'CERT_APPLICATION_NOT_FOUND');
    const inst = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
    assert.equal((await h.request('POST', `${BASE}/${id}/submit`, { token: inst })).status, 403);
    assert.equal((await h.request('POST', `${BASE}/${id}/submit`)).status, 401);
    assert.deepEqual(await h.snapshot(id), before);
  });

  it('submits once: institution review, history, case event; a second submit answers the same with one workflow', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    const first = await submit(a, id);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.status, first.body.stage, first.body.round], ['submitted', 'institution-review', 1]);
    const handle = temporal.workflow.getHandle(certApplicationWorkflowId(id));
    const runId = (await handle.describe()).runId;
    const again = await submit(a, id);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal((await handle.describe()).runId, runId, 'one workflow');
    const v = await view(a, id);
    assert.equal(v.editable, false);
    assert.deepEqual(v.history.map((x) => x.action), ['created', 'submitted']);
    const events: Array<{ payload: { data: { milestone: string | null; stage: string; institutionId: string | null; dueAt: string | null; clockPaused: boolean } } }> = await h.dataSource.query(
      `SELECT payload FROM outbox_message WHERE message_key = $1 AND topic = 'certification.case.changed.v1' ORDER BY id`,
      [id],
    );
    const submitted = events.map((e) => e.payload.data).find((d) => d.milestone === 'submitted')!;
    assert.equal(submitted.stage, 'institution-review');
    assert.equal(submitted.institutionId, institutionId);
    assert.ok(submitted.dueAt !== null && Date.parse(submitted.dueAt) > Date.now() + 14 * 24 * 3600_000, 'due in 15 working days');
    assert.equal(submitted.clockPaused, false);
    // The search attributes carry the business number, type, stage and status, nothing personal.
    const sa = (await handle.describe()).searchAttributes as Record<string, unknown[]>;
    assert.deepEqual(sa.BusinessNo, [v.businessNo]);
    assert.deepEqual(sa.CaseType, ['cert-registration']);
    // Editing a submitted application is refused.
    const edit = await h.request<Body>('PUT', `${BASE}/${id}`, { token: a.token, body: completeForm(institutionId) });
    assert.equal(edit.status, 409);
    assert.equal(edit.body.code, 'CERT_APPLICATION_LOCKED');
  });

  it('the 15-working-day deadline does not count the time the applicant had the case for rectification', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    // Submitted on Monday 2 November, returned on Monday 9 November (5 working days used),
    // resubmitted on Monday 23 November: 10 working days remain from then.
    const at = (iso: string) => new Date(iso);
    for (const [toStatus, when] of [
      ['submitted', '2026-11-02T02:00:00.000Z'],
      ['returned', '2026-11-09T02:00:00.000Z'],
      ['submitted', '2026-11-23T02:00:00.000Z'],
    ] as const) {
      await h.dataSource.query(`INSERT INTO application_history (application_id, action, to_status, stage, at) VALUES ($1, 'test', $2, 'institution-review', $3)`, [id, toStatus, when]);
    }
    const calendar = h.app.get(CertificationCalendar).calendar;
    const due = await applicationDueAt(h.dataSource.manager, calendar, 15, id, new Logger('test', 'error'));
    assert.equal(due?.toISOString(), calendar.dueAtAfterWorkingDays(at('2026-11-23T02:00:00.000Z'), 10).toISOString());
    assert.notEqual(due?.toISOString(), calendar.dueAtAfterWorkingDays(at('2026-11-02T02:00:00.000Z'), 15).toISOString());
    await h.dataSource.query(`INSERT INTO application_history (application_id, action, to_status, stage, at) VALUES ($1, 'test', 'returned', 'institution-review', now())`, [id]);
    assert.equal(await applicationDueAt(h.dataSource.manager, calendar, 15, id, new Logger('test', 'error')), null, 'no due date while paused');
  });

  it('a submit Temporal did not take (down at the time) is kept and delivered by the starter, once', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    // As if the start call after the commit had failed: the row says submitted, no workflow yet.
    await h.dataSource.query(`UPDATE application SET status = 'submitted', stage = 'institution-review', submitted_at = now() WHERE id = $1`, [id]);
    const starter = h.app.get(ApplicationWorkflowStarter);
    // (The runtime's own loop may get there first; either way it is the same delivery.)
    await starter.deliverPending();
    const started = await temporal.workflow.getHandle(certApplicationWorkflowId(id)).describe();
    assert.equal(started.status.name, 'RUNNING');
    const [row]: Array<{ workflow_round: number }> = await h.dataSource.query(`SELECT workflow_round FROM application WHERE id = $1`, [id]);
    assert.equal(row!.workflow_round, 1);
    await starter.deliverPending();
    assert.equal((await temporal.workflow.getHandle(certApplicationWorkflowId(id)).describe()).runId, started.runId);
  });

  it('end to end: return at the institution review, edit, resubmit, back to that review; expert verdicts; approved with a certificate', async () => {
    const a = h.applicant();
    const { id, records } = await complete(a);
    assert.equal((await submit(a, id)).status, 200);
    const reviewer = randomUUID();
    const task = await decide(id, 'institution-review', 1, 'return', '工作经历证明人电话有误', reviewer);
    assert.deepEqual(task.input.candidate, { role: 'institution', institutionId });
    const returned = await waitForStatus(a, id, 'returned');
    assert.deepEqual([returned.stage, returned.returnedFrom, returned.round, returned.editable], ['rectification', 'institution-review', 2, true]);
    const ret = returned.history.at(-1)!;
    assert.deepEqual([ret.action, ret.actorId, ret.opinion, ret.round, ret.stage], ['returned', reviewer, '工作经历证明人电话有误', 1, 'institution-review']);
    const events: Array<{ payload: { data: { milestone: string | null; clockPaused: boolean; dueAt: string | null; opinion: string | null } } }> = await h.dataSource.query(
      `SELECT payload FROM outbox_message WHERE message_key = $1 AND topic = 'certification.case.changed.v1' ORDER BY id`,
      [id],
    );
    const returnedEvent = events.map((e) => e.payload.data).find((d) => d.milestone === 'returned')!;
    assert.equal(returnedEvent.clockPaused, true, 'the clock pauses while the applicant rectifies');
    assert.equal(returnedEvent.opinion, '工作经历证明人电话有误');

    // The applicant corrects the record and resubmits: round 2 at the institution review.
    const fixed = await h.request('PUT', `${BASE}/${id}/records/work/${records[1]}`, { token: a.token, body: { ...COMPLETE_RECORDS.work, refereePhone: '13900000000' } });
    assert.equal(fixed.status, 200);
    const resubmitted = await submit(a, id);
    assert.equal(resubmitted.status, 200, JSON.stringify(resubmitted.body));
    assert.deepEqual([resubmitted.body.stage, resubmitted.body.round], ['institution-review', 2]);
    await decide(id, 'institution-review', 2, 'approve', '同意', reviewer);
    await settleFee(a, id);
    await decide(id, 'expert-assignment', 2, 'assign', null, randomUUID(), { expertId: EXPERT });
    const evaluation = await decide(id, 'expert-evaluation', 2, 'pass', '符合注册条件', EXPERT, { verdicts: records.map((recordId) => ({ recordId, verdict: 'pass' })) });
    assert.equal(evaluation.input.assigneeId, EXPERT);
    await decide(id, 'association-approval', 2, 'approve', '同意', randomUUID());
    await decide(id, 'association-decision', 2, 'approve', '批准注册', randomUUID());
    const done = await waitForStatus(a, id, 'approved');
    assert.equal(done.stage, 'finished');
    assert.ok(done.certificate);
    assert.equal(done.certificate.certificateNo, `QMS-${done.businessNo}`);
    assert.equal(new Date(done.certificate.validUntil).getUTCFullYear(), new Date(done.certificate.issuedAt).getUTCFullYear() + 3);
    const evaluated = done.history.find((x) => x.stage === 'expert-evaluation')!;
    assert.deepEqual(evaluated.details?.verdicts, records.map((recordId) => ({ recordId, verdict: 'pass', note: null })));
    assert.equal(evaluated.actorId, EXPERT);
    assert.deepEqual(
      done.history.map((x) => [x.action, x.round]),
      [
        ['created', 1],
        ['submitted', 1],
        ['returned', 1],
        ['resubmitted', 2],
        ['institution-review:approve', 2],
        ['paid', 2],
        ['expert-assignment:assign', 2],
        ['expert-evaluation:pass', 2],
        ['association-approval:approve', 2],
        ['approved', 2],
      ],
    );
    const issued: Array<{ payload: { data: { personId: string; certificateNo: string } } }> = await h.dataSource.query(
      `SELECT payload FROM outbox_message WHERE topic = 'certification.certificate.issued.v1' AND message_key = $1`,
      [a.id],
    );
    assert.equal(issued.length, 1);
    assert.equal(issued[0]!.payload.data.certificateNo, done.certificate.certificateNo);
    // A decided application cannot be submitted again.
    const late = await submit(a, id);
    assert.equal(late.status, 409);
    assert.equal(late.body.code, 'CERT_APPLICATION_NOT_SUBMITTABLE');
    const state = await temporal.workflow.getHandle(certApplicationWorkflowId(id)).query(certApplicationStateQuery);
    assert.equal(state.status, 'approved');
  });

  it('expert evaluation with a failed record: returned with the non-conformity in the opinion, then rejected at the association approval', async () => {
    const a = h.applicant();
    const { id, records } = await complete(a);
    await submit(a, id);
    await decide(id, 'institution-review', 1, 'approve', null, randomUUID());
    await settleFee(a, id);
    await decide(id, 'expert-assignment', 1, 'assign', null, randomUUID(), { expertId: EXPERT });
    await decide(id, 'expert-evaluation', 1, 'return', '请补正', EXPERT, {
      verdicts: records.map((recordId, i) => ({ recordId, verdict: i === 2 ? 'fail' : 'pass', note: i === 2 ? '专业工作经历不足两年' : null })),
    });
    const returned = await waitForStatus(a, id, 'returned');
    assert.equal(returned.returnedFrom, 'expert-evaluation');
    assert.match(returned.history.at(-1)!.opinion ?? '', /请补正\n不符合项：\n1\. 专业工作经历第1条：专业工作经历不足两年/);
    // Resubmitting goes back to the expert (round 2), not to the start.
    const again = await submit(a, id);
    assert.deepEqual([again.body.stage, again.body.round], ['expert-evaluation', 2]);
    await decide(id, 'expert-evaluation', 2, 'pass', null, EXPERT, { verdicts: records.map((recordId) => ({ recordId, verdict: 'pass' })) });
    await decide(id, 'association-approval', 2, 'reject', '不符合注册条件', randomUUID());
    const rejected = await waitForStatus(a, id, 'rejected');
    assert.equal(rejected.certificate, null);
    assert.equal(rejected.history.at(-1)!.action, 'rejected');
  });

  it('withdraws a draft: done in my items, not routed to the institution; again answers the same; then nothing more can be done to it', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    // Another person's id is not found, an institution account is refused, an id that is no UUID is not found.
    const other = await withdraw(h.applicant(), id);
    assert.deepEqual([other.status, other.body.code, other.body.field], [404, 'CERT_APPLICATION_NOT_FOUND', 'id']);
    const inst = h.token({ sub: randomUUID(), accountType: 'institution', roles: ['institution'], institutionId });
    assert.equal((await h.request('POST', `${BASE}/${id}/withdraw`, { token: inst })).status, 403);
    assert.equal((await h.request('POST', `${BASE}/${id}/withdraw`)).status, 401);
    assert.equal((await h.request<Body>('POST', `${BASE}/not-a-uuid/withdraw`, { token: a.token })).body.code, 'CERT_APPLICATION_NOT_FOUND');

    const first = await withdraw(a, id);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.status, first.body.stage, first.body.workflowId], ['withdrawn', 'finished', null]);
    const again = await withdraw(a, id);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    const v = await view(a, id);
    assert.deepEqual([v.status, v.editable], ['withdrawn', false]);
    assert.deepEqual(v.history.map((x) => [x.action, x.toStatus]), [['created', 'draft'], ['withdrawn', 'withdrawn']]);
    const events = (await caseEvents(id)).filter((e) => e.milestone === 'withdrawn');
    assert.equal(events.length, 1, 'one case event, not one per request');
    assert.deepEqual([events[0]!.status, events[0]!.result, events[0]!.institutionId, events[0]!.dueAt], ['done', 'withdrawn', null, null]);
    // Withdrawn is final: no submit, no edit.
    const late = await submit(a, id);
    assert.deepEqual([late.status, late.body.code], [409, 'CERT_APPLICATION_NOT_SUBMITTABLE']);
    const edit = await h.request<Body>('PUT', `${BASE}/${id}`, { token: a.token, body: completeForm(institutionId) });
    assert.deepEqual([edit.status, edit.body.code], [409, 'CERT_APPLICATION_LOCKED']);
    await assert.rejects(temporal.workflow.getHandle(certApplicationWorkflowId(id)).describe(), 'no workflow was started');
    // It no longer counts as open: the applicant may apply for the same field again.
    assert.equal((await h.create(a, { ...completeForm(institutionId), paymentBy: 'institution' })).status, 201);
  });

  it('refuses to withdraw an application under review (409 with its status and stage), changing nothing', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    await submit(a, id);
    const before = await h.snapshot(id);
    const res = await withdraw(a, id);
    assert.equal(res.status, 409);
    assert.deepEqual([res.body.code, res.body.field, res.body.details], ['CERT_APPLICATION_NOT_WITHDRAWABLE', 'status', { status: 'submitted', stage: 'institution-review' }]);
    assert.ok(typeof res.body.messageZh === 'string' && res.body.messageZh.length > 0 && typeof res.body.message === 'string');
    assert.deepEqual(await h.snapshot(id), before);
    await decide(id, 'institution-review', 1, 'reject', '非本机构人员', randomUUID());
    await waitForStatus(a, id, 'rejected');
    const decided = await withdraw(a, id);
    assert.deepEqual([decided.status, decided.body.code, decided.body.details?.status], [409, 'CERT_APPLICATION_NOT_WITHDRAWABLE', 'rejected']);
  });

  it('withdraws a case returned for rectification: the waiting workflow ends withdrawn; my items shows it done', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    await submit(a, id);
    const reviewer = randomUUID();
    await decide(id, 'institution-review', 1, 'approve', null, reviewer);
    await settleFee(a, id);
    await decide(id, 'expert-assignment', 1, 'return', '请补充审核经历', randomUUID());
    await waitForStatus(a, id, 'returned');
    const res = await withdraw(a, id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.status, res.body.round, res.body.workflowId], ['withdrawn', 2, certApplicationWorkflowId(id)]);
    const handle = temporal.workflow.getHandle(certApplicationWorkflowId(id));
    const state = (await handle.result()) as CertApplicationState;
    assert.deepEqual([state.status, state.stage, state.history.at(-1)!.action], ['withdrawn', 'finished', 'withdrawn']);
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    const v = await view(a, id);
    assert.deepEqual(v.history.slice(-2).map((x) => [x.action, x.toStatus, x.stage]), [['returned', 'returned', 'expert-assignment'], ['withdrawn', 'withdrawn', 'rectification']]);
    assert.equal(v.fee?.outcome, 'paid-online', 'the fee paid before stays paid (no refund of a paid fee yet, ADR 0012)');
    const withdrawn = (await caseEvents(id)).find((e) => e.milestone === 'withdrawn')!;
    assert.deepEqual([withdrawn.status, withdrawn.result, withdrawn.institutionId, withdrawn.clockPaused], ['done', 'withdrawn', institutionId, false]);
    const [row]: Array<{ workflow_round: number; round: number }> = await h.dataSource.query(`SELECT workflow_round, round FROM application WHERE id = $1`, [id]);
    assert.equal(row!.workflow_round, row!.round, 'delivered');
    // Again: the same answer, no second signal needed.
    assert.deepEqual((await withdraw(a, id)).body, res.body);
  });

  it('a withdrawal Temporal did not take (down at the time) is kept and delivered by the starter', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    await submit(a, id);
    await decide(id, 'institution-review', 1, 'return', '请补正', randomUUID());
    await waitForStatus(a, id, 'returned');
    // As if the signal after the commit had failed: the row says withdrawn, the workflow still waits.
    await h.dataSource.query(`UPDATE application SET status = 'withdrawn', stage = 'finished' WHERE id = $1`, [id]);
    const handle = temporal.workflow.getHandle(certApplicationWorkflowId(id));
    assert.equal((await handle.query(certApplicationStateQuery)).status, 'returned');
    await h.app.get(ApplicationWorkflowStarter).deliverPending();
    const state = (await handle.result()) as CertApplicationState;
    assert.equal(state.status, 'withdrawn');
    const [row]: Array<{ workflow_round: number; round: number }> = await h.dataSource.query(`SELECT workflow_round, round FROM application WHERE id = $1`, [id]);
    assert.equal(row!.workflow_round, row!.round);
    // Delivered once: the next run finds nothing for it.
    const [pending]: Array<{ n: string }> = await h.dataSource.query(`SELECT count(*) AS n FROM application WHERE id = $1 AND workflow_round < round`, [id]);
    assert.equal(Number(pending!.n), 0);
  });

  it('a fee child terminated by ops ends the case rejected, with the reason in the history, instead of a failed workflow', async () => {
    const a = h.applicant();
    const { id } = await complete(a);
    await submit(a, id);
    await decide(id, 'institution-review', 1, 'approve', null, randomUUID());
    const asked = await waitForStatus(a, id, 'submitted', 'payment');
    const fee = temporal.workflow.getHandle(`fee-payment:${asked.fee!.feeId}`);
    for (let i = 0; ; i++) {
      try {
        await fee.terminate('ops: stuck fee');
        break;
      } catch (err) {
        if (i > 200) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const rejected = await waitForStatus(a, id, 'rejected');
    const last = rejected.history.at(-1)!;
    assert.deepEqual([last.action, last.stage, last.toStatus, last.details?.feeFailure], ['fee-failed', 'payment', 'rejected', 'terminated']);
    assert.match(last.opinion ?? '', /系统原因/);
    // The case is recorded before the workflow returns: wait for its end, which is a completion, not a failure.
    const handle = temporal.workflow.getHandle(certApplicationWorkflowId(id));
    await handle.result();
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    const decided = (await caseEvents(id)).at(-1)!;
    assert.deepEqual([decided.milestone, decided.result], ['decided', 'rejected']);
  });

  it('a step written twice (a retried recordStep) is recorded once: one history entry, one case event, one version; an unknown application fails for good', async () => {
    const activities = h.app.get(ApplicationActivities);
    const a = h.applicant();
    const { id } = await complete(a);
    assert.equal((await submit(a, id)).status, 200);
    // The test writes the step itself: the process must not move the case meanwhile.
    await temporal.workflow.getHandle(certApplicationWorkflowId(id)).terminate('the test records the step itself');
    const versionOf = async () => Number(((await h.dataSource.query(`SELECT case_version FROM application WHERE id = $1`, [id])) as Array<{ case_version: number }>)[0]!.case_version);
    const versionBefore = await versionOf();
    const eventsBefore = (await caseEvents(id)).length;
    const step: RecordStepInput = {
      applicationId: id,
      step: 90,
      action: 'institution-review:approve',
      stage: 'institution-review',
      nextStage: 'expert-assignment',
      status: 'submitted',
      round: 1,
      actorId: null,
      opinion: '材料齐全',
      details: { outcome: 'approve' },
      milestone: null,
      institutionId,
    };
    await activities.recordStep(step);
    await activities.recordStep(step);
    await Promise.all([activities.recordStep(step), activities.recordStep(step)]);
    const v = await view(a, id);
    assert.deepEqual([v.status, v.stage], ['submitted', 'expert-assignment']);
    assert.deepEqual(v.history.filter((x) => x.action === 'institution-review:approve').map((x) => [x.stage, x.toStatus, x.opinion]), [['institution-review', 'submitted', '材料齐全']]);
    assert.equal(await versionOf(), versionBefore + 1);
    const events = await caseEvents(id);
    assert.equal(events.length, eventsBefore + 1);
    assert.deepEqual([events.at(-1)!.stage, events.at(-1)!.status, events.at(-1)!.opinion], ['expert-assignment', 'active', '材料齐全']);
    await assert.rejects(activities.recordStep({ ...step, applicationId: randomUUID() }), (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && err.type === 'UnknownApplication');
  });

  it('rectification time up (the activity): a returned case is deemed withdrawn once; a resubmitted or withdrawn one is left as it is', async () => {
    const activities = h.app.get(ApplicationActivities);
    const returnedCase = async () => {
      const a = h.applicant();
      const { id } = await complete(a);
      await submit(a, id);
      await decide(id, 'institution-review', 1, 'return', '请补正', randomUUID());
      await waitForStatus(a, id, 'returned');
      return { a, id };
    };
    const { a, id } = await returnedCase();
    const expire = (applicationId: string) => activities.expireRectification({ applicationId, round: 2, step: 90, institutionId, days: 30 });
    assert.equal(await expire(id), 'expired');
    assert.equal(await expire(id), 'expired', 'a retried activity changes nothing more');
    const v = await view(a, id);
    assert.deepEqual([v.status, v.stage, v.editable], ['withdrawn', 'finished', false]);
    assert.deepEqual(v.history.filter((x) => x.action === 'rectification-expired').map((x) => [x.toStatus, x.round, x.opinion]), [['withdrawn', 2, '退回整改后 30 日内未重新提交，申请视为撤回。']]);
    const expired = (await caseEvents(id)).filter((e) => e.milestone === 'expired');
    assert.deepEqual(expired.map((e) => [e.status, e.result, e.institutionId]), [['done', 'withdrawn', institutionId]]);
    const [row]: Array<{ workflow_round: number; round: number }> = await h.dataSource.query(`SELECT workflow_round, round FROM application WHERE id = $1`, [id]);
    assert.equal(row!.workflow_round, row!.round, 'nothing for the starter to deliver: the workflow ends itself');
    assert.deepEqual([(await submit(a, id)).body.code, (await withdraw(a, id)).body.status], ['CERT_APPLICATION_NOT_SUBMITTABLE', 'withdrawn']);
    // (Called here without the workflow's timer: the waiting workflow is ended by the test.)
    await temporal.workflow.getHandle(certApplicationWorkflowId(id)).terminate('test finished');

    const resubmitted = await returnedCase();
    assert.equal((await submit(resubmitted.a, resubmitted.id)).status, 200);
    assert.equal(await expire(resubmitted.id), 'resubmitted');
    assert.equal((await view(resubmitted.a, resubmitted.id)).status, 'submitted');
    const withdrawnCase = await returnedCase();
    assert.equal((await withdraw(withdrawnCase.a, withdrawnCase.id)).status, 200);
    assert.equal(await expire(withdrawnCase.id), 'withdrawn');
    assert.deepEqual((await caseEvents(withdrawnCase.id)).filter((e) => e.milestone === 'expired'), []);
  });
});

const EXPERT = '3f1e2d3c-4b5a-4697-8877-665544332211';
