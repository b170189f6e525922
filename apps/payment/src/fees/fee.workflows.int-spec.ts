import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { completeTaskUpdate, openTasksQuery, WORKBENCH_TASK_QUEUE } from '@certhub/human-tasks';
import { eventually, FakeWorkbench, recordHistory, replayRecordedHistories, testEnvironment, timeSkippingEnvironment, unique } from '@certhub/testing';
import {
  cancelFeeSignal,
  FEE_VOUCHER_TASK_TYPE,
  feePayment,
  feeRefund,
  feeSettledSignal,
  feeStateQuery,
  PAYMENT_TASK_QUEUE,
  submitVoucherUpdate,
  type FeeActivities,
  type FeePaymentInput,
  type FeePaymentResult,
  type FeeSnapshot,
  type FeeWorkflowState,
  type PaymentActivities,
} from '@certhub/workflows-payment';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Histories of the fee workflow, replayed below under their recorded workflow ids (task keys contain them). */
const historiesDir = () => join(testEnvironment().repoRoot, 'workflows', 'payment', 'histories', 'fee-payment');
const bundle = () => ({ codePath: join(testEnvironment().repoRoot, 'dist', 'workflow-bundles', 'payment.js') });
const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

type FeeWorkflow = NonNullable<(typeof feePayment)['__workflow']>;
type Handle = WorkflowHandle<FeeWorkflow>;

/** The fee as the fake payment service holds it; activities record what the workflow asked for. */
class FakeFees {
  readonly calls: Array<{ name: string; at: number; input: Record<string, unknown> }> = [];
  readonly fees = new Map<string, FeeSnapshot>();
  /** The provider answers "paid" when asked at the deadline or at a cancel. */
  paidAtProvider = false;
  refundFailures = 0;

  constructor(private readonly now: () => Promise<number>) {}

  private async record(name: string, input: object) {
    this.calls.push({ name, at: await this.now(), input: input as Record<string, unknown> });
  }

  names(): string[] {
    return this.calls.map((c) => c.name);
  }

  /** What the notification endpoint does for a verified online payment. */
  payOnline(feeId: string, paymentId: string = randomUUID()): void {
    const fee = this.fees.get(feeId)!;
    if (fee.status === 'pending') this.fees.set(feeId, { ...fee, status: 'paid', paidVia: 'online', paymentId, paidAt: new Date().toISOString(), closedAt: new Date().toISOString() });
  }

  private close(feeId: string, status: 'expired' | 'cancelled'): FeeSnapshot {
    const fee = this.fees.get(feeId)!;
    if (fee.status !== 'pending') return fee;
    if (this.paidAtProvider) this.payOnline(feeId, 'p-at-provider');
    else this.fees.set(feeId, { ...fee, status, closedAt: new Date().toISOString() });
    return this.fees.get(feeId)!;
  }

  readonly activities: FeeActivities & Pick<PaymentActivities, 'refundAtProvider'> = {
    openFee: async (input) => {
      await this.record('openFee', input);
      if (!this.fees.has(input.feeId)) {
        this.fees.set(input.feeId, { feeId: input.feeId, status: 'pending', paidVia: null, paidAt: null, paymentId: null, voucherId: null, invoiceNo: null, closedAt: null });
      }
      return this.fees.get(input.feeId)!;
    },
    readFee: async (input) => {
      await this.record('readFee', input);
      return this.fees.get(input.feeId)!;
    },
    decideVoucher: async (input) => {
      await this.record('decideVoucher', input);
      const fee = this.fees.get(input.feeId)!;
      if (fee.status === 'pending' && input.outcome === 'accepted') {
        this.fees.set(input.feeId, { ...fee, status: 'paid', paidVia: 'voucher', voucherId: input.voucherId, paidAt: input.decidedAt, invoiceNo: 'FP2026112400000001', closedAt: input.decidedAt });
      }
      return this.fees.get(input.feeId)!;
    },
    expireFee: async (input) => {
      await this.record('expireFee', input);
      return this.close(input.feeId, 'expired');
    },
    cancelFee: async (input) => {
      await this.record('cancelFee', input);
      return this.close(input.feeId, 'cancelled');
    },
    beginFeeRefund: async (input) => {
      await this.record('beginFeeRefund', input);
      return { refundId: 'r-1', amountFen: 80000 };
    },
    refundAtProvider: async (input) => {
      await this.record('refundAtProvider', input);
      if (this.refundFailures > 0) {
        this.refundFailures -= 1;
        throw new Error('provider unavailable');
      }
      return { confirmedAt: '2026-11-24T08:00:00.000Z' };
    },
    completeFeeRefund: async (input) => {
      await this.record('completeFeeRefund', input);
    },
  };
}

