/**
 * The reference of `npm run bench:deadlines`: a workflow that does nothing but sleep until an
 * absolute deadline and complete. Its lateness is the floor of what the Temporal server on this
 * machine can do with the same deadlines (one timer and one workflow task per deadline). The
 * sink tells the benchmark (in the worker's process, outside the workflow) when it woke.
 */
import { proxySinks, sleep, type Sinks } from '@temporalio/workflow';

export interface ReferenceSinks extends Sinks {
  reference: { woke(expiresAt: string): void };
}

const { reference } = proxySinks<ReferenceSinks>();

export async function deadlineReferenceWorkflow(expiresAt: string): Promise<void> {
  const waitMs = Date.parse(expiresAt) - Date.now();
  if (waitMs > 0) await sleep(waitMs);
  reference.woke(expiresAt);
}
