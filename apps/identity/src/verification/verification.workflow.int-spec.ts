import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { completeTaskUpdate, WORKBENCH_TASK_QUEUE } from '@certhub/human-tasks';
import { FakeWorkbench, recordHistory, replayRecordedHistories, testEnvironment, timeSkippingEnvironment, unique } from '@certhub/testing';
import {
  identityVerification,
  submitProofUpdate,
  verificationStateQuery,
  type IdentityActivities,
  type ProviderOutcome,
  type RecordVerificationInput,
} from '@certhub/workflows-identity';

const DAY = 24 * 60 * 60 * 1000;

/** Histories recorded by these tests are replayed against the current workflow code (determinism). */
const historiesDir = () => join(testEnvironment().repoRoot, 'workflows', 'identity', 'histories');

describe('identity verification workflow (ID-12) with the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  const bundle = () => ({ codePath: join(testEnvironment().repoRoot, 'dist', 'workflow-bundles', 'identity.js') });

  // A fresh server per test: its clock starts at today, whatever the previous test skipped.
  beforeEach(async () => {
    env = await timeSkippingEnvironment();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  /** Activities that record what the workflow asked for; the provider answers as told. */
  function fakeActivities(provider: () => ProviderOutcome) {
    const recorded: RecordVerificationInput[] = [];
    const activities: IdentityActivities = {
      async checkWithVerificationProvider() {
        return { outcome: provider() };
      },
      async recordVerification(input) {
        recorded.push(input);
        return { businessNo: '20261124100007' };
      },
    };
    return { activities, recorded, workbench: new FakeWorkbench() };
  }

  const started: string[] = [];

  /**
   * Runs the scenario with a worker; whatever happens, workflows it left running are terminated,
   * since one stuck workflow would stop the test server from skipping time for the next test.
   */
  async function run<T>(fake: ReturnType<typeof fakeActivities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `identity-test-${unique.id()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle(), activities: fake.activities });
    // The staff review is a workbench task: an in-memory workbench serves its activities.
    const inbox = await Worker.create({ connection: env.nativeConnection, taskQueue: WORKBENCH_TASK_QUEUE, activities: fake.workbench.activities });
    try {
      return await inbox.runUntil(worker.runUntil(fn(taskQueue)));
    } finally {
      for (const id of started.splice(0)) await env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
    }
  }

  async function start(taskQueue: string, input: { proofWaitDays?: number; reviewWorkingDays?: number; escalationWorkingDays?: number } = {}) {
    const accountId = unique.id();
    const handle = await env.client.workflow.start(identityVerification.workflowType, {
      taskQueue,
      workflowId: identityVerification.workflowId(accountId),
      args: [{ accountId, ...input }],
    });
    started.push(handle.workflowId);
    return handle;
  }

  const saveHistory = (name: string, workflowId: string) => recordHistory(env.client, historiesDir(), name, workflowId);

  it('verified by the provider: one step, done', async () => {
    const fake = fakeActivities(() => 'verified');
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      const state = await handle.result();
      await saveHistory('verified-by-provider', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'verified');
    assert.deepEqual(fake.recorded.map((r) => [r.step, r.status]), [[1, 'verified']]);
  });

  it('not verifiable: proof, then a staff review task in the inbox, approved → verified; stale and repeated decisions are refused', async () => {
    const fake = fakeActivities(() => 'not-verifiable');
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      await waitForStatus(handle, 'awaiting-proof');
      assert.equal(fake.workbench.tasks.size, 0, 'no review task before the proof');
      const afterProof = await handle.executeUpdate(submitProofUpdate, { args: [{ proofId: 'p1', round: 1 }] });
      assert.equal(afterProof.status, 'awaiting-staff');
      const task = await fake.workbench.openTask(`${handle.workflowId}:awaiting-staff:1`);
      assert.equal(task.input.type, 'identity-verification.review');
      assert.equal(task.input.candidate.role, 'staff');
      assert.equal(task.input.case.businessNo, '20261124100007');
      assert.deepEqual(task.input.outcomes.map((o) => o.code), ['approve', 'return', 'reject', 'onsite']);
      await assert.rejects(
        handle.executeUpdate(completeTaskUpdate, { args: [{ ...FakeWorkbench.completion(task, 'approve', 'ok'), round: 2 }] }),
        (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause?.message === 'TASK_STALE_ROUND',
      );
      await assert.rejects(
        handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'reject', '')] }),
        (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause?.message === 'TASK_OPINION_REQUIRED:opinion',
      );
      const decided = await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'approve', '材料真实')], updateId: 'req-1' });
      assert.equal(decided.accepted, true);
      // The same update id again is the same update: no second decision.
      const repeated = await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'reject', 'x')], updateId: 'req-1' });
      assert.equal(repeated.outcome, 'approve');
      const state = await handle.result();
      await saveHistory('proof-approved', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'verified');
    assert.equal(result.businessNo, '20261124100007');
    assert.deepEqual(
      fake.recorded.map((r) => r.status),
      ['awaiting-proof', 'awaiting-staff', 'verified'],
    );
    assert.equal(fake.recorded[2]!.actorId, 'staff-1');
    assert.equal([...fake.workbench.tasks.values()][0]!.closed?.outcome, 'approve');
  });

  it('returned for new proof: the round advances, a new task per round, and the applicant uploads again', async () => {
    const fake = fakeActivities(() => 'not-verifiable');
    const result = await run(fake, async (tq) => {
      const handle = await start(tq);
      await waitForStatus(handle, 'awaiting-proof');
      await handle.executeUpdate(submitProofUpdate, { args: [{ proofId: 'p1', round: 1 }] });
      const round1 = await fake.workbench.openTask(`${handle.workflowId}:awaiting-staff:1`);
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(round1, 'return', '证书照片不清晰', 's')] });
      await waitForStatus(handle, 'awaiting-proof');
      await handle.executeUpdate(submitProofUpdate, { args: [{ proofId: 'p2', round: 2 }] });
      const round2 = await fake.workbench.openTask(`${handle.workflowId}:awaiting-staff:2`);
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(round2, 'reject', '学历无法核实', 's')] });
      const state = await handle.result();
      await saveHistory('returned-then-rejected', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'rejected');
    assert.equal(result.round, 2);
    assert.equal(fake.recorded.at(-1)!.reason, '学历无法核实');
    assert.equal(fake.workbench.tasks.size, 2);
  });

  it('closes as rejected when no proof arrives within the wait (30 days)', async () => {
    const fake = fakeActivities(() => 'not-verifiable');
    const started = Date.now();
    const result = await run(fake, async (tq) => {
      const handle = await start(tq, { proofWaitDays: 30 });
      const state = await handle.result();
      await saveHistory('proof-timeout', handle.workflowId);
      return state;
    });
    assert.equal(result.status, 'rejected');
    assert.equal(fake.recorded.at(-1)!.reason, 'proof-not-submitted');
    assert.ok(Date.now() - started < 60_000, 'time skipping should make 30 days pass quickly');
  });

  it('on-site review: reminded at the due date (working days), escalated to the supervisors after it, then decided', async () => {
    const fake = fakeActivities(() => 'onsite-required');
    await run(fake, async (tq) => {
      const handle = await start(tq, { reviewWorkingDays: 3, escalationWorkingDays: 2 });
      await waitForStatus(handle, 'onsite-required');
      const task = await fake.workbench.openTask(`${handle.workflowId}:onsite-required:1`);
      assert.deepEqual(task.input.outcomes.map((o) => o.code), ['approve', 'reject']);
      assert.deepEqual(task.input.escalation, { afterWorkingDays: 2, role: 'admin' });
      await env.sleep(20 * DAY);
      const state = await handle.query(verificationStateQuery);
      assert.equal(state.status, 'onsite-required');
      const seen = fake.workbench.get(task.input.key);
      assert.ok(seen.remindedAt !== null && seen.remindedAt >= Date.parse(task.created.dueAt));
      assert.ok(seen.escalatedAt !== null && seen.escalatedAt >= Date.parse(task.created.escalateAt!));
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'approve', '现场核验通过', 's')] });
      await handle.result();
      await saveHistory('onsite-reminded-approved', handle.workflowId);
    });
    assert.deepEqual(fake.recorded.map((r) => r.status), ['onsite-required', 'verified']);
  });

  it('falls back to proof upload and staff review when the provider stays unavailable for two days', async () => {
    let calls = 0;
    const fake = fakeActivities(() => 'verified');
    fake.activities.checkWithVerificationProvider = async () => {
      calls += 1;
      throw ApplicationFailure.retryable('down', 'ProviderUnavailable');
    };
    const result = await run(fake, async (tq) => {
      const handle = await start(tq, { proofWaitDays: 1 });
      return handle.result();
    });
    assert.ok(calls > 3, `retried ${calls} times`);
    assert.equal(fake.recorded[0]!.status, 'awaiting-proof');
    assert.equal(result.status, 'rejected');
  });

  async function waitForStatus(handle: { query: (q: typeof verificationStateQuery) => Promise<{ status: string }> }, status: string) {
    for (let i = 0; i < 100; i++) {
      if ((await handle.query(verificationStateQuery)).status === status) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`workflow never reached ${status}`);
  }
});

describe('identity workflow histories replay against the current code', () => {
  it('replays every recorded history without non-determinism', async () => {
    // Task keys contain the workflow id, so the replay runs under the recorded one.
    await replayRecordedHistories({
      dir: historiesDir(),
      bundlePath: join(testEnvironment().repoRoot, 'dist', 'workflow-bundles', 'identity.js'),
      minimum: 5,
      recordedBy: 'verification.workflow',
      workflowIdOf: (input) => identityVerification.workflowId(input.accountId as string),
    });
  });
});
