import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { completeTaskUpdate, WORKBENCH_TASK_QUEUE } from '@certhub/human-tasks';
import { FakeWorkbench, recordHistory, replayRecordedHistories, testEnvironment, timeSkippingEnvironment, type FakeTask } from '@certhub/testing';
import {
  certApplication,
  certApplicationStateQuery,
  resubmitSignal,
  withdrawSignal,
  type ApplicationSnapshot,
  type CertApplicationInput,
  type CertApplicationState,
  type CertificationActivities,
  type RecordStepInput,
  type RectificationExpiry,
} from '@certhub/workflows-certification';
import type { FeeOutcome } from '@certhub/workflows-payment';

const DAY = 24 * 60 * 60 * 1000;
const historiesDir = () => join(testEnvironment().repoRoot, 'workflows', 'certification', 'histories');
const bundlePath = () => join(testEnvironment().repoRoot, 'dist', 'workflow-bundles', 'certification.js');

const EXPERT = '7d1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b';
const INSTITUTION = '0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d';

describe('registration application workflow (CE-3) with the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let fakeFeeBundle: string;

  before(async () => {
    // The fee child's stand-in (same workflow type) on the payment queue.
    fakeFeeBundle = (
      await bundleWorkflowCode({
        workflowsPath: join(testEnvironment().repoRoot, 'dist', 'workflows', 'certification', 'src', 'testing', 'fake-fee.workflow.js'),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      })
    ).code;
  });

  beforeEach(async () => {
    env = await timeSkippingEnvironment();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  function fakeActivities(paymentBy: 'person' | 'institution', feeFen = 50_000) {
    const steps: RecordStepInput[] = [];
    const certificates: string[] = [];
    const expiries: Array<{ round: number; days: number; at: number }> = [];
    const expiry: { answer: RectificationExpiry } = { answer: 'expired' };
    const snapshot = (applicationId: string): ApplicationSnapshot => ({
      applicationId,
      businessNo: '20261124300001',
      applicantId: APPLICANT,
      institutionId: INSTITUTION,
      paymentBy,
      itemName: '人员注册申请（体系认证审核员：QMS）',
      itemNameEn: 'Personnel registration application (System auditor: QMS)',
      feeFen,
      records: [
        { id: 'r-edu', kind: 'education', position: 1, labelZh: '教育经历第1条' },
        { id: 'r-work', kind: 'work', position: 1, labelZh: '工作经历第1条' },
      ],
    });
    const activities: CertificationActivities = {
      async loadApplication({ applicationId }) {
        return snapshot(applicationId);
      },
      async recordStep(input) {
        if (!steps.some((s) => s.step === input.step)) steps.push(input);
      },
      async expireRectification({ round, days }) {
        expiries.push({ round, days, at: Date.now() });
        return expiry.answer;
      },
      async issueCertificate({ applicationId }) {
        certificates.push(applicationId);
        return { certificateId: 'c-1', certificateNo: 'CCAA-2026-QMS-000001', issuedAt: new Date().toISOString(), validUntil: new Date(Date.now() + 3 * 365 * DAY).toISOString() };
      },
    };
    return { activities, steps, certificates, expiries, expiry, workbench: new FakeWorkbench() };
  }
  const APPLICANT = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';

  const started: string[] = [];
  async function run<T>(fake: ReturnType<typeof fakeActivities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `certification-test-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: bundlePath() }, activities: fake.activities });
    const inbox = await Worker.create({ connection: env.nativeConnection, taskQueue: WORKBENCH_TASK_QUEUE, activities: fake.workbench.activities });
    const payment = await Worker.create({ connection: env.nativeConnection, taskQueue: 'payment', workflowBundle: { code: fakeFeeBundle } });
    try {
      return await payment.runUntil(inbox.runUntil(worker.runUntil(fn(taskQueue))));
    } finally {
      for (const id of started.splice(0)) await env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
    }
  }

  async function start(taskQueue: string, extra: Partial<CertApplicationInput> = {}) {
    const applicationId = randomUUID();
    const handle = await env.client.workflow.start(certApplication.workflowType, {
      taskQueue,
      workflowId: certApplication.workflowId(applicationId),
      args: [{ applicationId, businessNo: '20261124300001', applicantId: APPLICANT, ...extra }],
    });
    started.push(handle.workflowId);
    return handle;
  }
  type Handle = Awaited<ReturnType<typeof start>>;

  /** Record mode writes new histories only: the recorded ones stand for cases still running on older code. */
  const saveHistory = (name: string, workflowId: string) => recordHistory(env.client, historiesDir(), name, workflowId);

  async function decide(fake: ReturnType<typeof fakeActivities>, handle: Handle, stage: string, round: number, outcome: string, opinion: string | null, actorId: string, data: Record<string, unknown> | null = null): Promise<FakeTask> {
    const task = await fake.workbench.openTask(`${handle.workflowId}:${stage}:${round}`);
    await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, outcome, opinion, actorId, data)] });
    return task;
  }

  /** The institution review approves and the fee child (every payer pays now) is paid online. */
  async function approvedAndPaid(fake: ReturnType<typeof fakeActivities>, handle: Handle, round = 1) {
    await decide(fake, handle, 'institution-review', round, 'approve', null, 'inst-user-1');
    await settleFee(handle, 'paid-online');
  }

  const PASS_ALL = { verdicts: [{ recordId: 'r-edu', verdict: 'pass' }, { recordId: 'r-work', verdict: 'pass' }] };

  /** institution → (payment) → assignment → evaluation → approval → decision, every step forward. */
  async function straight(fake: ReturnType<typeof fakeActivities>, handle: Handle, round = 1) {
    await decide(fake, handle, 'expert-assignment', round, 'assign', null, 'admin-1', { expertId: EXPERT });
    const evaluation = await decide(fake, handle, 'expert-evaluation', round, 'pass', '符合要求', EXPERT, PASS_ALL);
    assert.equal(evaluation.input.assigneeId, EXPERT, 'the evaluation is the assigned expert\'s task alone');
    assert.equal(evaluation.input.candidate.role, 'expert');
    await decide(fake, handle, 'association-approval', round, 'approve', '同意', 'staff-1');
    await decide(fake, handle, 'association-decision', round, 'approve', '批准注册', 'admin-1');
  }

  async function settleFee(handle: Handle, outcome: FeeOutcome) {
    const feeId = await waitFor(handle, (s) => (s.stage === 'payment' && s.feeId ? s.feeId : null));
    for (let i = 0; ; i++) {
      try {
        await env.client.workflow.getHandle(`fee-payment:${feeId}`).signal('settleFakeFee', outcome);
        return feeId;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  it('straight approval, institution pays: every review in order, the institution\'s fee child, certificate issued, every step recorded', async () => {
    const fake = fakeActivities('institution');
    let feeInput: { payer: { kind: string; accountId: string; institutionId?: string | null }; amountFen: number } | undefined;
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      const review = await decide(fake, handle, 'institution-review', 1, 'approve', '初核通过', 'inst-user-1');
      assert.deepEqual(review.input.candidate, { role: 'institution', institutionId: INSTITUTION });
      assert.equal(review.input.type, 'cert-registration.institution-review');
      assert.equal(review.input.case.businessNo, '20261124300001');
      const feeId = await settleFee(handle, 'paid-offline');
      feeInput = await env.client.workflow.getHandle(`fee-payment:${feeId}`).query('fakeFeeInput');
      await straight(fake, handle);
      const state = await handle.result();
      await saveHistory('approved-institution-pays-fee', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'approved');
    assert.equal(result.certificateNo, 'CCAA-2026-QMS-000001');
    assert.equal(fake.certificates.length, 1);
    // Any user of the institution pays; the paying account is the institution user who approved the initial review.
    assert.deepEqual(feeInput?.payer, { kind: 'institution', accountId: 'inst-user-1', institutionId: INSTITUTION });
    assert.equal(feeInput?.amountFen, 50_000);
    const asked = fake.steps[0]!;
    assert.match(asked.opinion ?? '', /^待执业机构缴纳注册费 500\.00 元$/);
    assert.equal(asked.details?.payerKind, 'institution');
    assert.equal(asked.details?.reviewOpinion, '初核通过');
    assert.deepEqual([fake.steps[1]!.action, fake.steps[1]!.actorId, fake.steps[1]!.details?.payerKind], ['paid', 'inst-user-1', 'institution']);
    assert.deepEqual(
      fake.steps.map((s) => [s.stage, s.nextStage, s.status, s.milestone]),
      [
        // The applicant is not asked to act: no milestone (the institution pays).
        ['institution-review', 'payment', 'submitted', null],
        ['payment', 'expert-assignment', 'submitted', null],
        ['expert-assignment', 'expert-evaluation', 'submitted', null],
        ['expert-evaluation', 'association-approval', 'submitted', null],
        ['association-approval', 'association-decision', 'submitted', null],
        ['association-decision', 'finished', 'approved', 'decided'],
      ],
    );
    assert.equal(fake.steps[2]!.details?.expertId, EXPERT);
    assert.equal(fake.steps[0]!.actorId, 'inst-user-1');
    assert.ok(fake.steps.every((s, i) => s.step === i + 1 && s.institutionId === INSTITUTION));
  });

  it('payment by person: asked to pay (action required), the fee child is paid by voucher, then the reviews go on', async () => {
    const fake = fakeActivities('person');
    let paidFee = '';
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      await decide(fake, handle, 'institution-review', 1, 'approve', null, 'inst-user-1');
      const feeId = await settleFee(handle, 'paid-offline');
      paidFee = feeId;
      const feeInput = await env.client.workflow.getHandle(`fee-payment:${feeId}`).query<{ amountFen: number; payer: { kind: string; accountId: string }; case: { caseId: string } }>('fakeFeeInput');
      assert.equal(feeInput.amountFen, 50_000);
      assert.deepEqual(feeInput.payer, { kind: 'person', accountId: APPLICANT });
      await straight(fake, handle);
      const state = await handle.result();
      await saveHistory('approved-person-pays-by-voucher', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'approved');
    const asked = fake.steps[0]!;
    assert.equal(asked.nextStage, 'payment');
    assert.equal(asked.milestone, 'action-required');
    assert.match(asked.opinion ?? '', /500\.00 元/);
    assert.equal(asked.details?.feeId, paidFee, 'the case names the fee before the applicant pays it');
    const paid = fake.steps[1]!;
    assert.deepEqual([paid.action, paid.stage, paid.nextStage, paid.details?.feeOutcome], ['paid', 'payment', 'expert-assignment', 'paid-offline']);
  });

  it('payment by person left unpaid: the fee expires and the case ends rejected', async () => {
    const fake = fakeActivities('person');
    const result = await run(fake, async (tq) => {
      const handle = await start(tq, { feeDueDays: 10 });
      await decide(fake, handle, 'institution-review', 1, 'approve', null, 'inst-user-1');
      const state = await handle.result();
      await saveHistory('fee-expired', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'rejected');
    assert.deepEqual([fake.steps.at(-1)!.action, fake.steps.at(-1)!.milestone], ['fee-unpaid', 'expired']);
    assert.equal(fake.workbench.tasks.size, 1, 'no expert was assigned');
  });

  for (const returning of ['institution-review', 'expert-assignment', 'expert-evaluation', 'association-approval', 'association-decision'] as const) {
    it(`returned at ${returning}: the applicant resubmits and the case goes back to ${returning} in round 2`, async () => {
      const fake = fakeActivities('institution');
      const result = await run(fake, async (tq) => {
        const handle = await start(tq);
        const order = ['institution-review', 'expert-assignment', 'expert-evaluation', 'association-approval', 'association-decision'];
        const forward = async (stage: string, round: number) => {
          if (stage === 'institution-review') await approvedAndPaid(fake, handle, round);
          if (stage === 'expert-assignment') await decide(fake, handle, stage, round, 'assign', null, 'admin-1', { expertId: EXPERT });
          if (stage === 'expert-evaluation') await decide(fake, handle, stage, round, 'pass', null, EXPERT, PASS_ALL);
          if (stage === 'association-approval') await decide(fake, handle, stage, round, 'approve', null, 'staff-1');
          if (stage === 'association-decision') await decide(fake, handle, stage, round, 'approve', null, 'admin-1');
        };
        for (const stage of order.slice(0, order.indexOf(returning))) await forward(stage, 1);
        const data = returning === 'expert-evaluation' ? { verdicts: [{ recordId: 'r-edu', verdict: 'pass' }, { recordId: 'r-work', verdict: 'fail', note: '证明人电话无法联系' }] } : null;
        await decide(fake, handle, returning, 1, 'return', '请补充材料', returning === 'expert-evaluation' ? EXPERT : 'reviewer-1', data);
        const paused = await waitFor(handle, (s) => (s.status === 'returned' ? s : null));
        assert.equal(paused.stage, 'rectification');
        assert.equal(paused.returnedFrom, returning);
        // A stale resubmit signal (round 1) does not resume it.
        await handle.signal(resubmitSignal, { round: 1 });
        assert.equal((await handle.query(certApplicationStateQuery)).status, 'returned');
        await handle.signal(resubmitSignal, { round: 2 });
        for (const stage of order.slice(order.indexOf(returning))) await forward(stage, 2);
        const state = await handle.result();
        await saveHistory(`returned-at-${returning}-fee`, handle.workflowId);
        return state;
      });
      assert.equal(result.status, 'approved');
      assert.equal(result.round, 2);
      const ret = fake.steps.find((s) => s.action === 'returned')!;
      assert.deepEqual([ret.stage, ret.nextStage, ret.status, ret.milestone, ret.round], [returning, 'rectification', 'returned', 'returned', 1]);
      if (returning === 'expert-evaluation') {
        assert.match(ret.opinion ?? '', /请补充材料\n不符合项：\n1\. 工作经历第1条：证明人电话无法联系/);
        assert.deepEqual(ret.details?.nonConformities, ['工作经历第1条：证明人电话无法联系']);
      }
      const after = fake.steps[fake.steps.indexOf(ret) + 1]!;
      assert.equal(after.stage, returning, 'the resubmitted case goes back to the step that returned it');
      assert.equal(after.round, 2);
    });
  }

  it('rejected at the expert evaluation: the case ends, the failed records are the non-conformities, no certificate', async () => {
    const fake = fakeActivities('institution');
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      await approvedAndPaid(fake, handle);
      await decide(fake, handle, 'expert-assignment', 1, 'assign', null, 'admin-1', { expertId: EXPERT });
      // A verdict missing for a record: the expert is asked again with a new task.
      await decide(fake, handle, 'expert-evaluation', 1, 'reject', '不具备条件', EXPERT, { verdicts: [{ recordId: 'r-edu', verdict: 'fail' }] });
      const again = await fake.workbench.openTask(`${handle.workflowId}:expert-evaluation:1:2`);
      assert.equal(again.input.assigneeId, EXPERT);
      await handle.executeUpdate(completeTaskUpdate, {
        args: [FakeWorkbench.completion(again, 'reject', '不具备条件', EXPERT, { verdicts: [{ recordId: 'r-edu', verdict: 'fail', note: '学历不符' }, { recordId: 'r-work', verdict: 'fail' }] })],
      });
      const state = await handle.result();
      await saveHistory('rejected-at-expert-evaluation-fee', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'rejected');
    assert.equal(fake.certificates.length, 0);
    const last = fake.steps.at(-1)!;
    assert.deepEqual([last.action, last.stage, last.status, last.milestone], ['rejected', 'expert-evaluation', 'rejected', 'decided']);
    assert.deepEqual(last.details?.nonConformities, ['教育经历第1条：学历不符', '工作经历第1条：不符合要求']);
  });

  it('an expert id that is not an account is not taken: the admin is asked again', async () => {
    const fake = fakeActivities('institution');
    await run(fake, async (tq) => {
      const handle = await start(tq);
      await decide(fake, handle, 'institution-review', 1, 'reject', '非本机构人员', 'inst-user-1');
      await handle.result();
    });
    assert.equal(fake.steps.at(-1)!.status, 'rejected');
    const fake2 = fakeActivities('institution');
    await run(fake2, async (tq) => {
      const handle = await start(tq);
      await approvedAndPaid(fake2, handle);
      await decide(fake2, handle, 'expert-assignment', 1, 'assign', null, 'admin-1', { expertId: 'someone' });
      const again = await fake2.workbench.openTask(`${handle.workflowId}:expert-assignment:1:2`);
      assert.equal(again.input.candidate.role, 'admin');
    });
  });

  it('a review left open: reminded at its due date, escalated to the admins after it, then decided', async () => {
    const fake = fakeActivities('institution');
    await run(fake, async (tq) => {
      const handle = await start(tq, { reviewWorkingDays: 5, escalationWorkingDays: 3 });
      const task = await fake.workbench.openTask(`${handle.workflowId}:institution-review:1`);
      assert.deepEqual(task.input.escalation, { afterWorkingDays: 3, role: 'admin' });
      await env.sleep(30 * DAY);
      const seen = fake.workbench.get(task.input.key);
      assert.ok(seen.remindedAt !== null && seen.remindedAt >= Date.parse(task.created.dueAt));
      assert.ok(seen.escalatedAt !== null && seen.escalatedAt >= Date.parse(task.created.escalateAt!));
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'reject', '逾期未补', 'admin-1')] });
      await handle.result();
      await saveHistory('reminded-escalated-rejected', handle.workflowId);
    });
    assert.equal(fake.steps.at(-1)!.actorId, 'admin-1');
  });

  it('withdrawn while returned for rectification: the workflow ends withdrawn, no task or fee is left; a stale withdrawal is ignored', async () => {
    const fake = fakeActivities('institution');
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      // A withdrawal of the round under review (the service never sends one) changes nothing.
      await fake.workbench.openTask(`${handle.workflowId}:institution-review:1`);
      await handle.signal(withdrawSignal, { round: 1 });
      await approvedAndPaid(fake, handle);
      await decide(fake, handle, 'expert-assignment', 1, 'return', '请补充继续教育记录', 'admin-1');
      await waitFor(handle, (s) => (s.status === 'returned' ? s : null));
      await handle.signal(withdrawSignal, { round: 2 });
      const state = await handle.result();
      await saveHistory('withdrawn-while-returned', handle.workflowId);
      return state;
    });
    assert.deepEqual([result.status, result.stage, result.round], ['withdrawn', 'finished', 1]);
    assert.deepEqual(result.history.at(-1)!.action, 'withdrawn');
    assert.equal(result.history.at(-1)!.actorId, APPLICANT);
    // The service recorded the withdrawal itself: the workflow's last written step is the return.
    assert.deepEqual(fake.steps.at(-1)!.action, 'returned');
    assert.ok([...fake.workbench.tasks.values()].every((t) => t.closed !== null || t.cancelled !== null), 'no task left open');
  });

  it('a fee child that fails on its input (amount 0) ends the case rejected, visibly, with the reason in the history', async () => {
    const fake = fakeActivities('person', 0);
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      await decide(fake, handle, 'institution-review', 1, 'approve', null, 'inst-user-1');
      const state = await handle.result();
      await saveHistory('fee-invalid-input', handle.workflowId);
      return state;
    });
    assert.deepEqual([result.status, result.stage], ['rejected', 'finished']);
    const last = fake.steps.at(-1)!;
    assert.deepEqual([last.action, last.stage, last.nextStage, last.status, last.milestone], ['fee-failed', 'payment', 'finished', 'rejected', 'decided']);
    assert.equal(last.details?.feeFailure, 'invalid-fee');
    assert.match(String(last.details?.reason), /amountFen/);
    assert.match(last.opinion ?? '', /系统原因/);
    assert.equal(fake.workbench.tasks.size, 1, 'no expert was assigned');
  });

  it('a returned case not resubmitted within the rectification days is deemed withdrawn (the database agrees)', async () => {
    const fake = fakeActivities('institution');
    const result = await run(fake, async (tq) => {
      const handle = await start(tq, { rectificationDays: 30 });
      await decide(fake, handle, 'institution-review', 1, 'return', '请补正', 'inst-user-1');
      const state = await handle.result();
      await saveHistory('rectification-expired', handle.workflowId);
      return state;
    });
    assert.deepEqual([result.status, result.stage, result.history.at(-1)!.action], ['withdrawn', 'finished', 'rectification-expired']);
    assert.deepEqual(fake.expiries.map((e) => [e.round, e.days]), [[2, 30]]);
    assert.equal(fake.steps.at(-1)!.action, 'returned');
  });

  it('rectification time up but the applicant resubmitted a moment before: the workflow waits for that resubmit and goes on', async () => {
    const fake = fakeActivities('institution');
    fake.expiry.answer = 'resubmitted';
    const result = await run(fake, async (tq) => {
      const handle = await start(tq, { rectificationDays: 30 });
      await decide(fake, handle, 'institution-review', 1, 'return', '请补正', 'inst-user-1');
      await env.sleep(31 * DAY);
      assert.equal(fake.expiries.length, 1);
      assert.equal((await handle.query(certApplicationStateQuery)).status, 'returned', 'still waiting for the resubmit signal');
      await handle.signal(resubmitSignal, { round: 2 });
      await decide(fake, handle, 'institution-review', 2, 'reject', '不符合条件', 'inst-user-1');
      return handle.result();
    });
    assert.deepEqual([result.status, result.round], ['rejected', 2]);
  });

  // A fee child terminated by ops is tested on the dev server (submit.int-spec): the time-skipping
  // server does not tell the parent of a terminated child.

  async function waitFor<T>(handle: Handle, pick: (s: CertApplicationState) => T | null): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = pick(await handle.query(certApplicationStateQuery));
      if (value !== null) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the workflow never got there');
  }
});

describe('certification workflow histories replay against the current code', () => {
  it('replays every recorded history without non-determinism', async () => {
    await replayRecordedHistories({
      dir: historiesDir(),
      bundlePath: bundlePath(),
      minimum: 8,
      recordedBy: 'application.workflow',
      workflowIdOf: (input) => certApplication.workflowId(input.applicationId as string),
    });
  });
});
