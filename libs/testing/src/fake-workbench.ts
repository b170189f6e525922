import { Context } from '@temporalio/activity';
import type { CreatedTask, CreateTaskInput, HumanTaskActivities, TaskCompletion } from '@certhub/human-tasks';
import { dueAtOrProvisional, WorkCalendar } from '@certhub/workdays';

export interface FakeTask {
  input: CreateTaskInput;
  created: CreatedTask;
  /** Server times (time-skipping aware) of what happened to the task. */
  remindedAt: number | null;
  escalatedAt: number | null;
  closed: TaskCompletion | null;
  cancelled: string | null;
}

/**
 * An in-memory workbench for workflow tests on the time-skipping server: serves the human-task
 * activities on the workbench task queue, computes due dates on the official calendar from the
 * server's (skipped) clock, and records reminders, escalations, closes and cancellations.
 */
export class FakeWorkbench {
  readonly tasks = new Map<string, FakeTask>();
  private readonly calendar = WorkCalendar.builtIn();

  /** Server time of the current activity (the time-skipping server's clock, not the wall clock). */
  private static now(): number {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  }

  readonly activities: HumanTaskActivities = {
    createTask: async (input) => {
      const existing = this.tasks.get(input.key);
      if (existing) return existing.created;
      const now = new Date(FakeWorkbench.now());
      // Like the workbench: the official calendar, weekdays (provisional) for a year without one.
      const due = dueAtOrProvisional(this.calendar, now, input.dueInWorkingDays);
      // Without an escalation in the spec the workbench applies its defaults (2 working days, admin).
      const escalation = input.escalation === undefined ? { afterWorkingDays: 2, role: 'admin' } : input.escalation;
      const escalate = escalation ? dueAtOrProvisional(this.calendar, due.dueAt, escalation.afterWorkingDays) : null;
      const created: CreatedTask = {
        taskId: `task-${this.tasks.size + 1}`,
        dueAt: due.dueAt.toISOString(),
        escalateAt: escalate?.dueAt.toISOString() ?? null,
        dueProvisional: due.provisional || (escalate?.provisional ?? false),
      };
      this.tasks.set(input.key, { input, created, remindedAt: null, escalatedAt: null, closed: null, cancelled: null });
      return created;
    },
    remindTask: async ({ taskKey }) => {
      this.get(taskKey).remindedAt = FakeWorkbench.now();
    },
    escalateTask: async ({ taskKey }) => {
      this.get(taskKey).escalatedAt = FakeWorkbench.now();
    },
    closeTask: async ({ taskKey, completion }) => {
      this.get(taskKey).closed = completion;
    },
    cancelTask: async ({ taskKey, reason }) => {
      this.get(taskKey).cancelled = reason;
    },
  };

  get(taskKey: string): FakeTask {
    const task = this.tasks.get(taskKey);
    if (!task) throw new Error(`no task ${taskKey}`);
    return task;
  }

  /** The one open task whose key starts with `prefix` (waits up to `timeoutMs`). */
  async openTask(prefix: string, timeoutMs = 10_000): Promise<FakeTask> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = [...this.tasks.values()].filter((t) => t.input.key.startsWith(prefix) && !t.closed && !t.cancelled);
      if (open.length === 1) return open[0]!;
      if (Date.now() > deadline) throw new Error(`expected one open task ${prefix}*, found ${open.length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** A completion as workbench would send it. */
  static completion(task: FakeTask, outcome: string, opinion: string | null, actorId = 'staff-1', data: Record<string, unknown> | null = null): TaskCompletion {
    return {
      taskKey: task.input.key,
      stage: task.input.stage,
      round: task.input.round,
      outcome,
      opinion,
      data,
      actorId,
      requestId: `req-${task.input.key}-${outcome}`,
      completedAt: new Date().toISOString(),
    };
  }
}
