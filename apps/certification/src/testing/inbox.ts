import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { WORKBENCH_TASK_QUEUE } from '@certhub/human-tasks';
import { installWorkerRuntime } from '@certhub/temporal';
import { eventually, FakeWorkbench, testEnvironment } from '@certhub/testing';

export interface InboxTask {
  id: string;
  type: string;
  stage: string;
  round: number;
  status: string;
  case: { caseId: string; businessNo: string };
}

/**
 * The real workbench's inbox API as a reviewer uses it (list, claim, complete), against a
 * workbench started as its own process.
 */
export class InboxClient {
  constructor(private readonly url: string) {}

  async call<T = Record<string, unknown> & { code?: string; field?: string }>(token: string, method: 'GET' | 'POST', path: string, body?: unknown) {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), 'x-request-id': randomUUID() },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** The open task of a case's step and round in the caller's inbox (waits for it to arrive). */
  async task(token: string, caseId: string, stage: string, round: number): Promise<InboxTask> {
    return eventually(
      async () => {
        const list = await this.call<{ items: InboxTask[] }>(token, 'GET', `/api/v1/workbench/tasks?size=100`);
        return list.body.items?.find((t) => t.case.caseId === caseId && t.stage === stage && t.round === round && t.status === 'open');
      },
      { what: `${stage} task round ${round}`, timeoutMs: 30_000 },
    );
  }

  /** Claims (unless already claimed) and completes a task; asserts both were taken. */
  async act(token: string, task: InboxTask, outcome: string, opinion: string | null, data?: Record<string, unknown>, claim = true): Promise<void> {
    if (claim) assert.equal((await this.call(token, 'POST', `/api/v1/workbench/tasks/${task.id}/claim`)).status, 200);
    const done = await this.call(token, 'POST', `/api/v1/workbench/tasks/${task.id}/complete`, { outcome, opinion, ...(data ? { data } : {}) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }
}

/**
 * An in-memory workbench serving the workbench task queue on the real Temporal dev server, for
 * tests that send reviewers' decisions as the workbench sends them (the `completeTask` Update).
 */
export async function startFakeInbox(): Promise<{ workbench: FakeWorkbench; stop(): Promise<void> }> {
  installWorkerRuntime('ERROR');
  const connection = await NativeConnection.connect({ address: testEnvironment().temporalAddress });
  const workbench = new FakeWorkbench();
  const worker = await Worker.create({ connection, namespace: testEnvironment().temporalNamespace, taskQueue: WORKBENCH_TASK_QUEUE, activities: workbench.activities });
  const running = worker.run();
  return {
    workbench,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
