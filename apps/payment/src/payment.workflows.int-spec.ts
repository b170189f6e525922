import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { recordHistory, replayRecordedHistories, testEnvironment, timeSkippingEnvironment, unique } from '@certhub/testing';
import { orderPayment, orderRefund, orderSettledSignal, orderStatusQuery, type OrderStatus, type PaymentActivities } from '@certhub/workflows-payment';

const HOUR = 3600_000;

/** Histories recorded by these tests are replayed against the current workflow code (determinism). */
const historiesDir = () => join(testEnvironment().repoRoot, 'workflows', 'payment', 'histories');
const bundle = () => ({ codePath: join(testEnvironment().repoRoot, 'dist', 'workflow-bundles', 'payment.js') });

describe('payment workflows with the time-skipping server', () => {
  let env: TestWorkflowEnvironment;

  beforeEach(async () => {
    env = await timeSkippingEnvironment();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  /** Activities that record what the workflow asked for, answering as told. */
  function fakeActivities(options: { atDeadline?: OrderStatus; refundFailures?: number } = {}) {
    const calls: Array<{ name: string; at: number; input: unknown }> = [];
    let refundFailures = options.refundFailures ?? 0;
    const activities: PaymentActivities = {
      async settleAtDeadline(input) {
        calls.push({ name: 'settleAtDeadline', at: await env.currentTimeMs(), input });
        return { status: options.atDeadline ?? 'expired' };
      },
      async beginRefund(input) {
        calls.push({ name: 'beginRefund', at: await env.currentTimeMs(), input });
        return [{ refundId: 'r-1', paymentId: 'p-1', amountFen: 55050 }];
      },
      async refundAtProvider(input) {
        calls.push({ name: 'refundAtProvider', at: await env.currentTimeMs(), input });
        if (refundFailures > 0) {
          refundFailures -= 1;
          throw new Error('provider unavailable');
        }
        return { confirmedAt: '2026-11-24T08:00:00.000Z' };
      },
      async completeRefund(input) {
        calls.push({ name: 'completeRefund', at: await env.currentTimeMs(), input });
      },
    };
    return { activities, calls };
  }

  async function run<T>(activities: PaymentActivities, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `payment-test-${unique.id()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle(), activities });
    return worker.runUntil(fn(taskQueue));
  }

  const saveHistory = (name: string, workflowId: string) => recordHistory(env.client, historiesDir(), name, workflowId);

  const startOrder = async (taskQueue: string, expiresAt: number) => {
    const orderId = unique.id();
    return env.client.workflow.start(orderPayment.workflowType, {
      taskQueue,
      workflowId: orderPayment.workflowId(orderId),
      args: [{ orderId, expiresAt: new Date(expiresAt).toISOString() }],
    });
  };

  it('expires exactly at the deadline: nothing before it, the deadline activity at it', async () => {
    const fake = fakeActivities();
    const result = await run(fake.activities, async (tq) => {
      const deadline = (await env.currentTimeMs()) + 2 * HOUR;
      const handle = await startOrder(tq, deadline);
      await env.sleep(2 * HOUR - 60_000);
      assert.equal(await handle.query(orderStatusQuery), 'pending');
      assert.equal(fake.calls.length, 0, 'nothing happens before the deadline');
      const r = await handle.result();
      assert.equal(fake.calls.length, 1);
      assert.ok(fake.calls[0]!.at >= deadline, `settled at ${fake.calls[0]!.at}, deadline ${deadline}`);
      assert.ok(fake.calls[0]!.at < deadline + 60_000, 'settled within a minute of the deadline');
      await saveHistory('expired-at-deadline-local-activity', handle.workflowId);
      // The settlement runs as a local activity inside the workflow task of the fired timer.
      const { events } = await handle.fetchHistory();
      const { EventType } = temporal.api.enums.v1;
      const types = (events ?? []).map((e) => e.eventType);
      assert.ok(types.includes(EventType.EVENT_TYPE_MARKER_RECORDED), 'a marker records the local activity');
      assert.ok(!types.includes(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 'no activity task');
      return r;
    });
    assert.deepEqual({ status: result.status, via: result.via }, { status: 'expired', via: 'deadline' });
  });

  it('paid before the deadline: the settled signal ends it, no deadline activity', async () => {
    const fake = fakeActivities();
    const result = await run(fake.activities, async (tq) => {
      const handle = await startOrder(tq, (await env.currentTimeMs()) + 2 * HOUR);
      await env.sleep(10 * 60_000);
      await handle.signal(orderSettledSignal, 'paid');
      const r = await handle.result();
      await saveHistory('paid-before-deadline', handle.workflowId);
      return r;
    });
    assert.deepEqual({ status: result.status, via: result.via }, { status: 'paid', via: 'signal' });
    assert.equal(fake.calls.length, 0);
  });

  it('the provider says paid at the deadline: the order ends paid', async () => {
    const fake = fakeActivities({ atDeadline: 'paid' });
    const result = await run(fake.activities, async (tq) => {
      const handle = await startOrder(tq, (await env.currentTimeMs()) + HOUR);
      const r = await handle.result();
      await saveHistory('paid-at-deadline-local-activity', handle.workflowId);
      return r;
    });
    assert.deepEqual({ status: result.status, via: result.via }, { status: 'paid', via: 'deadline' });
    assert.deepEqual(fake.calls.map((c) => c.name), ['settleAtDeadline']);
  });

  it('started after its deadline (a late start): settles at once, the deadline does not move', async () => {
    const fake = fakeActivities();
    const result = await run(fake.activities, async (tq) => {
      const now = await env.currentTimeMs();
      const handle = await startOrder(tq, now - 5000);
      const r = await handle.result();
      assert.ok(fake.calls[0]!.at < now + 60_000);
      await saveHistory('late-start-local-activity', handle.workflowId);
      return r;
    });
    assert.equal(result.status, 'expired');
  });

  it('refund: the provider fails three times, the retry policy retries until it confirms; completed once', async () => {
    const fake = fakeActivities({ refundFailures: 3 });
    const result = await run(fake.activities, async (tq) => {
      const orderId = unique.id();
      const handle = await env.client.workflow.start(orderRefund.workflowType, {
        taskQueue: tq,
        workflowId: orderRefund.workflowId(orderId),
        args: [{ orderId, reason: 'requested' }],
      });
      const r = await handle.result();
      await saveHistory('refund-retried', handle.workflowId);
      return r;
    });
    assert.deepEqual(
      fake.calls.map((c) => c.name),
      ['beginRefund', 'refundAtProvider', 'refundAtProvider', 'refundAtProvider', 'refundAtProvider', 'completeRefund'],
    );
    assert.deepEqual(fake.calls.at(-1)!.input, { refundId: 'r-1', reason: 'requested', confirmedAt: '2026-11-24T08:00:00.000Z' });
    assert.equal(result.refunded.length, 1);
  });
});

describe('payment workflow histories replay against the current code', () => {
  // Histories from before the local-activity patch (expired-at-deadline, paid-at-deadline) run the
  // deadline as a normal activity; the *-local-activity ones as a local activity.
  it('replays every recorded history without non-determinism', async () => {
    await replayRecordedHistories({ dir: historiesDir(), bundlePath: bundle().codePath, minimum: 4, recordedBy: 'payment.workflows' });
  });
});
