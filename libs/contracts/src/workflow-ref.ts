import type { Workflow } from '@temporalio/common';

/**
 * A typed reference to a workflow type, declared in a domain's contract file. Services start
 * workflows through it (never by a bare string), and the workflow id always comes from the
 * business key, so a duplicate start is refused instead of running the process twice.
 */
export interface WorkflowRef<W extends Workflow, K> {
  readonly workflowType: string;
  readonly taskQueue: string;
  workflowId(key: K): string;
  /** Phantom field carrying the workflow function type. */
  readonly __workflow?: W;
}
