/**
 * The reference of `npm run bench:certification`: a case workflow with the shape of one
 * registration application's happy path (paid by the institution) and no application work.
 *
 * `certApplicationWorkflow` (workflows/certification) with `humanTasks().run` (libs/human-tasks)
 * does, per application:
 *
 *   loadApplication                                          1 activity
 *   5 × human step: createTask (workbench queue), a timer for the due date raced against the
 *     completion Update, closeTask (workbench queue), recordStep  3 activities + 1 Update + 1 timer
 *   issueCertificate before the last recordStep              1 activity
 *   search attributes upserted at the start and after each recordStep   6 upserts
 *
 * = 17 activities, 5 Updates, 5 timers, 6 upserts. This workflow does exactly that with activities
 * that return at once (served by the benchmark's own workers on two task queues, as the real
 * activities are split between the certification and workbench workers); the Update is sent by
 * the benchmark as soon as the task exists, the way workbench sends it when a reviewer completes
 * the task.
 */
import { condition, defineUpdate, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { BusinessNo, CaseStage, CaseStatus, CaseType } from '@certhub/contracts';

export interface NoopCaseInput {
  caseId: string;
  businessNo: string;
  /** The workbench-like task queue of createTask and closeTask. */
  taskQueue: string;
  /** The due date of each task (the timer raced against the Update). */
  dueMs: number;
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

export const noopDecideUpdate = defineUpdate<{ accepted: true }, [NoopDecision]>('noopDecide');

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
  }
  return certificateNo;
}
