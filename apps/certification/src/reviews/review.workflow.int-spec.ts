import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { completeTaskUpdate, WORKBENCH_TASK_QUEUE } from '@certhub/human-tasks';
import { FakeWorkbench, recordHistory, replayRecordedHistories, testEnvironment, timeSkippingEnvironment, type FakeTask } from '@certhub/testing';
import {
  REVIEW_PLANS,
  reviewCaseStateQuery,
  reviewCaseWorkflow,
  reviewResubmitSignal,
  reviewWithdrawSignal,
  type RecordReviewStepInput,
  type ReviewCaseActivities,
  type ReviewCaseInput,
  type ReviewCaseKind,
  type ReviewCaseState,
} from '@certhub/workflows-certification';

const DAY = 24 * 60 * 60 * 1000;
const historiesDir = () => join(testEnvironment().repoRoot, 'workflows', 'certification', 'histories', 'review-cases');
const bundlePath = () => join(testEnvironment().repoRoot, 'dist', 'workflow-bundles', 'certification.js');

const APPLICANT = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
const EXPERT = '7d1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b';
const FROM = '0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d';
const TO = '1c2d3e4f-5061-4b7c-9d8e-9f0a1b2c3d4e';

/** Who decides a step in these tests, and the outcome that moves it on. */
const FORWARD: Record<string, { actor: string; outcome: string; data?: Record<string, unknown> }> = {
  'institution-review': { actor: 'inst-user-1', outcome: 'approve' },
  'transfer-out-review': { actor: 'inst-user-1', outcome: 'approve' },
  'transfer-in-review': { actor: 'inst-user-2', outcome: 'approve' },
  'association-approval': { actor: 'staff-1', outcome: 'approve' },
  'association-review': { actor: 'staff-1', outcome: 'approve' },
  'association-decision': { actor: 'admin-1', outcome: 'approve' },
  'expert-assignment': { actor: 'admin-1', outcome: 'assign', data: { expertId: EXPERT } },
  'expert-evaluation': { actor: EXPERT, outcome: 'supported' },
  'association-opinion': { actor: 'staff-1', outcome: 'uphold' },
  'association-acceptance': { actor: 'staff-1', outcome: 'accept' },
  handling: { actor: 'staff-1', outcome: 'handled' },
};

