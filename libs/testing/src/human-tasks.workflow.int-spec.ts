import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { completeTaskUpdate, openTasksQuery, rescheduleTaskSignal, WORKBENCH_TASK_QUEUE, type TaskCompletion } from '@certhub/human-tasks';
import { FakeWorkbench } from './fake-workbench';
import { eventually, testEnvironment, unique } from './test-env';

// The helper of @certhub/human-tasks, tested here (beside FakeWorkbench) so that the libraries
// do not depend on each other in a circle. The sample workflow lives in human-tasks' testing folder.
interface SampleCaseInput {
  caseId: string;
  dueInWorkingDays: number;
  escalateAfterWorkingDays: number | null;
}
const resubmitSignal = 'resubmit';
const withdrawSignal = 'withdraw';
const sampleWorkflowPath = () => join(testEnvironment().repoRoot, 'dist', 'libs', 'human-tasks', 'src', 'testing', 'sample-case.workflow.js');

const HOUR = 3600_000;

describe('human tasks in a workflow (time-skipping server): due dates in working days, reminder, escalation, Update', () => {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;

  before(async () => {
    bundle = await bundleWorkflowCode({ workflowsPath: sampleWorkflowPath(), logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } });
  });
  // A fresh server per test: its clock starts at today, whatever the previous test skipped.
  beforeEach(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: testEnvironment().temporalTestServer } },
    });
  });
  afterEach(async () => {
    await env?.teardown();
  });

  /** Runs a scenario with the case worker and a fake workbench serving the task activities. */
  async function run<T>(fake: FakeWorkbench, fn: (start: (input: Partial<SampleCaseInput>) => Promise<ReturnType<typeof env.client.workflow.getHandle>>) => Promise<T>): Promise<T> {
    const taskQueue = `sample-${unique.id()}`;
    const caseWorker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    const inbox = await Worker.create({ connection: env.nativeConnection, taskQueue: WORKBENCH_TASK_QUEUE, activities: fake.activities });
    const started: string[] = [];
    const start = async (input: Partial<SampleCaseInput>) => {
      const workflowId = `sample-case:${unique.id()}`;
      await env.client.workflow.start('sampleCaseWorkflow', {
        taskQueue,
        workflowId,
        args: [{ caseId: unique.id(), dueInWorkingDays: 3, escalateAfterWorkingDays: 2, ...input }],
      });
      started.push(workflowId);
      return env.client.workflow.getHandle(workflowId);
    };
    try {
      return await inbox.runUntil(caseWorker.runUntil(fn(start)));
    } finally {
      for (const id of started) await env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
    }
  }

  it('creates the task due N working days later, reminds at the due date and escalates after it', async () => {
    const fake = new FakeWorkbench();
    await run(fake, async (start) => {
      const handle = await start({ dueInWorkingDays: 3, escalateAfterWorkingDays: 2 });
      const task = await fake.openTask('sample:');
      const dueAt = Date.parse(task.created.dueAt);
      const escalateAt = Date.parse(task.created.escalateAt!);
      assert.ok(escalateAt > dueAt);
      // Nothing happens before the due date…
      await env.sleep(dueAt - (await env.currentTimeMs()) - HOUR);
      assert.equal(fake.get(task.input.key).remindedAt, null);
      // …the reminder comes at it, the escalation only after the extra working days.
      await env.sleep(2 * HOUR);
      const reminded = fake.get(task.input.key).remindedAt;
      assert.ok(reminded !== null && reminded >= dueAt && reminded < dueAt + 2 * HOUR, `reminded at ${reminded}, due ${dueAt}`);
      assert.equal(fake.get(task.input.key).escalatedAt, null);
      await env.sleep(escalateAt - (await env.currentTimeMs()) + HOUR);
      const escalated = fake.get(task.input.key).escalatedAt;
      assert.ok(escalated !== null && escalated >= escalateAt, 'escalated after its date');
      const views = await handle.query(openTasksQuery);
      assert.deepEqual(views.map((v) => [v.reminded, v.escalated, v.decided]), [[true, true, false]]);
      // Still waiting for a person: the decision closes it.
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'approve', null)] });
      const result = (await handle.result()) as { outcomes: string[] };
      assert.deepEqual(result.outcomes, ['approve']);
      assert.equal(fake.get(task.input.key).closed?.outcome, 'approve');
    });
  });

  it('the validator refuses stale stage or round, unknown outcomes, missing opinion or data; the same Update id acts once', async () => {
    const fake = new FakeWorkbench();
    await run(fake, async (start) => {
      const handle = await start({});
      const task = await fake.openTask('sample:');
      const refused = async (completion: TaskCompletion, code: string) => {
        await assert.rejects(
          handle.executeUpdate(completeTaskUpdate, { args: [completion] }),
          (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause?.message === code,
          code,
        );
      };
      const ok = FakeWorkbench.completion(task, 'approve', null);
      await refused({ ...ok, taskKey: 'sample:other:review:1' }, 'TASK_NOT_OPEN');
      await refused({ ...ok, stage: 'approval' }, 'TASK_STALE_STAGE');
      await refused({ ...ok, round: 2 }, 'TASK_STALE_ROUND');
      await refused({ ...ok, outcome: 'publish' }, 'TASK_BAD_OUTCOME:outcome');
      await refused({ ...ok, outcome: 'return', opinion: '  ' }, 'TASK_OPINION_REQUIRED:opinion');
      await refused({ ...ok, outcome: 'reject', opinion: '材料不全', data: {} }, 'TASK_DATA_REQUIRED:data.reason');

      const reject = { ...ok, outcome: 'reject', opinion: '材料不全', data: { reason: 'incomplete' } };
      const first = await handle.executeUpdate(completeTaskUpdate, { args: [reject], updateId: 'complete-1' });
      assert.deepEqual(first, { taskKey: task.input.key, outcome: 'reject', accepted: true });
      // A retry with the same Update id is the same Update (no second decision, no refusal).
      const again = await handle.executeUpdate(completeTaskUpdate, { args: [{ ...reject, outcome: 'approve' }], updateId: 'complete-1' });
      assert.equal(again.outcome, 'reject');
      const result = (await handle.result()) as { outcomes: string[] };
      assert.deepEqual(result.outcomes, ['reject']);
      assert.equal(fake.get(task.input.key).closed?.outcome, 'reject');
    });
  });

  it('a return opens the next round as a new task; the old task no longer accepts completions', async () => {
    const fake = new FakeWorkbench();
    await run(fake, async (start) => {
      const handle = await start({});
      const round1 = await fake.openTask('sample:');
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(round1, 'return', '请补充审核记录')] });
      // The accepted Update closes the task in an activity after it: wait for that, or round 1 may still look open.
      await eventually(async () => fake.get(round1.input.key).closed, { what: 'round 1 closed' });
      await handle.signal(resubmitSignal);
      const round2 = await fake.openTask('sample:');
      assert.equal(round2.input.round, 2);
      assert.notEqual(round2.input.key, round1.input.key);
      await assert.rejects(
        handle.executeUpdate(completeTaskUpdate, { args: [{ ...FakeWorkbench.completion(round1, 'approve', null), requestId: 'late' }] }),
        (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause?.message === 'TASK_NOT_OPEN',
      );
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(round2, 'approve', null)] });
      const result = (await handle.result()) as { outcomes: string[]; opinions: string[]; rounds: number };
      assert.deepEqual(result.outcomes, ['return', 'approve']);
      assert.deepEqual(result.opinions, ['请补充审核记录', null]);
      assert.equal(result.rounds, 2);
    });
  });

  it('a reschedule moves the reminder; a withdrawn case cancels its open task', async () => {
    const fake = new FakeWorkbench();
    await run(fake, async (start) => {
      const handle = await start({ escalateAfterWorkingDays: null });
      const task = await fake.openTask('sample:');
      const later = Date.parse(task.created.dueAt) + 10 * 24 * HOUR;
      await handle.signal(rescheduleTaskSignal, { taskKey: task.input.key, dueAt: new Date(later).toISOString(), escalateAt: null });
      await env.sleep(Date.parse(task.created.dueAt) - (await env.currentTimeMs()) + HOUR);
      assert.equal(fake.get(task.input.key).remindedAt, null, 'not reminded at the old due date');
      await env.sleep(later - (await env.currentTimeMs()) + HOUR);
      assert.ok((fake.get(task.input.key).remindedAt ?? 0) >= later, 'reminded at the new due date');
      await handle.signal(withdrawSignal);
      const result = (await handle.result()) as { withdrawn: boolean };
      assert.equal(result.withdrawn, true);
      assert.equal(fake.get(task.input.key).cancelled, 'case-cancelled');
      assert.equal(fake.get(task.input.key).closed, null);
    });
  });
});
