/**
 * Contract between case workflows and the workbench (docs/processes/human-tasks.md).
 *
 * A workflow that needs a person creates a task through `createTask` (an activity served by the
 * workbench worker on {@link WORKBENCH_TASK_QUEUE}, idempotent by task key), then waits for the
 * {@link completeTaskUpdate} Update that workbench sends once it has checked role, institution and
 * claim. The Update's validator (in the workflow) checks stage, round, outcome, required fields and
 * that nothing was decided yet. Reminders and escalation are timers in the workflow that call
 * back into workbench.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const WORKBENCH_TASK_QUEUE = 'workbench';

export type TaskPriority = 'low' | 'normal' | 'high' | 'urgent';
export const TASK_PRIORITIES: readonly TaskPriority[] = ['low', 'normal', 'high', 'urgent'];

/** One button of the task form. */
export interface TaskOutcomeSpec {
  code: string;
  labelZh: string;
  labelEn: string;
  /** An opinion must be given with this outcome (e.g. returning for rectification, rejecting). */
  opinionRequired?: boolean;
  /** Keys of `data` that must be present (non-empty) with this outcome. */
  requiredData?: string[];
  /**
   * Keys of `data` that name an account, with the role that account must hold (e.g. `{ expertId:
   * 'expert' }`): workbench takes the completion only when its account directory knows the account
   * with that role, so a task is never handed to someone who could not work on it.
   */
  accountData?: Record<string, string>;
}

export interface TaskCaseRef {
  /** Owning domain (`identity`, `certification` …). */
  domain: string;
  /** Catalogue item, e.g. `identity-verification`. */
  caseType: string;
  /** The domain's id of the case. */
  caseId: string;
  /** 14-digit business number; unique within the domain. */
  businessNo: string;
  /** Account the case belongs to (gets messages); null for cases without an applicant. */
  applicantId: string | null;
  /** Item name as the applicant sees it (my items). */
  itemName: string;
  itemNameEn: string;
}

export interface HumanTaskSpec {
  /** Unique and stable, e.g. `cert-application:<id>:institution-review:<round>`. */
  key: string;
  /** Kind of task, e.g. `identity-verification.review`; inbox filters by it. */
  type: string;
  /** Stage of the case this task decides, and the rectification round. */
  stage: string;
  round: number;
  titleZh: string;
  titleEn: string;
  case: TaskCaseRef;
  /** Who may work on it: a role, and for institution tasks the institution. */
  candidate: { role: string; institutionId?: string | null };
  /** Pre-assigned person (e.g. the expert the admin chose); only they see the task. */
  assigneeId?: string | null;
  priority?: TaskPriority;
  outcomes: TaskOutcomeSpec[];
  /** Due date: this many working days after creation (official calendar, China time). */
  dueInWorkingDays: number;
  /** After the due date, this many more working days and the task goes to the supervisor group. */
  escalation?: { afterWorkingDays: number; role: string } | null;
  /** What the worker needs to see (ids, links, amounts); never document numbers or phones. */
  context?: Record<string, unknown>;
}

export interface CreateTaskInput extends HumanTaskSpec {
  workflowId: string;
}

export interface CreatedTask {
  taskId: string;
  dueAt: string;
  /** When the task escalates if still open; null without escalation. */
  escalateAt: string | null;
  /**
   * True when the due date reaches into a year whose official calendar is not loaded yet: it was
   * counted on weekdays only and is recomputed when the calendar arrives.
   */
  dueProvisional: boolean;
}

/** What a person decided; sent by workbench as the Update argument. */
export interface TaskCompletion {
  taskKey: string;
  stage: string;
  round: number;
  outcome: string;
  opinion: string | null;
  data: Record<string, unknown> | null;
  actorId: string;
  /** The HTTP request id; also the Update id, so a retried completion acts once. */
  requestId: string;
  completedAt: string;
}

export interface TaskCompletionAck {
  taskKey: string;
  outcome: string;
  accepted: true;
}

export interface OpenTaskView {
  key: string;
  type: string;
  stage: string;
  round: number;
  taskId: string | null;
  decided: boolean;
  reminded: boolean;
  escalated: boolean;
}

export interface HumanTaskActivities {
  createTask(input: CreateTaskInput): Promise<CreatedTask>;
  /** At the due date: flag the task overdue and remind its holder (an unassigned task shows as overdue in its group's inbox). */
  remindTask(input: { taskKey: string }): Promise<void>;
  /** After the escalation delay: hand the task to the supervisor group and tell its members. */
  escalateTask(input: { taskKey: string }): Promise<void>;
  /** Records the accepted completion and closes the task (idempotent with workbench's own close). */
  closeTask(input: { taskKey: string; completion: TaskCompletion }): Promise<void>;
  /** The case no longer needs this task (withdrawn, timed out elsewhere). */
  cancelTask(input: { taskKey: string; reason: string }): Promise<void>;
}

export const completeTaskUpdate = defineUpdate<TaskCompletionAck, [TaskCompletion]>('completeTask');
export const openTasksQuery = defineQuery<OpenTaskView[]>('openTasks');

/**
 * Why the validator refused a completion. The Update fails with the code as its message, or
 * `<code>:<field>` for a missing field; workbench answers 409 (or 422 for a missing field).
 */
export const TaskRejections = {
  NOT_OPEN: 'TASK_NOT_OPEN',
  STALE_STAGE: 'TASK_STALE_STAGE',
  STALE_ROUND: 'TASK_STALE_ROUND',
  ALREADY_DECIDED: 'TASK_ALREADY_DECIDED',
  BAD_OUTCOME: 'TASK_BAD_OUTCOME',
  OPINION_REQUIRED: 'TASK_OPINION_REQUIRED',
  DATA_REQUIRED: 'TASK_DATA_REQUIRED',
} as const;
export type TaskRejection = (typeof TaskRejections)[keyof typeof TaskRejections];

/** Checks a completion against the outcome spec; shared by the validator and workbench's early check. */
export function completionProblem(outcomes: readonly TaskOutcomeSpec[], completion: Pick<TaskCompletion, 'outcome' | 'opinion' | 'data'>): { code: TaskRejection; field: string } | null {
  const spec = outcomes.find((o) => o.code === completion.outcome);
  if (!spec) return { code: TaskRejections.BAD_OUTCOME, field: 'outcome' };
  if (spec.opinionRequired && (completion.opinion ?? '').trim().length === 0) return { code: TaskRejections.OPINION_REQUIRED, field: 'opinion' };
  for (const key of spec.requiredData ?? []) {
    const value = completion.data?.[key];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim().length === 0)) {
      return { code: TaskRejections.DATA_REQUIRED, field: `data.${key}` };
    }
  }
  return null;
}

export interface TaskSchedule {
  taskKey: string;
  dueAt: string;
  escalateAt: string | null;
}

/** Workbench moves a task's dates (a provisional due date recomputed on the official calendar). */
export const rescheduleTaskSignal = defineSignal<[TaskSchedule]>('rescheduleTask');
