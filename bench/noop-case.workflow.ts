/**
 * The reference of `npm run bench:certification`: a case workflow with the shape of one
 * registration application's happy path (paid by the institution, online) and no application work.
 *
 * `certApplicationWorkflow` (workflows/certification) with `humanTasks().run` (libs/human-tasks)
 * does, per application:
 *
 *   loadApplication                                          1 activity
 *   5 × human step: createTask (workbench queue), a timer for the due date raced against the
 *     completion Update, closeTask (workbench queue), recordStep  3 activities + 1 Update + 1 timer
 *   after the institution review, the fee child workflow on the payment queue
 *     (`feePaymentWorkflow`: openFee, a timer for the due date raced against the settled Signal
 *     the payment service sends once the provider confirms, readFee; 2 upserts), then the parent's
 *     recordStep of the payment                              1 child + 3 activities + 1 Signal + 1 timer
 *   issueCertificate before the last recordStep              1 activity
 *   search attributes upserted at the start and after each recordStep   7 upserts (+2 in the child)
 *
 * = 20 activities, 5 Updates, 1 Signal, 6 timers, 9 upserts, 1 child workflow. This workflow does exactly that with activities
 * that return at once (served by the benchmark's own workers on two task queues, as the real
 * activities are split between the certification and workbench workers); the Update is sent by
 * the benchmark as soon as the task exists, the way workbench sends it when a reviewer completes
 * the task.
 */
import { condition, defineSignal, defineUpdate, executeChild, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { BusinessNo, CaseStage, CaseStatus, CaseType } from '@certhub/contracts';

export interface NoopCaseInput {
  caseId: string;
  businessNo: string;
  /** The workbench-like task queue of createTask and closeTask. */
  taskQueue: string;
  /** The due date of each task (the timer raced against the Update), and of the fee. */
  dueMs: number;
  /** The payment-like task queue of the fee child and its activities. */
  feeQueue: string;
}

export interface NoopDecision {
  taskKey: string;
  outcome: string;
}

export interface NoopCaseActivities {
  loadApplication(caseId: string): Promise<{ records: string[] }>;
  recordStep(caseId: string, step: number, stage: string): Promise<void>;
  issueCertificate(caseId: string): Promise<{ certificateNo: string }>;
}

export interface NoopTaskActivities {
  createTask(workflowId: string, taskKey: string, stage: string): Promise<{ taskId: string }>;
  closeTask(taskKey: string): Promise<void>;
}

export interface NoopFeeActivities {
  openFee(workflowId: string, feeId: string): Promise<void>;
  readFee(feeId: string): Promise<{ status: 'paid' }>;
}

export const noopDecideUpdate = defineUpdate<{ accepted: true }, [NoopDecision]>('noopDecide');
/** What the payment service sends the fee workflow when the provider confirms the payment. */
export const noopFeeSettledSignal = defineSignal('noopFeeSettled');

export const NOOP_STAGES = ['institution-review', 'expert-assignment', 'expert-evaluation', 'association-approval', 'association-decision'] as const;

const activityOptions = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } } as const;

export async function noopCaseWorkflow(input: NoopCaseInput): Promise<string> {
  const act = proxyActivities<NoopCaseActivities>(activityOptions);
  const tasks = proxyActivities<NoopTaskActivities>({ ...activityOptions, taskQueue: input.taskQueue });
  const open = new Map<string, NoopDecision | null>();
  setHandler(
    noopDecideUpdate,
    (decision) => {
      open.set(decision.taskKey, decision);
      return { accepted: true as const };
    },
    {
      validator: (decision) => {
        if (open.get(decision.taskKey) !== null) throw new Error('TASK_NOT_OPEN');
      },
    },
  );
  let stage: string = NOOP_STAGES[0];
  let status = 'submitted';
  const attributes = () =>
    upsertSearchAttributes([
      { key: BusinessNo, value: input.businessNo },
      { key: CaseType, value: 'bench-noop-case' },
      { key: CaseStage, value: stage },
      { key: CaseStatus, value: status },
    ]);

  await act.loadApplication(input.caseId);
  attributes();
  let certificateNo = '';
  for (const [i, s] of NOOP_STAGES.entries()) {
    const key = `${input.caseId}:${s}:1`;
    open.set(key, null);
    await tasks.createTask(`bench-noop-case:${input.caseId}`, key, s);
    await condition(() => open.get(key) !== null, input.dueMs);
    await tasks.closeTask(key);
    open.delete(key);
    if (i === NOOP_STAGES.length - 1) certificateNo = (await act.issueCertificate(input.caseId)).certificateNo;
    await act.recordStep(input.caseId, i + 1, s);
    stage = NOOP_STAGES[i + 1] ?? 'finished';
    status = stage === 'finished' ? 'approved' : 'submitted';
    attributes();
    if (i === 0) {
      // The fee, paid by the institution: a child workflow on the payment queue, then the payment recorded.
      stage = 'payment';
      await executeChild(noopFeeWorkflow, { taskQueue: input.feeQueue, workflowId: `bench-noop-fee:${input.caseId}`, args: [{ feeId: input.caseId, businessNo: input.businessNo, dueMs: input.dueMs }] });
      await act.recordStep(input.caseId, 0, 'payment');
      stage = NOOP_STAGES[1];
      attributes();
    }
  }
  return certificateNo;
}

/** The fee child's shape (`feePaymentWorkflow`, paid online): open, wait for the settled Signal or the due date, read. */
export async function noopFeeWorkflow(input: { feeId: string; businessNo: string; dueMs: number }): Promise<string> {
  const fees = proxyActivities<NoopFeeActivities>(activityOptions);
  let settled = false;
  setHandler(noopFeeSettledSignal, () => {
    settled = true;
  });
  const mark = (stage: string, status: string) =>
    upsertSearchAttributes([
      { key: BusinessNo, value: input.businessNo },
      { key: CaseType, value: 'bench-noop-fee' },
      { key: CaseStage, value: stage },
      { key: CaseStatus, value: status },
    ]);
  mark('awaiting-payment', 'pending');
  await fees.openFee(`bench-noop-fee:${input.feeId}`, input.feeId);
  await condition(() => settled, input.dueMs);
  const fee = await fees.readFee(input.feeId);
  mark('settled', fee.status);
  return fee.status;
}