describe('review case workflows (CE-4 … CE-8) with the time-skipping server', () => {
  let env: TestWorkflowEnvironment;

  beforeEach(async () => {
    env = await timeSkippingEnvironment();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  function fakeActivities(kind: ReviewCaseKind) {
    const steps: RecordReviewStepInput[] = [];
    const effects: string[] = [];
    const activities: ReviewCaseActivities = {
      async loadReviewCase({ caseId }) {
        return { caseId, kind, businessNo: '20261124400001', applicantId: APPLICANT, institutionId: FROM, targetInstitutionId: kind === 'institution-transfer' ? TO : null, itemName: REVIEW_PLANS[kind].nameZh, itemNameEn: REVIEW_PLANS[kind].nameEn };
      },
      async recordReviewStep(input) {
        if (!steps.some((s) => s.step === input.step)) steps.push(input);
      },
      async applyReviewEffect({ caseId }) {
        effects.push(caseId);
        return { effect: REVIEW_PLANS[kind].effect!, details: { applied: true } };
      },
    };
    return { kind, activities, steps, effects, workbench: new FakeWorkbench() };
  }
  type Fake = ReturnType<typeof fakeActivities>;

  async function workers(fake: Fake, taskQueue: string, options: { maxCachedWorkflows?: number } = {}) {
    return {
      worker: await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: bundlePath() }, activities: fake.activities, ...options }),
      inbox: await Worker.create({ connection: env.nativeConnection, taskQueue: WORKBENCH_TASK_QUEUE, activities: fake.workbench.activities }),
    };
  }

  async function run<T>(fake: Fake, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `certification-test-${randomUUID()}`;
    const { worker, inbox } = await workers(fake, taskQueue);
    return inbox.runUntil(worker.runUntil(fn(taskQueue)));
  }

  async function start(fake: Fake, taskQueue: string, extra: Partial<ReviewCaseInput> = {}) {
    const caseId = randomUUID();
    const ref = reviewCaseWorkflow(fake.kind);
    return env.client.workflow.start(ref.workflowType, { taskQueue, workflowId: ref.workflowId(caseId), args: [{ caseId, kind: fake.kind, businessNo: '20261124400001', applicantId: APPLICANT, ...extra }] });
  }
  type Handle = Awaited<ReturnType<typeof start>>;

  const saveHistory = (name: string, workflowId: string) => recordHistory(env.client, historiesDir(), name, workflowId);

  async function decide(fake: Fake, handle: Handle, stage: string, round: number, outcome: string, opinion: string | null, actorId: string, data: Record<string, unknown> | null = null, attempt = 1): Promise<FakeTask> {
    const task = await fake.workbench.openTask(`${handle.workflowId}:${stage}:${round}${attempt > 1 ? `:${attempt}` : ''}`);
    await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, outcome, opinion, actorId, data)] });
    return task;
  }

  async function forward(fake: Fake, handle: Handle, stage: string, round: number): Promise<FakeTask> {
    const f = FORWARD[stage]!;
    return decide(fake, handle, stage, round, f.outcome, '同意', f.actor, f.data ?? null);
  }

  async function waitFor<T>(handle: Handle, pick: (s: ReviewCaseState) => T | null): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = pick(await handle.query(reviewCaseStateQuery));
      if (value !== null) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the workflow never got there');
  }

  for (const kind of ['annual-confirmation', 'institution-transfer', 'certificate-cancellation', 'expert-application'] as const) {
    it(`${kind}: approved straight through every review in order; the effect is applied once; every step recorded`, async () => {
      const fake = fakeActivities(kind);
      const stages = REVIEW_PLANS[kind].steps.map((s) => s.stage);
      const tasks: FakeTask[] = [];
      const result = await run(fake, async (tq) => {
        const handle = await start(fake, tq);
        for (const stage of stages) tasks.push(await forward(fake, handle, stage, 1));
        const state = await handle.result();
        await saveHistory(`${kind}-approved`, handle.workflowId);
        return state;
      });
      assert.deepEqual([result.status, result.result, result.stage], ['decided', 'approved', 'finished']);
      assert.equal(fake.effects.length, 1);
      assert.deepEqual(
        fake.steps.map((s) => [s.stage, s.nextStage, s.status]),
        stages.map((stage, i) => [stage, stages[i + 1] ?? 'finished', i === stages.length - 1 ? 'decided' : 'submitted']),
      );
      assert.equal(fake.steps.at(-1)!.milestone, 'decided');
      assert.equal(fake.steps.at(-1)!.details?.effect, REVIEW_PLANS[kind].effect);
      assert.ok(fake.steps.every((s, i) => s.step === i + 1));
      assert.deepEqual(
        tasks.map((t) => t.input.type),
        stages.map((s) => `${kind}.${s}`),
      );
      if (kind === 'institution-transfer') {
        assert.deepEqual(tasks[0]!.input.candidate, { role: 'institution', institutionId: FROM }, 'the institution left reviews first');
        assert.deepEqual(tasks[1]!.input.candidate, { role: 'institution', institutionId: TO }, 'then the institution joined');
        assert.deepEqual(tasks[2]!.input.candidate, { role: 'staff' });
        assert.deepEqual(tasks[3]!.input.candidate, { role: 'admin' });
      }
      if (kind === 'annual-confirmation') assert.deepEqual(tasks[0]!.input.candidate, { role: 'institution', institutionId: FROM });
    });
  }

  for (const [kind, returning] of [
    ['annual-confirmation', 'institution-review'],
    ['annual-confirmation', 'association-approval'],
    ['institution-transfer', 'transfer-out-review'],
    ['institution-transfer', 'transfer-in-review'],
    ['institution-transfer', 'association-review'],
    ['institution-transfer', 'association-decision'],
    ['certificate-cancellation', 'association-review'],
    ['expert-application', 'association-review'],
  ] as const) {
    it(`${kind} returned at ${returning}: resubmitted, back to ${returning} in round 2, then approved`, async () => {
      const fake = fakeActivities(kind);
      const stages = REVIEW_PLANS[kind].steps.map((s) => s.stage);
      const result = await run(fake, async (tq) => {
        const handle = await start(fake, tq);
        for (const stage of stages.slice(0, stages.indexOf(returning))) await forward(fake, handle, stage, 1);
        await decide(fake, handle, returning, 1, 'return', '请补充说明', 'reviewer-1');
        const paused = await waitFor(handle, (s) => (s.status === 'returned' ? s : null));
        assert.equal(paused.stage, 'rectification');
        // A stale resubmit (round 1) does not resume it.
        await handle.signal(reviewResubmitSignal, { round: 1 });
        assert.equal((await handle.query(reviewCaseStateQuery)).status, 'returned');
        await handle.signal(reviewResubmitSignal, { round: 2 });
        for (const stage of stages.slice(stages.indexOf(returning))) await forward(fake, handle, stage, 2);
        const state = await handle.result();
        await saveHistory(`${kind}-returned-at-${returning}`, handle.workflowId);
        return state;
      });
      assert.deepEqual([result.result, result.round], ['approved', 2]);
      const ret = fake.steps.find((s) => s.action === 'returned')!;
      assert.deepEqual([ret.stage, ret.nextStage, ret.status, ret.milestone, ret.round, ret.opinion], [returning, 'rectification', 'returned', 'returned', 1, '请补充说明']);
      const after = fake.steps[fake.steps.indexOf(ret) + 1]!;
      assert.deepEqual([after.stage, after.round], [returning, 2], 'the resubmitted case goes back to the step that returned it');
      assert.equal(fake.effects.length, 1);
    });
  }

  it('annual confirmation rejected at the association approval: decided rejected, no effect', async () => {
    const fake = fakeActivities('annual-confirmation');
    const result = await run(fake, async (tq) => {
      const handle = await start(fake, tq);
      await forward(fake, handle, 'institution-review', 1);
      await decide(fake, handle, 'association-approval', 1, 'reject', '继续教育学时不足', 'staff-1');
      const state = await handle.result();
      await saveHistory('annual-confirmation-rejected', handle.workflowId);
      return state;
    });
    assert.deepEqual([result.status, result.result], ['decided', 'rejected']);
    assert.equal(fake.effects.length, 0);
    assert.deepEqual([fake.steps.at(-1)!.result, fake.steps.at(-1)!.opinion, fake.steps.at(-1)!.milestone], ['rejected', '继续教育学时不足', 'decided']);
  });

  it('appeal: the admin assigns an expert (a non-account is asked again), only that expert evaluates, the association upholds it; no effect', async () => {
    const fake = fakeActivities('appeal');
    const result = await run(fake, async (tq) => {
      const handle = await start(fake, tq);
      const assign = await decide(fake, handle, 'expert-assignment', 1, 'assign', null, 'admin-1', { expertId: 'not-an-account' });
      assert.deepEqual(assign.input.candidate, { role: 'admin' });
      await decide(fake, handle, 'expert-assignment', 1, 'assign', null, 'admin-1', { expertId: EXPERT }, 2);
      const evaluation = await decide(fake, handle, 'expert-evaluation', 1, 'supported', '申诉理由成立', EXPERT);
      assert.equal(evaluation.input.assigneeId, EXPERT);
      assert.deepEqual(evaluation.input.candidate, { role: 'expert' });
      assert.equal(evaluation.input.case.caseType, 'appeal');
      await decide(fake, handle, 'association-opinion', 1, 'uphold', '维持申诉，撤销原决定', 'staff-1');
      const state = await handle.result();
      await saveHistory('appeal-upheld', handle.workflowId);
      return state;
    });
    assert.deepEqual([result.result, result.expertId], ['upheld', EXPERT]);
    assert.equal(fake.effects.length, 0);
    assert.deepEqual(
      fake.steps.map((s) => [s.action, s.status, s.result]),
      [
        ['expert-assignment:assign', 'submitted', null],
        ['expert-evaluation:supported', 'submitted', null],
        ['decided', 'decided', 'upheld'],
      ],
    );
    assert.equal(fake.steps[0]!.details?.expertId, EXPERT);
    assert.equal(fake.steps.at(-1)!.opinion, '维持申诉，撤销原决定', 'the association opinion is fed back to the appellant');
  });

  it('complaint: not accepted ends it with the reason; accepted, handled and fed back', async () => {
    const notAccepted = fakeActivities('complaint');
    const first = await run(notAccepted, async (tq) => {
      const handle = await start(notAccepted, tq);
      await decide(notAccepted, handle, 'association-acceptance', 1, 'not-accept', '不属于受理范围', 'staff-1');
      return handle.result();
    });
    assert.deepEqual([first.result, notAccepted.steps.length], ['not-accepted', 1]);
    const handled = fakeActivities('complaint');
    const second = await run(handled, async (tq) => {
      const handle = await start(handled, tq);
      await forward(handled, handle, 'association-acceptance', 1);
      await decide(handled, handle, 'handling', 1, 'handled', '已约谈被投诉机构并责令整改', 'staff-2');
      const state = await handle.result();
      await saveHistory('complaint-handled', handle.workflowId);
      return state;
    });
    assert.equal(second.result, 'handled');
    assert.deepEqual([handled.steps.at(-1)!.opinion, handled.steps.at(-1)!.milestone, handled.steps.at(-1)!.actorId], ['已约谈被投诉机构并责令整改', 'decided', 'staff-2']);
  });

  it('withdrawn while returned: ends at once, nothing more recorded by the workflow (the service stored it), no effect', async () => {
    const fake = fakeActivities('institution-transfer');
    const result = await run(fake, async (tq) => {
      const handle = await start(fake, tq);
      await decide(fake, handle, 'transfer-out-review', 1, 'return', '请补充转会理由文件', 'inst-user-1');
      await waitFor(handle, (s) => (s.status === 'returned' ? s : null));
      await handle.signal(reviewWithdrawSignal);
      const state = await handle.result();
      await saveHistory('institution-transfer-withdrawn', handle.workflowId);
      return state;
    });
    assert.deepEqual([result.status, result.result], ['withdrawn', 'withdrawn']);
    assert.deepEqual(fake.steps.map((s) => s.action), ['returned']);
    assert.equal(fake.effects.length, 0);
  });

  it('returned and never resubmitted: after the rectification days the case ends (expired)', async () => {
    const fake = fakeActivities('annual-confirmation');
    const result = await run(fake, async (tq) => {
      const handle = await start(fake, tq, { rectificationDays: 20 });
      await decide(fake, handle, 'institution-review', 1, 'return', '请补充专业发展内容', 'inst-user-1');
      const state = await handle.result();
      await saveHistory('annual-confirmation-rectification-expired', handle.workflowId);
      return state;
    });
    assert.deepEqual([result.status, result.result], ['withdrawn', 'withdrawn']);
    const last = fake.steps.at(-1)!;
    assert.deepEqual([last.action, last.milestone, last.actorId], ['rectification-expired', 'expired', null]);
  });

  it('a review left open: reminded at its due date, escalated to the admins after it, then decided', async () => {
    const fake = fakeActivities('complaint');
    await run(fake, async (tq) => {
      const handle = await start(fake, tq, { reviewWorkingDays: 5, escalationWorkingDays: 3 });
      const task = await fake.workbench.openTask(`${handle.workflowId}:association-acceptance:1`);
      assert.equal(task.input.dueInWorkingDays, 5);
      await env.sleep(30 * DAY);
      const seen = fake.workbench.get(task.input.key);
      assert.ok(seen.remindedAt !== null && seen.remindedAt >= Date.parse(task.created.dueAt));
      assert.ok(seen.escalatedAt !== null && seen.escalatedAt >= Date.parse(task.created.escalateAt!));
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'not-accept', '逾期处理：不予受理', 'admin-1')] });
      await handle.result();
      await saveHistory('complaint-reminded-escalated', handle.workflowId);
    });
    assert.equal(fake.steps.at(-1)!.actorId, 'admin-1');
  });

  it('a worker stopped in the middle of a transfer: a new worker resumes at the step where it stopped', async () => {
    const fake = fakeActivities('institution-transfer');
    const taskQueue = `certification-test-${randomUUID()}`;
    // No workflow cache: every task is replayed from the history, as on a worker that just started.
    const first = await workers(fake, taskQueue, { maxCachedWorkflows: 0 });
    const handle = await first.inbox.runUntil(
      first.worker.runUntil(async () => {
        const h = await start(fake, taskQueue);
        await forward(fake, h, 'transfer-out-review', 1);
        await fake.workbench.openTask(`${h.workflowId}:transfer-in-review:1`);
        return h;
      }),
    );
    // The first worker is gone; the workflow waits. A new worker (a restarted service) takes over from its history.
    const second = await workers(fake, taskQueue, { maxCachedWorkflows: 0 });
    const result = await second.inbox.runUntil(
      second.worker.runUntil(async () => {
        await forward(fake, handle, 'transfer-in-review', 1);
        await forward(fake, handle, 'association-review', 1);
        await forward(fake, handle, 'association-decision', 1);
        return handle.result();
      }),
    );
    assert.equal(result.result, 'approved');
    assert.deepEqual(
      fake.steps.map((s) => s.stage),
      ['transfer-out-review', 'transfer-in-review', 'association-review', 'association-decision'],
    );
    assert.equal(fake.effects.length, 1);
  });
});

describe('review case workflow histories replay against the current code', () => {
  it('replays every recorded history without non-determinism', async () => {
    await replayRecordedHistories({
      dir: historiesDir(),
      bundlePath: bundlePath(),
      minimum: 12,
      recordedBy: 'review.workflow',
      workflowIdOf: (input) => reviewCaseWorkflow(input.kind as ReviewCaseKind).workflowId(input.caseId as string),
    });
  });
});
