import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { completeTaskUpdate, WORKBENCH_TASK_QUEUE, type TaskCompletion } from '@certhub/human-tasks';
import { installWorkerRuntime } from '@certhub/temporal';
import { eventually, testEnvironment } from '@certhub/testing';
import { WorkbenchHarness, testCaller, type TestCaller } from '../testing/workbench-harness';
import { createTaskActivities } from './task.activities';
import { TaskService } from './task.service';

type TaskRow = { id: string; task_key: string; status: string; round: number; stage: string };
type Body = Record<string, unknown> & { code?: string; status?: string; outcome?: string };

const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

/**
 * Completing tasks of a real workflow on the Temporal dev server: the Update is sent with the
 * request id, the task closes only after the workflow accepted, a retry after a crash acts once.
 */
describe('completing a task continues its workflow (dev server, real Update)', () => {
  let h: WorkbenchHarness;
  let client: Client;
  let connection: NativeConnection;
  let bundle: WorkflowBundleWithSourceMap;
  let caseWorker: Worker;
  let caseRun: Promise<void>;
  const caseQueue = `sample-case-${randomUUID()}`;
  let staff: TestCaller;

  /** The workbench's task activities, served by a worker the test can stop (a crashed workbench). */
  let inbox: { worker: Worker; run: Promise<void> } | undefined;
  async function startInbox() {
    const worker = await Worker.create({ connection, namespace: testEnvironment().temporalNamespace, taskQueue: WORKBENCH_TASK_QUEUE, activities: createTaskActivities(h.app.get(TaskService)) });
    inbox = { worker, run: worker.run() };
  }
  async function stopInbox() {
    inbox?.worker.shutdown();
    await inbox?.run;
    inbox = undefined;
  }

  before(async () => {
    installWorkerRuntime('ERROR');
    const env = testEnvironment();
    h = await WorkbenchHarness.start({ RUN_WORKER: 'false', RUN_PROJECTION: 'false' });
    client = new Client({ connection: await Connection.connect({ address: env.temporalAddress }), namespace: env.temporalNamespace });
    connection = await NativeConnection.connect({ address: env.temporalAddress });
    bundle = await bundleWorkflowCode({ workflowsPath: join(env.repoRoot, 'dist', 'libs', 'human-tasks', 'src', 'testing', 'sample-case.workflow.js'), logger: silent });
    caseWorker = await Worker.create({ connection, namespace: env.temporalNamespace, taskQueue: caseQueue, workflowBundle: bundle });
    caseRun = caseWorker.run();
    await startInbox();
    staff = testCaller('staff');
  });
  after(async () => {
    await stopInbox();
    caseWorker?.shutdown();
    await caseRun;
    await connection?.close();
    await client?.connection.close();
    await h?.stop();
  });

  async function startCase() {
    const workflowId = `sample-case:${randomUUID()}`;
    const handle = await client.workflow.start('sampleCaseWorkflow', { taskQueue: caseQueue, workflowId, args: [{ caseId: randomUUID(), dueInWorkingDays: 3, escalateAfterWorkingDays: 2 }] });
    return handle;
  }

  async function openTask(workflowId: string, round: number): Promise<TaskRow> {
    return eventually(async () => {
      const rows: TaskRow[] = await h.dataSource.query(`SELECT id, task_key, status, round, stage FROM task WHERE workflow_id = $1 AND round = $2`, [workflowId, round]);
      return rows[0];
    }, { what: `task of round ${round}` });
  }

  const complete = (id: string, body: unknown, requestId = randomUUID()) =>
    h.request<Body>('POST', `/api/v1/workbench/tasks/${id}/complete`, { caller: staff, body, headers: { 'x-request-id': requestId } });

  it('return for rectification, resubmission, approval: every completion moves the case on', async () => {
    const handle = await startCase();
    const round1 = await openTask(handle.workflowId, 1);
    assert.equal((await h.request('POST', `/api/v1/workbench/tasks/${round1.id}/claim`, { caller: staff })).status, 200);
    const returned = await complete(round1.id, { outcome: 'return', opinion: '请补充审核经历' });
    assert.equal(returned.status, 200, JSON.stringify(returned.body));
    assert.equal(returned.body.status, 'completed');
    // The closed task refuses another completion.
    const again = await complete(round1.id, { outcome: 'approve' });
    assert.deepEqual([again.status, again.body.code], [409, 'TASK_ALREADY_COMPLETED']);
    await handle.signal('resubmit');
    const round2 = await openTask(handle.workflowId, 2);
    await h.request('POST', `/api/v1/workbench/tasks/${round2.id}/claim`, { caller: staff });
    assert.equal((await complete(round2.id, { outcome: 'approve' })).status, 200);
    const result = (await handle.result()) as { outcomes: string[]; opinions: Array<string | null> };
    assert.deepEqual(result.outcomes, ['return', 'approve']);
    assert.deepEqual(result.opinions, ['请补充审核经历', null]);
    const audit: Array<{ action: string; opinion: string | null; actor_id: string }> = await h.dataSource.query(
      `SELECT action, opinion, actor_id FROM audit_entry WHERE task_id = $1 ORDER BY id`,
      [round1.id],
    );
    assert.deepEqual(audit.map((a) => a.action), ['task.created', 'task.claimed', 'task.completed']);
    assert.equal(audit[2]!.opinion, '请补充审核经历');
    assert.equal(audit[2]!.actor_id, staff.sub);
  });

  it('the supervisor closes a task whose process ended without it, never one of a running process', async () => {
    const admin = testCaller('admin');
    const handle = await startCase();
    const task = await openTask(handle.workflowId, 1);
    const byStaff = await h.request<Body>('POST', `/api/v1/workbench/tasks/${task.id}/cancel`, { caller: staff, body: { reason: '流程已终止' } });
    assert.equal(byStaff.status, 403);
    const running = await h.request<Body>('POST', `/api/v1/workbench/tasks/${task.id}/cancel`, { caller: admin, body: { reason: '流程已终止' } });
    assert.deepEqual([running.status, running.body.code], [409, 'TASK_PROCESS_RUNNING']);
    await handle.terminate('ops closed the case');
    const noReason = await h.request<Body>('POST', `/api/v1/workbench/tasks/${task.id}/cancel`, { caller: admin, body: {} });
    assert.deepEqual([noReason.status, noReason.body.field], [400, 'reason']);
    const cancelled = await h.request<Body>('POST', `/api/v1/workbench/tasks/${task.id}/cancel`, { caller: admin, body: { reason: '流程已终止' } });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'cancelled');
    const completing = await complete(task.id, { outcome: 'approve' });
    assert.deepEqual([completing.status, completing.body.code], [409, 'TASK_NOT_OPEN']);
  });

  it('a completion retried after a crash between the Update and closing the task acts once', async () => {
    const handle = await startCase();
    const task = await openTask(handle.workflowId, 1);
    await h.request('POST', `/api/v1/workbench/tasks/${task.id}/claim`, { caller: staff });
    // Workbench sent the Update and crashed before closing the task; the workflow's own close
    // cannot run either (the inbox worker is down).
    await stopInbox();
    const requestId = randomUUID();
    const completion: TaskCompletion = { taskKey: task.task_key, stage: task.stage, round: task.round, outcome: 'approve', opinion: '同意', data: null, actorId: staff.sub, requestId, completedAt: new Date().toISOString() };
    await handle.executeUpdate(completeTaskUpdate, { args: [completion], updateId: `complete:${task.id}:${requestId}` });
    assert.equal((await h.dataSource.query('SELECT status FROM task WHERE id = $1', [task.id]))[0].status, 'open');

    // Another person's different completion is refused by the workflow's validator.
    const other = await complete(task.id, { outcome: 'return', opinion: '不同意' });
    assert.deepEqual([other.status, other.body.code], [409, 'TASK_ALREADY_DECIDED']);
    // The client retries with the same request id: the same Update, accepted once; now the task closes.
    const retried = await complete(task.id, { outcome: 'approve', opinion: '同意' }, requestId);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.outcome, 'approve');
    const retriedAgain = await complete(task.id, { outcome: 'approve', opinion: '同意' }, requestId);
    assert.equal(retriedAgain.status, 200);

    await startInbox();
    const result = (await handle.result()) as { outcomes: string[] };
    assert.deepEqual(result.outcomes, ['approve'], 'one decision reached the workflow');
    const completed: unknown[] = await h.dataSource.query(`SELECT 1 FROM audit_entry WHERE task_id = $1 AND action = 'task.completed'`, [task.id]);
    assert.equal(completed.length, 1);
    const events: unknown[] = await h.dataSource.query(`SELECT 1 FROM outbox_message WHERE topic = 'workbench.task.changed.v1' AND payload->'data'->>'taskId' = $1 AND payload->'data'->>'action' = 'completed'`, [task.id]);
    assert.equal(events.length, 1);
  });
});
