import { Client, Connection, WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { WorkflowRef } from './workflow-ref';

export async function connectTemporalClient(options: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: options.address, connectTimeout: 5000 });
  return new Client({ connection, namespace: options.namespace });
}

export type StartArgs<W extends Workflow> = Omit<WorkflowStartOptions<W>, 'taskQueue' | 'workflowId'>;

/**
 * Starts the workflow of `ref` for a business key. A second start of a running or finished
 * workflow with the same id is harmless: it returns `alreadyStarted` instead of failing.
 */
export async function startWorkflowOnce<W extends Workflow, K>(
  client: Client,
  ref: WorkflowRef<W, K>,
  key: K,
  options: StartArgs<W>,
): Promise<{ workflowId: string; alreadyStarted: boolean }> {
  const workflowId = ref.workflowId(key);
  try {
    await client.workflow.start<W>(ref.workflowType as unknown as W, {
      ...(options as WorkflowStartOptions<W>),
      taskQueue: ref.taskQueue,
      workflowId,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { workflowId, alreadyStarted: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, alreadyStarted: true };
    throw err;
  }
}

export function workflowHandle<W extends Workflow, K>(client: Client, ref: WorkflowRef<W, K>, key: K) {
  return client.workflow.getHandle<W>(ref.workflowId(key));
}

export type { WorkflowResultType };
