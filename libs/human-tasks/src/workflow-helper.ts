/**
 * The workflow side of human tasks: one call per task in a case workflow.
 *
 *   const tasks = humanTasks();            // once, at the start of the workflow
 *   const decision = await tasks.run({ key, type, stage, round, … });
 *
 * Runs only inside workflow code (Temporal's deterministic sandbox).
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import {
  completeTaskUpdate,
  completionProblem,
  openTasksQuery,
  rescheduleTaskSignal,
  TaskRejections,
  WORKBENCH_TASK_QUEUE,
  type HumanTaskActivities,
  type HumanTaskSpec,
  type OpenTaskView,
  type TaskCompletion,
} from './contract';

export interface TaskDecision extends TaskCompletion {
  taskId: string;
}

export interface HumanTasks {
  /** Creates the task, waits for its completion (reminding and escalating on the way), closes it. */
  run(spec: HumanTaskSpec): Promise<TaskDecision>;
  /** Tasks of this workflow that are waiting for a person. */
  open(): OpenTaskView[];
}

interface OpenTask {
  spec: HumanTaskSpec;
  taskId: string | null;
  dueAt: number | null;
  escalateAt: number | null;
  /** Bumped when workbench reschedules: a wait on the old dates starts over. */
  scheduleVersion: number;
  reminded: boolean;
  escalated: boolean;
  decision: TaskCompletion | null;
}

export interface HumanTasksOptions {
  /** Options of the workbench activities (task queue is always the workbench's). */
  activity?: Omit<ActivityOptions, 'taskQueue'>;
}

/**
 * Registers the completion Update, the reschedule Signal and the open-tasks Query of this
 * workflow. Call it once, before the first task, at the top of the workflow function.
 */
export function humanTasks(options: HumanTasksOptions = {}): HumanTasks {
  const open = new Map<string, OpenTask>();
  const workbench = proxyActivities<HumanTaskActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
    ...options.activity,
    taskQueue: WORKBENCH_TASK_QUEUE,
  });

  setHandler(
    completeTaskUpdate,
    (completion) => {
      const task = open.get(completion.taskKey);
      // The validator let it through, so the task is open (on replay the validator is skipped).
      if (!task) throw new Error(TaskRejections.NOT_OPEN);
      task.decision = completion;
      return { taskKey: completion.taskKey, outcome: completion.outcome, accepted: true as const };
    },
    {
      // Validators cannot do I/O: workbench checked role, institution and claim before sending.
      validator: (completion) => {
        const task = open.get(completion.taskKey);
        if (!task) throw new Error(TaskRejections.NOT_OPEN);
        if (task.decision !== null) throw new Error(TaskRejections.ALREADY_DECIDED);
        if (completion.stage !== task.spec.stage) throw new Error(TaskRejections.STALE_STAGE);
        if (completion.round !== task.spec.round) throw new Error(TaskRejections.STALE_ROUND);
        const problem = completionProblem(task.spec.outcomes, completion);
        if (problem) throw new Error(`${problem.code}:${problem.field}`);
      },
    },
  );

  setHandler(rescheduleTaskSignal, (schedule) => {
    const task = open.get(schedule.taskKey);
    if (!task) return;
    task.dueAt = Date.parse(schedule.dueAt);
    task.escalateAt = schedule.escalateAt === null ? null : Date.parse(schedule.escalateAt);
    task.scheduleVersion += 1;
  });

  setHandler(openTasksQuery, () =>
    [...open.values()].map((t) => ({
      key: t.spec.key,
      type: t.spec.type,
      stage: t.spec.stage,
      round: t.spec.round,
      taskId: t.taskId,
      decided: t.decision !== null,
      reminded: t.reminded,
      escalated: t.escalated,
    })),
  );

  async function waitForDecision(task: OpenTask): Promise<TaskCompletion> {
    const decided = () => task.decision !== null;
    for (;;) {
      if (task.decision) return task.decision;
      const next = !task.reminded ? task.dueAt : !task.escalated ? task.escalateAt : null;
      if (next === null) {
        await condition(decided);
        continue;
      }
      const remaining = next - Date.now();
      if (remaining > 0) {
        const version = task.scheduleVersion;
        await condition(() => decided() || task.scheduleVersion !== version, remaining);
        continue;
      }
      if (!task.reminded) {
        await workbench.remindTask({ taskKey: task.spec.key });
        task.reminded = true;
      } else {
        await workbench.escalateTask({ taskKey: task.spec.key });
        task.escalated = true;
      }
    }
  }

  return {
    async run(spec) {
      if (open.has(spec.key)) throw ApplicationFailure.nonRetryable(`task ${spec.key} is already open in this workflow`, 'DuplicateTaskKey');
      const task: OpenTask = { spec, taskId: null, dueAt: null, escalateAt: null, scheduleVersion: 0, reminded: false, escalated: false, decision: null };
      // Registered before the task exists anywhere: workbench can only send the Update after
      // createTask has written the task, and then the validator already knows it.
      open.set(spec.key, task);
      try {
        const created = await workbench.createTask({ ...spec, workflowId: workflowInfo().workflowId });
        task.taskId = created.taskId;
        if (task.scheduleVersion === 0) {
          task.dueAt = Date.parse(created.dueAt);
          task.escalateAt = created.escalateAt === null ? null : Date.parse(created.escalateAt);
        }
        const completion = await waitForDecision(task);
        await workbench.closeTask({ taskKey: spec.key, completion });
        return { ...completion, taskId: created.taskId };
      } catch (err) {
        if (isCancellation(err)) {
          await CancellationScope.nonCancellable(() => workbench.cancelTask({ taskKey: spec.key, reason: 'case-cancelled' }));
        }
        throw err;
      } finally {
        open.delete(spec.key);
      }
    },
    open: () =>
      [...open.values()].map((t) => ({
        key: t.spec.key,
        type: t.spec.type,
        stage: t.spec.stage,
        round: t.spec.round,
        taskId: t.taskId,
        decided: t.decision !== null,
        reminded: t.reminded,
        escalated: t.escalated,
      })),
  };
}