function feeInput(dueAt: number, overrides: Partial<FeePaymentInput> = {}): FeePaymentInput {
  return {
    feeId: randomUUID(),
    case: {
      domain: 'certification',
      caseType: 'cert-registration',
      caseId: randomUUID(),
      businessNo: '20261124100012',
      itemName: '人员注册申请',
      itemNameEn: 'Personnel registration application',
    },
    payer: { kind: 'person', accountId: randomUUID() },
    amountFen: 80000,
    purpose: 'cert-registration',
    invoice: { type: 'personal', title: '张伟' },
    dueAt: new Date(dueAt).toISOString(),
    ...overrides,
  };
}

const rejectedWith = (message: string) => (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause?.message === message;

describe('fee payment workflow (CE-3 fee as a child workflow) with the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let parentBundle: WorkflowBundleWithSourceMap;
  const started: string[] = [];

  before(async () => {
    parentBundle = await bundleWorkflowCode({
      workflowsPath: join(testEnvironment().repoRoot, 'dist', 'workflows', 'payment', 'src', 'testing', 'fee-parent.workflow.js'),
      logger: silent,
    });
  });
  // A fresh server per test: its clock starts at today, whatever the previous test skipped.
  beforeEach(async () => {
    env = await timeSkippingEnvironment();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  /**
   * Runs a scenario with the payment worker (the real queue name: the child is started on it),
   * an in-memory workbench, and optionally the parent's worker; workflows left running are
   * terminated (a stuck one would stop the server from skipping time).
   */
  async function run<T>(fn: (ctx: { fees: FakeFees; workbench: FakeWorkbench }) => Promise<T>, options: { parentQueue?: string } = {}): Promise<{ value: T; fees: FakeFees; workbench: FakeWorkbench }> {
    const fees = new FakeFees(() => env.currentTimeMs());
    const workbench = new FakeWorkbench();
    const payment = await Worker.create({ connection: env.nativeConnection, taskQueue: PAYMENT_TASK_QUEUE, workflowBundle: bundle(), activities: fees.activities });
    const inbox = await Worker.create({ connection: env.nativeConnection, taskQueue: WORKBENCH_TASK_QUEUE, activities: workbench.activities });
    const parent = options.parentQueue ? await Worker.create({ connection: env.nativeConnection, taskQueue: options.parentQueue, workflowBundle: parentBundle }) : undefined;
    try {
      const body = inbox.runUntil(payment.runUntil(fn({ fees, workbench })));
      return { value: await (parent ? parent.runUntil(body) : body), fees, workbench };
    } finally {
      for (const id of started.splice(0)) await env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
    }
  }

  async function startFee(input: FeePaymentInput): Promise<Handle> {
    const handle = await env.client.workflow.start<FeeWorkflow>(feePayment.workflowType, { taskQueue: feePayment.taskQueue, workflowId: feePayment.workflowId(input.feeId), args: [input] });
    started.push(handle.workflowId);
    return handle;
  }

  async function stage(handle: Handle, wanted: FeeWorkflowState['stage']): Promise<FeeWorkflowState> {
    for (let i = 0; i < 200; i++) {
      // A child is queried before its parent has started it: not found yet, ask again.
      const state = await handle.query(feeStateQuery).catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
      if (state?.stage === wanted) return state;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`fee workflow never reached ${wanted}`);
  }

  /** Waits until the workflow has the task's creation (its id) in its open tasks. */
  const taskRecorded = (handle: Handle, key: string) =>
    eventually(async () => (await handle.query(openTasksQuery)).some((t) => t.key === key && t.taskId !== null), { what: `the workflow recording task ${key}`, intervalMs: 25, timeoutMs: 5_000 });

  const saveHistory = (name: string, workflowId: string) => recordHistory(env.client, historiesDir(), name, workflowId);

  const voucherKey = (input: FeePaymentInput, round: number) => `${feePayment.workflowId(input.feeId)}:voucher-check:${round}`;

  it('paid online: the service tells the workflow after the verified payment; no staff task', async () => {
    let input!: FeePaymentInput;
    const { value: result, fees, workbench } = await run(async ({ fees }) => {
      input = feeInput((await env.currentTimeMs()) + 7 * DAY);
      const handle = await startFee(input);
      await stage(handle, 'awaiting-payment');
      await env.sleep(2 * HOUR);
      fees.payOnline(input.feeId, 'p-online');
      await handle.signal(feeSettledSignal);
      const r = await handle.result();
      await saveHistory('paid-online', handle.workflowId);
      return r;
    });
    assert.equal(result.outcome, 'paid-online');
    assert.equal(result.paymentId, 'p-online');
    assert.equal(result.amountFen, 80000);
    assert.deepEqual(result.reviews, []);
    assert.deepEqual(fees.names(), ['openFee', 'readFee']);
    assert.equal((fees.calls[0]!.input as { workflowId: string }).workflowId, `fee-payment:${input.feeId}`);
    assert.equal(workbench.tasks.size, 0);
  });

  it('voucher accepted: a staff check task in the workbench (case of the parent); a second voucher and a reject without opinion are refused', async () => {
    let input!: FeePaymentInput;
    const { value: result, fees, workbench } = await run(async ({ workbench }) => {
      input = feeInput((await env.currentTimeMs()) + 7 * DAY);
      const handle = await startFee(input);
      await stage(handle, 'awaiting-payment');
      const state = await handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-1', round: 1 }] });
      assert.equal(state.stage, 'voucher-review');
      await assert.rejects(handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-2', round: 1 }] }), rejectedWith('FEE_NOT_AWAITING_VOUCHER'));
      const task = await workbench.openTask(voucherKey(input, 1));
      assert.equal(task.input.type, FEE_VOUCHER_TASK_TYPE);
      assert.equal(task.input.candidate.role, 'staff');
      assert.deepEqual(task.input.outcomes.map((o) => o.code), ['accept', 'reject']);
      assert.deepEqual(
        { domain: task.input.case.domain, caseType: task.input.case.caseType, businessNo: task.input.case.businessNo, applicantId: task.input.case.applicantId },
        { domain: 'certification', caseType: 'cert-registration', businessNo: '20261124100012', applicantId: input.payer.accountId },
      );
      assert.equal(task.input.context?.voucher, `/api/v1/payment/staff/fees/${input.feeId}/vouchers/v-1`);
      await assert.rejects(handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'reject', ' ')] }), rejectedWith('TASK_OPINION_REQUIRED:opinion'));
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'accept', '已到账', 'staff-7')] });
      const r = await handle.result();
      await saveHistory('voucher-accepted', handle.workflowId);
      return r;
    });
    assert.equal(result.outcome, 'paid-offline');
    assert.equal(result.voucherId, 'v-1');
    assert.equal(result.invoiceNo, 'FP2026112400000001');
    assert.deepEqual(result.reviews.map((r) => [r.round, r.outcome, r.opinion, r.actorId]), [[1, 'accepted', '已到账', 'staff-7']]);
    assert.deepEqual(fees.names(), ['openFee', 'decideVoucher']);
    assert.equal(workbench.get(voucherKey(input, 1)).closed?.outcome, 'accept');
  });

  it('voucher rejected, then a new voucher in the next round accepted; a stale round is refused', async () => {
    let input!: FeePaymentInput;
    const { value: result, workbench } = await run(async ({ workbench }) => {
      input = feeInput((await env.currentTimeMs()) + 7 * DAY);
      const handle = await startFee(input);
      await stage(handle, 'awaiting-payment');
      await handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-1', round: 1 }] });
      const first = await workbench.openTask(voucherKey(input, 1));
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(first, 'reject', '凭证金额与应缴金额不符', 'staff-1')] });
      const again = await stage(handle, 'awaiting-payment');
      assert.equal(again.round, 2);
      await assert.rejects(handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-old', round: 1 }] }), rejectedWith('FEE_STALE_ROUND'));
      await handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-2', round: 2 }] });
      const second = await workbench.openTask(voucherKey(input, 2));
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(second, 'accept', null, 'staff-2')] });
      const r = await handle.result();
      await saveHistory('voucher-rejected-then-accepted', handle.workflowId);
      return r;
    });
    assert.equal(result.outcome, 'paid-offline');
    assert.equal(result.voucherId, 'v-2');
    assert.deepEqual(result.reviews.map((r) => [r.voucherId, r.outcome, r.opinion]), [
      ['v-1', 'rejected', '凭证金额与应缴金额不符'],
      ['v-2', 'accepted', null],
    ]);
    assert.equal(workbench.tasks.size, 2);
  });

  it('due time reached without payment: nothing before it, expired at it (the provider asked by the activity)', async () => {
    let due = 0;
    const { value: result, fees } = await run(async ({ fees }) => {
      due = (await env.currentTimeMs()) + 3 * DAY;
      const handle = await startFee(feeInput(due));
      await stage(handle, 'awaiting-payment');
      await env.sleep(3 * DAY - HOUR);
      assert.deepEqual(fees.names(), ['openFee'], 'nothing happens before the due time');
      const r = await handle.result();
      await saveHistory('expired', handle.workflowId);
      return r;
    });
    assert.equal(result.outcome, 'expired');
    assert.deepEqual(fees.names(), ['openFee', 'expireFee']);
    const at = fees.calls[1]!.at;
    assert.ok(at >= due && at < due + 60_000, `expired at ${at}, due ${due}`);
  });

  it('the provider says paid at the due time: the fee ends paid online, not expired', async () => {
    const { value: result } = await run(async ({ fees }) => {
      fees.paidAtProvider = true;
      const handle = await startFee(feeInput((await env.currentTimeMs()) + HOUR));
      return handle.result();
    });
    assert.equal(result.outcome, 'paid-online');
    assert.equal(result.paymentId, 'p-at-provider');
  });

  it('a voucher submitted before the due time is still decided after it; rejected after it → expired, no further upload', async () => {
    let due = 0;
    const { value: result, fees } = await run(async ({ workbench }) => {
      due = (await env.currentTimeMs()) + 2 * HOUR;
      const input = feeInput(due);
      const handle = await startFee(input);
      await stage(handle, 'awaiting-payment');
      await handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-1', round: 1 }] });
      const task = await workbench.openTask(voucherKey(input, 1));
      await env.sleep(DAY);
      assert.equal((await handle.query(feeStateQuery)).stage, 'voucher-review', 'the review outlives the due time');
      await handle.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'reject', '凭证模糊')] });
      const r = await handle.result();
      await saveHistory('voucher-rejected-after-due', handle.workflowId);
      return r;
    });
    assert.equal(result.outcome, 'expired');
    assert.deepEqual(result.reviews.map((r) => r.outcome), ['rejected']);
    assert.deepEqual(fees.names(), ['openFee', 'decideVoucher', 'expireFee']);
  });

  it('a voucher after the due time is refused (the fee expires at it)', async () => {
    const { value: refused } = await run(async () => {
      const input = feeInput((await env.currentTimeMs()) + HOUR);
      const handle = await startFee(input);
      await stage(handle, 'awaiting-payment');
      await env.sleep(2 * HOUR);
      const refusal = await handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-late', round: 1 }] }).then(
        () => 'accepted',
        () => 'refused',
      );
      assert.equal((await handle.result()).outcome, 'expired');
      return refusal;
    });
    assert.equal(refused, 'refused');
  });

  it('cancelled by the parent (signal) while staff check a voucher: the task is withdrawn, the fee cancelled', async () => {
    let input!: FeePaymentInput;
    const { value: result, fees, workbench } = await run(async ({ workbench }) => {
      input = feeInput((await env.currentTimeMs()) + 7 * DAY);
      const handle = await startFee(input);
      await stage(handle, 'awaiting-payment');
      await handle.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-1', round: 1 }] });
      await workbench.openTask(voucherKey(input, 1));
      // Cancelled once the workflow holds the created task (not while createTask's result is on its
      // way: the time-skipping server then refuses the cancel of an activity it saw complete —
      // ACTIVITY_UNKNOWN — and the workflow never finished; the real server accepts either).
      await taskRecorded(handle, voucherKey(input, 1));
      await handle.signal(cancelFeeSignal, { reason: 'application-withdrawn', actorId: 'a-1' });
      const r = await handle.result();
      await saveHistory('cancelled-during-review', handle.workflowId);
      return r;
    });
    assert.equal(result.outcome, 'cancelled');
    assert.equal(workbench.get(voucherKey(input, 1)).cancelled, 'case-cancelled');
    assert.deepEqual(fees.names(), ['openFee', 'cancelFee']);
    assert.deepEqual(fees.calls[1]!.input, { feeId: input.feeId, reason: 'application-withdrawn', actorId: 'a-1' });
  });

  it('a cancel that loses the race against a payment: the provider says paid, the result is paid', async () => {
    const { value: result } = await run(async ({ fees }) => {
      fees.paidAtProvider = true;
      const handle = await startFee(feeInput((await env.currentTimeMs()) + DAY));
      await stage(handle, 'awaiting-payment');
      await handle.signal(cancelFeeSignal, { reason: 'application-withdrawn', actorId: null });
      return handle.result();
    });
    assert.equal(result.outcome, 'paid-online');
  });

  it('cancelled as a workflow (Temporal cancellation): the fee is cancelled and the workflow ends cancelled', async () => {
    const { value: failure, fees } = await run(async () => {
      const handle = await startFee(feeInput((await env.currentTimeMs()) + DAY));
      await stage(handle, 'awaiting-payment');
      await handle.cancel();
      return handle.result().then(
        () => 'completed',
        (err: unknown) => (err instanceof WorkflowFailedError ? (err.cause?.name ?? 'failed') : 'other'),
      );
    });
    assert.equal(failure, 'CancelledFailure');
    assert.deepEqual(fees.names(), ['openFee', 'cancelFee']);
    assert.equal([...fees.fees.values()][0]!.status, 'cancelled');
  });

  it('an invalid input fails the workflow at once, without touching the fee table', async () => {
    const { value: failure, fees } = await run(async () => {
      const handle = await startFee(feeInput((await env.currentTimeMs()) + DAY, { amountFen: 12.5 }));
      return handle.result().then(
        () => 'completed',
        (err: unknown) => (err instanceof WorkflowFailedError ? String(err.cause?.message) : 'other'),
      );
    });
    assert.match(failure, /invalid fee input: amountFen/);
    assert.equal(fees.calls.length, 0);
  });

  it('late payment: its refund is retried at the provider until it confirms, completed once', async () => {
    const { value: result, fees } = await run(async ({ fees }) => {
      fees.refundFailures = 2;
      const handle = await env.client.workflow.start(feeRefund.workflowType, { taskQueue: feeRefund.taskQueue, workflowId: feeRefund.workflowId('p-late'), args: [{ paymentId: 'p-late' }] });
      const r = await handle.result();
      await saveHistory('late-payment-refunded', handle.workflowId);
      return r;
    });
    assert.deepEqual(result, { refundId: 'r-1', amountFen: 80000 });
    assert.deepEqual(fees.names(), ['beginFeeRefund', 'refundAtProvider', 'refundAtProvider', 'refundAtProvider', 'completeFeeRefund']);
    assert.deepEqual(fees.calls.at(-1)!.input, { refundId: 'r-1', confirmedAt: '2026-11-24T08:00:00.000Z' });
  });

  describe('as the child of another domain\'s case workflow', () => {
    async function startParent(parentQueue: string, input: FeePaymentInput, cancelBy: 'signal' | 'scope') {
      const handle = await env.client.workflow.start('feeParentWorkflow', { taskQueue: parentQueue, workflowId: `cert-application-test:${unique.id()}`, args: [{ fee: input, cancelBy }] });
      started.push(handle.workflowId, feePayment.workflowId(input.feeId));
      return handle;
    }

    it('the parent gets the result of a fee paid by an accepted voucher; the child ran on the payment queue', async () => {
      const parentQueue = `certification-test-${unique.id()}`;
      let input!: FeePaymentInput;
      const { value } = await run(
        async ({ workbench }) => {
          input = feeInput((await env.currentTimeMs()) + 7 * DAY);
          const parent = await startParent(parentQueue, input, 'signal');
          const child = env.client.workflow.getHandle<FeeWorkflow>(feePayment.workflowId(input.feeId));
          await stage(child, 'awaiting-payment');
          const description = await child.describe();
          assert.equal(description.taskQueue, PAYMENT_TASK_QUEUE);
          assert.equal(description.parentExecution?.workflowId, parent.workflowId);
          await child.executeUpdate(submitVoucherUpdate, { args: [{ voucherId: 'v-1', round: 1 }] });
          const task = await workbench.openTask(voucherKey(input, 1));
          await child.executeUpdate(completeTaskUpdate, { args: [FakeWorkbench.completion(task, 'accept', '已核对')] });
          const r = (await parent.result()) as { fee: FeePaymentResult | null; childCancelled: boolean };
          await saveHistory('child-voucher-accepted', child.workflowId);
          return r;
        },
        { parentQueue },
      );
      assert.equal(value.childCancelled, false);
      assert.equal(value.fee?.outcome, 'paid-offline');
      assert.equal(value.fee?.feeId, input.feeId);
    });

    it('the parent withdraws with the cancelFee signal: the fee is cancelled and the parent gets `cancelled`', async () => {
      const parentQueue = `certification-test-${unique.id()}`;
      const { value, fees } = await run(
        async () => {
          const input = feeInput((await env.currentTimeMs()) + 7 * DAY);
          const parent = await startParent(parentQueue, input, 'signal');
          await stage(env.client.workflow.getHandle<FeeWorkflow>(feePayment.workflowId(input.feeId)), 'awaiting-payment');
          await parent.signal('withdraw');
          return (await parent.result()) as { fee: FeePaymentResult | null; childCancelled: boolean };
        },
        { parentQueue },
      );
      assert.equal(value.fee?.outcome, 'cancelled');
      assert.deepEqual(fees.names(), ['openFee', 'cancelFee']);
      assert.equal(fees.calls[1]!.input.reason, 'application-withdrawn');
    });

    it('the parent cancels the scope the child runs in: the fee is cancelled, the child ends cancelled', async () => {
      const parentQueue = `certification-test-${unique.id()}`;
      const { value, fees } = await run(
        async () => {
          const input = feeInput((await env.currentTimeMs()) + 7 * DAY);
          const parent = await startParent(parentQueue, input, 'scope');
          const child = env.client.workflow.getHandle<FeeWorkflow>(feePayment.workflowId(input.feeId));
          await stage(child, 'awaiting-payment');
          await parent.signal('withdraw');
          const r = (await parent.result()) as { fee: FeePaymentResult | null; childCancelled: boolean };
          assert.equal((await child.describe()).status.name, 'CANCELLED');
          return r;
        },
        { parentQueue },
      );
      assert.deepEqual(value, { fee: null, childCancelled: true });
      assert.deepEqual(fees.names(), ['openFee', 'cancelFee']);
      assert.equal(fees.calls[1]!.input.reason, 'workflow-cancelled');
    });
  });
});

describe('fee payment workflow histories replay against the current code', () => {
  it('replays every recorded fee history without non-determinism', async () => {
    // Task keys contain the workflow id, so the replay runs under the recorded one.
    await replayRecordedHistories({
      dir: historiesDir(),
      bundlePath: bundle().codePath,
      minimum: 7,
      recordedBy: 'fee.workflows',
      workflowIdOf: (input) => (typeof input.feeId === 'string' ? feePayment.workflowId(input.feeId) : feeRefund.workflowId(input.paymentId as string)),
    });
  });
});
