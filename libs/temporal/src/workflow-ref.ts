import type { Workflow } from '@temporalio/common';
import type { WorkflowRef } from '@certhub/contracts';

export type { WorkflowRef };

export function defineWorkflow<W extends Workflow, K = string>(options: {
  workflowType: string;
  taskQueue: string;
  workflowId: (key: K) => string;
}): WorkflowRef<W, K> {
  return { workflowType: options.workflowType, taskQueue: options.taskQueue, workflowId: options.workflowId };
}
