import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { DataSource, type EntityManager } from 'typeorm';
import { WorkbenchTopics, type TaskAction } from '@certhub/contracts';
import {
  completeTaskUpdate,
  completionProblem,
  rescheduleTaskSignal,
  TASK_PRIORITIES,
  type CreatedTask,
  type CreateTaskInput,
  type TaskCompletion,
} from '@certhub/human-tasks';
import { Logger } from '@certhub/logging';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import { isUuid, type Caller } from '@certhub/service-kit';
import { auditInsert, diff } from '../audit/audit.writer';
import { CalendarService } from '../calendar/calendar.service';
import { mayHold } from '../directory/account-directory';
import { DirectoryAccount } from '../directory/directory-account.entity';
import { writeMessages, type NewMessage } from '../messages/message.writer';
import { WorkbenchConfig } from '../workbench.config';
import { WorkbenchErrors } from '../workbench.errors';
import { taskReadyNotice, TaskWaiters, type TaskReady } from './task-waiters';
import { canSee, candidatePredicate, groupRoles, isCandidate, isSupervisor } from './task-access';
import { Task } from './task.entity';
import { taskView, type NextTaskBody, type TaskListQuery } from './task.views';

const MAX_DATA_BYTES = 16 * 1024;
/** Changes after which someone (a group or the new holder) may take the task. */
const READY_ACTIONS = new Set<TaskAction>(['created', 'unclaimed', 'escalated', 'assigned', 'delegated']);
const PRIORITY_ORDER = `CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`;

/** Validator rejections the workflow reports, mapped to this service's error codes. */
const REJECTION_CODES = new Set([
  'TASK_NOT_OPEN',
  'TASK_STALE_STAGE',
  'TASK_STALE_ROUND',
  'TASK_ALREADY_DECIDED',
  'TASK_BAD_OUTCOME',
  'TASK_OPINION_REQUIRED',
  'TASK_DATA_REQUIRED',
] as const);
type RejectionCode = typeof REJECTION_CODES extends Set<infer C> ? C : never;

@Injectable()
export class TaskService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly temporal: Client,
    private readonly calendar: CalendarService,
    private readonly config: WorkbenchConfig,
    private readonly logger: Logger,
    private readonly waiters: TaskWaiters,
  ) {}

  // ------------------------------------------------------------------------------------------
  // Called by workflows (activities)
  // ------------------------------------------------------------------------------------------

  /** Creates the task once per key; a retried activity gets the same task and dates back. */
  async create(input: CreateTaskInput): Promise<CreatedTask> {
    if (input.candidate.role === 'institution' && !input.candidate.institutionId) {
      // A bug in the calling workflow, not a passing failure: retrying cannot help.
      throw ApplicationFailure.nonRetryable(`task ${input.key}: an institution task needs the institution`, 'InvalidTaskSpec');
    }
    const escalationRole = input.escalation === null ? null : (input.escalation?.role ?? this.config.TASK_ESCALATION_ROLE);
    const escalationDays = input.escalation === null ? null : (input.escalation?.afterWorkingDays ?? this.config.TASK_ESCALATION_WORKING_DAYS);
    const now = new Date();
    const due = await this.calendar.dueDates(now, input.dueInWorkingDays, escalationDays);
    const id = randomUUID();
    return this.dataSource.transaction(async (manager) => {
      const inserted = await sqlRows(
        manager,
        `INSERT INTO task (id, task_key, task_type, title_zh, title_en, domain, case_type, case_id, business_no, applicant_id, item_name,
           workflow_id, stage, round, candidate_role, candidate_institution_id, assignee_id, priority, outcomes, context, status, due_at,
           due_provisional, due_in_working_days, escalate_at, escalation_role, escalation_working_days, claimed_at, created_at, updated_at, version)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,'open',$21,$22,$23,$24,$25,$26,$27,$28,$28,1)
         ON CONFLICT (task_key) DO NOTHING RETURNING *`,
        [
          id, input.key, input.type, input.titleZh, input.titleEn, input.case.domain, input.case.caseType, input.case.caseId, input.case.businessNo,
          input.case.applicantId, input.case.itemName, input.workflowId, input.stage, input.round, input.candidate.role,
          input.candidate.institutionId ?? null, input.assigneeId ?? null,
          TASK_PRIORITIES.includes(input.priority ?? 'normal') ? (input.priority ?? 'normal') : 'normal',
          JSON.stringify(input.outcomes), JSON.stringify(input.context ?? {}), due.dueAt, due.provisional, input.dueInWorkingDays,
          due.escalateAt, escalationRole, escalationDays, input.assigneeId ? now : null, now,
        ],
      );
      // A retried activity finds the task its first attempt made.
      if (inserted.length === 0) return createdOf(await manager.getRepository(Task).findOneByOrFail({ taskKey: input.key }));
      const task = this.taskOf(inserted[0]!);
      await this.changed(manager, task, 'created', null, {
        newValues: { stage: task.stage, round: task.round, candidateRole: task.candidateRole, assigneeId: task.assigneeId, dueAt: task.dueAt },
      });
      if (task.assigneeId) await writeMessages(manager, [assignedMessage(task, task.assigneeId, `task-assigned:${task.id}:created`)]);
      return createdOf(task);
    });
  }

  /** At the due date: flag overdue (reminded) and message the assignee. */
  async remind(taskKey: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows(manager, `UPDATE task SET reminded_at = now(), version = version + 1, updated_at = now() WHERE task_key = $1 AND status = 'open' AND reminded_at IS NULL RETURNING id`, [taskKey]);
      if (rows.length === 0) return;
      const task = await manager.getRepository(Task).findOneByOrFail({ taskKey });
      await this.changed(manager, task, 'reminded', null, { newValues: { overdue: true } });
      if (task.assigneeId) {
        await writeMessages(manager, [
          {
            recipientId: task.assigneeId,
            category: 'task-reminder',
            titleZh: `任务已到期：${task.titleZh}`,
            titleEn: `Task due: ${task.titleEn}`,
            bodyZh: `业务号 ${task.businessNo} 的任务已到办理期限，请尽快处理。`,
            bodyEn: `The task of case ${task.businessNo} has reached its due date; please complete it.`,
            linkType: 'task',
            link: `/api/v1/workbench/tasks/${task.id}`,
            domain: task.domain,
            businessNo: task.businessNo,
            taskId: task.id,
            dedupeKey: `task-reminder:${task.id}`,
          },
        ]);
      }
    });
  }

  /** After the escalation delay: the task moves to the supervisor group, unassigned. */
  async escalate(taskKey: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const before = await manager.getRepository(Task).findOne({ where: { taskKey }, lock: { mode: 'pessimistic_write' } });
      if (!before || before.status !== 'open' || before.escalatedAt !== null || !before.escalationRole) return;
      const role = before.escalationRole;
      const institutionId = role === 'institution' ? before.candidateInstitutionId : null;
      await manager.query(
        `UPDATE task SET escalated_at = now(), candidate_role = $2, candidate_institution_id = $3, assignee_id = NULL, claimed_at = NULL,
           priority = 'urgent', version = version + 1, updated_at = now() WHERE id = $1`,
        [before.id, role, institutionId],
      );
      const task = await manager.getRepository(Task).findOneByOrFail({ id: before.id });
      await this.changed(manager, task, 'escalated', null, diff(
        { candidateRole: before.candidateRole, candidateInstitutionId: before.candidateInstitutionId, assigneeId: before.assigneeId, priority: before.priority },
        { candidateRole: task.candidateRole, candidateInstitutionId: task.candidateInstitutionId, assigneeId: task.assigneeId, priority: task.priority },
      ));
      // The supervisors (every account of the group, from the directory) and the former holder are told.
      const supervisors: Array<{ account_id: string }> = await manager.query(
        `SELECT account_id FROM directory_account WHERE $1 = ANY(roles) AND ($2::uuid IS NULL OR institution_id = $2::uuid) LIMIT 500`,
        [role, institutionId],
      );
      const recipients = new Set(supervisors.map((r) => r.account_id));
      if (before.assigneeId) recipients.add(before.assigneeId);
      await writeMessages(
        manager,
        [...recipients].map((recipientId) => ({
          recipientId,
          category: 'task-escalated' as const,
          titleZh: `任务已超期上报：${task.titleZh}`,
          titleEn: `Task escalated: ${task.titleEn}`,
          bodyZh: `业务号 ${task.businessNo} 的任务超期未办，已转交上级处理。`,
          bodyEn: `The task of case ${task.businessNo} was overdue and has been escalated.`,
          linkType: 'task' as const,
          link: `/api/v1/workbench/tasks/${task.id}`,
          domain: task.domain,
          businessNo: task.businessNo,
          taskId: task.id,
          dedupeKey: `task-escalated:${task.id}:${recipientId}`,
        })),
      );
    });
  }

  /** The workflow accepted a completion: close the task (no-op when workbench closed it already). */
  async close(taskKey: string, completion: TaskCompletion): Promise<void> {
    // Closed already by the completing request (or unknown): nothing to do.
    await this.dataSource.transaction((manager) => this.closeInTx(manager, { taskKey }, completion));
  }

  async cancel(taskKey: string, reason: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows(manager, `UPDATE task SET status = 'cancelled', version = version + 1, updated_at = now() WHERE task_key = $1 AND status = 'open' RETURNING id`, [taskKey]);
      if (rows.length === 0) return;
      const task = await manager.getRepository(Task).findOneByOrFail({ taskKey });
      await this.changed(manager, task, 'cancelled', null, { oldValues: { status: 'open' }, newValues: { status: 'cancelled', reason } });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Inbox (HTTP)
  // ------------------------------------------------------------------------------------------

  async list(caller: Caller, q: TaskListQuery) {
    const size = q.size ?? 20;
    const page = q.page ?? 1;
    const offset = (page - 1) * size;
    if (q.scope === 'all' && !isSupervisor(caller)) throw WorkbenchErrors.error('WORKBENCH_FORBIDDEN', { field: 'scope' });
    let dueBefore: Date | undefined;
    if (q.dueBefore) {
      const at = Date.parse(q.dueBefore);
      if (Number.isNaN(at)) throw WorkbenchErrors.error('WORKBENCH_QUERY_INVALID', { field: 'dueBefore' });
      dueBefore = new Date(at);
    }
    /** The base condition of a branch, with the filters of the query appended; parameters numbered in order. */
    const branch = (base: (p: (value: unknown) => string) => string) => {
      const params: unknown[] = [];
      const p = (value: unknown) => {
        params.push(value);
        return `$${params.length}`;
      };
      const parts = [base(p)];
      if (q.type) parts.push(`t.task_type = ${p(q.type)}`);
      if (q.institutionId) parts.push(`t.candidate_institution_id = ${p(q.institutionId)}::uuid`);
      if (q.overdue === 'true') parts.push(`t.due_at < now()`);
      if (q.overdue === 'false') parts.push(`t.due_at >= now()`);
      if (dueBefore) parts.push(`t.due_at < ${p(dueBefore)}`);
      return { where: parts.join(' AND '), params };
    };
    const order = q.sort === '-due' ? 't.due_at DESC, t.id' : q.sort === 'priority' ? `${PRIORITY_ORDER}, t.due_at, t.id` : 't.due_at ASC, t.id';
    const page_ = async (where: string, params: unknown[]) => {
      const rows = await this.rawTasks(`SELECT t.* FROM task t WHERE ${where} ORDER BY ${order} LIMIT ${size} OFFSET ${offset}`, params);
      const total = await totalOf(rows.length, () => this.dataSource.query(`SELECT count(*) AS total FROM (SELECT 1 FROM task t WHERE ${where} LIMIT ${COUNT_CAP + 1}) c`, params));
      return counted(rows.map((t) => taskView(t)), total, page, size);
    };
    /** The page's rows tell the total when the page is not full (an empty inbox polled is one query, not two). */
    const totalOf = async (n: number, count: () => Promise<Array<{ total: string }>>) =>
      n < size && (offset === 0 || n > 0) ? offset + n : Number((await count())[0]?.total ?? 0);

    if (q.status === 'completed') {
      const b = branch((p) => `t.status = 'completed' AND t.completed_by = ${p(caller.sub)}`);
      return page_(b.where, b.params);
    }
    if (q.scope === 'all') {
      const b = branch(() => `t.status = 'open'`);
      return page_(b.where, b.params);
    }
    const mine = branch((p) => `t.status = 'open' AND t.assignee_id = ${p(caller.sub)}`);
    if (q.assignee === 'me') return page_(mine.where, mine.params);
    // Mine, plus my groups' unassigned tasks. One branch per (role, institution) of the caller,
    // each an ordered walk of the group index, merged: no sort of a whole group's tasks.
    const branches = [mine];
    for (const role of groupRoles(caller)) {
      branches.push(branch((p) => `t.status = 'open' AND t.assignee_id IS NULL AND t.candidate_role = ${p(role)} AND t.candidate_institution_id IS NULL`));
      if (caller.institutionId) {
        const inst = caller.institutionId;
        branches.push(branch((p) => `t.status = 'open' AND t.assignee_id IS NULL AND t.candidate_role = ${p(role)} AND t.candidate_institution_id = ${p(inst)}::uuid`));
      }
    }
    const params: unknown[] = [];
    const wheres = branches.map((b) => {
      const shifted = b.where.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + params.length}`);
      params.push(...b.params);
      return shifted;
    });
    const limit = offset + size;
    const rows = await this.rawTasks(
      `SELECT * FROM (${wheres.map((w) => `(SELECT t.* FROM task t WHERE ${w} ORDER BY ${order} LIMIT ${limit})`).join(' UNION ALL ')}) t
       ORDER BY ${order} LIMIT ${size} OFFSET ${offset}`,
      params,
    );
    const total = await totalOf(rows.length, () =>
      this.dataSource.query(`SELECT ${wheres.map((w) => `(SELECT count(*) FROM (SELECT 1 FROM task t WHERE ${w} LIMIT ${COUNT_CAP + 1}) c)`).join(' + ')} AS total`, params),
    );
    return counted(rows.map((t) => taskView(t)), total, page, size);
  }

  async get(caller: Caller, id: string) {
    return taskView(await this.visible(caller, id));
  }

  /**
   * "Next task": the earliest due open task I hold; else the earliest due unassigned task of my
   * groups, claimed in the same statement. A task another colleague is claiming at that moment is
   * skipped (SKIP LOCKED) rather than waited for, so colleagues asking at once each get a
   * different task and nobody gets a "taken" answer. With `waitSeconds`, a caller with nothing to
   * do waits up to that long for a task to become workable (long poll, {@link TaskWaiters})
   * instead of asking again and again; `signal` ends the wait when the caller goes away.
   */
  async next(caller: Caller, body: NextTaskBody, waitSeconds = 0, signal?: AbortSignal): Promise<{ task: ReturnType<typeof taskView> | null }> {
    const type = body.type ?? null;
    const deadline = Date.now() + waitSeconds * 1000;
    let announced: TaskReady | undefined;
    for (;;) {
      // The caller went away: nothing is claimed for nobody (an announcement it got goes to another).
      if (signal?.aborted) {
        if (announced) this.waiters.pass(announced);
        return { task: null };
      }
      const wait = Date.now() < deadline && !this.waiters.closed ? this.waiters.register(caller, type) : undefined;
      let found: Task | null;
      try {
        found = await this.takeNext(caller, type);
      } catch (err) {
        for (const ready of [announced, wait?.cancel()]) if (ready) this.waiters.pass(ready);
        throw err;
      }
      // Woken for a task but took another (one I held, an earlier one): someone else may take that one.
      if (announced && found && announced.taskId !== found.id) this.waiters.pass(announced);
      if (found || !wait) {
        const late = wait?.cancel();
        if (late && late.taskId !== found?.id) this.waiters.pass(late);
        return { task: found ? taskView(found) : null };
      }
      announced = await wait.until(deadline, signal);
    }
  }

  private async takeNext(caller: Caller, type: string | null): Promise<Task | null> {
    const roles = groupRoles(caller);
    // One round trip answers the common cases: the task I hold, or that there is nothing to claim
    // (most calls of a waiting reviewer); only a task to claim opens a transaction.
    const [first] = await this.dataSource.query(
      `SELECT h.*, (h.id IS NULL AND EXISTS (
           SELECT 1 FROM task c WHERE c.status = 'open' AND c.assignee_id IS NULL AND ${candidatePredicate('c', { roles: '$3', inst: '$4' })} AND ($2::text IS NULL OR c.task_type = $2)
         )) AS claimable
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (
         SELECT t.* FROM task t WHERE t.status = 'open' AND t.assignee_id = $1 AND ($2::text IS NULL OR t.task_type = $2) ORDER BY t.due_at, t.id LIMIT 1
       ) h ON true`,
      [caller.sub, type, roles, caller.institutionId],
    );
    if (first?.id) {
      const { claimable: _claimable, ...held } = first as Record<string, unknown>;
      return this.taskOf(held);
    }
    if (first?.claimable !== true) return null;
    return this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows(
        manager,
        `WITH pick AS (
           SELECT t.id FROM task t
           WHERE t.status = 'open' AND t.assignee_id IS NULL AND ${candidatePredicate('t', { roles: '$2', inst: '$3' })} AND ($4::text IS NULL OR t.task_type = $4)
           ORDER BY t.due_at, t.id LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE task t SET assignee_id = $1, claimed_at = now(), version = t.version + 1, updated_at = now()
         FROM pick WHERE t.id = pick.id RETURNING t.*`,
        [caller.sub, roles, caller.institutionId, type],
      );
      if (rows.length === 0) return null;
      const task = this.taskOf(rows[0]!);
      await this.changed(manager, task, 'claimed', caller.sub, { oldValues: { assigneeId: null }, newValues: { assigneeId: caller.sub } });
      return task;
    });
  }

  /** Two people claiming at once: the conditional update lets exactly one through. */
  async claim(caller: Caller, id: string) {
    if (!isUuid(id)) throw WorkbenchErrors.error('WORKBENCH_NOT_FOUND');
    return this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows(
        manager,
        `UPDATE task t SET assignee_id = $1, claimed_at = now(), version = version + 1, updated_at = now()
         WHERE t.id = $4 AND t.status = 'open' AND t.assignee_id IS NULL AND ${candidatePredicate('t', { roles: '$2', inst: '$3' })} RETURNING t.*`,
        [caller.sub, groupRoles(caller), caller.institutionId, id],
      );
      if (rows.length === 0) {
        const task = await this.findForCaller(manager, caller, id, { candidateAlso: true });
        if (task.status !== 'open') throw WorkbenchErrors.error('TASK_NOT_OPEN');
        if (task.assigneeId === caller.sub) return taskView(task);
        // A supervisor sees every task but claims only its own groups' (it assigns the others).
        if (!isCandidate(caller, task)) throw WorkbenchErrors.error('WORKBENCH_FORBIDDEN');
        throw WorkbenchErrors.error('TASK_ALREADY_CLAIMED');
      }
      const task = this.taskOf(rows[0]!);
      await this.changed(manager, task, 'claimed', caller.sub, { oldValues: { assigneeId: null }, newValues: { assigneeId: caller.sub } });
      return taskView(task);
    });
  }

  async unclaim(caller: Caller, id: string) {
    return this.dataSource.transaction(async (manager) => {
      const task = await this.findForCaller(manager, caller, id, { candidateAlso: true });
      if (task.status !== 'open') throw WorkbenchErrors.error('TASK_NOT_OPEN');
      if (task.assigneeId !== caller.sub) throw WorkbenchErrors.error('TASK_NOT_CLAIMED');
      // A task assigned to an expert goes back to nobody's group: only its supervisor may move it.
      if (!isCandidate(caller, task)) throw WorkbenchErrors.error('WORKBENCH_FORBIDDEN');
      const rows = await sqlRows(manager, `UPDATE task SET assignee_id = NULL, claimed_at = NULL, version = version + 1, updated_at = now() WHERE id = $1 AND status = 'open' AND assignee_id = $2 RETURNING id`, [id, caller.sub]);
      if (rows.length === 0) throw WorkbenchErrors.error('TASK_NOT_CLAIMED');
      const after = await manager.getRepository(Task).findOneByOrFail({ id });
      await this.changed(manager, after, 'unclaimed', caller.sub, { oldValues: { assigneeId: caller.sub }, newValues: { assigneeId: null } });
      return taskView(after);
    });
  }

  /** The supervisor hands a task to a person (e.g. the expert of an evaluation). */
  async assign(caller: Caller, id: string, assigneeId: string) {
    if (!isSupervisor(caller)) {
      // Looks like any other task the caller cannot see.
      await this.visible(caller, id);
      throw WorkbenchErrors.error('WORKBENCH_FORBIDDEN');
    }
    return this.handOver(caller, id, assigneeId, 'assigned');
  }

  /** The holder of a task hands it to someone else. */
  async delegate(caller: Caller, id: string, assigneeId: string) {
    return this.handOver(caller, id, assigneeId, 'delegated');
  }

  private async handOver(caller: Caller, id: string, assigneeId: string, action: 'assigned' | 'delegated') {
    return this.dataSource.transaction(async (manager) => {
      const task = await this.findForCaller(manager, caller, id, { candidateAlso: true, lock: true });
      if (task.status !== 'open') throw WorkbenchErrors.error('TASK_NOT_OPEN');
      if (action === 'delegated' && task.assigneeId !== caller.sub) throw WorkbenchErrors.error('TASK_NOT_CLAIMED');
      if (assigneeId === task.assigneeId) throw WorkbenchErrors.error('TASK_ASSIGNEE_INVALID', { field: 'assigneeId' });
      // Only someone who could work on the task may get it (an expert task to an expert, an
      // institution's task to a user of that institution …); an unknown account is refused the same.
      const target = await manager.getRepository(DirectoryAccount).findOneBy({ accountId: assigneeId });
      if (!target || !mayHold(target, task)) throw WorkbenchErrors.error('TASK_ASSIGNEE_INVALID', { field: 'assigneeId' });
      await manager.query(`UPDATE task SET assignee_id = $2, claimed_at = now(), version = version + 1, updated_at = now() WHERE id = $1`, [id, assigneeId]);
      const after = await manager.getRepository(Task).findOneByOrFail({ id });
      await this.changed(manager, after, action, caller.sub, { oldValues: { assigneeId: task.assigneeId }, newValues: { assigneeId } });
      await writeMessages(manager, [assignedMessage(after, assigneeId, `task-assigned:${id}:${after.version}`)]);
      return taskView(after);
    });
  }

  /**
   * Completes a claimed task: checks here what validators cannot (role, institution, claim), then
   * sends the workflow its Update with the request id as Update id — a retried request, even
   * after a crash between the Update and closing the task, acts once — and closes the task only
   * after the Update was accepted.
   */
  async complete(caller: Caller, id: string, body: { outcome: string; opinion?: string; data?: Record<string, unknown> }, requestId: string) {
    const task = await this.visible(caller, id);
    if (task.status === 'completed') {
      if (task.completionRequestId === requestId) return taskView(task);
      throw WorkbenchErrors.error('TASK_ALREADY_COMPLETED');
    }
    if (task.status !== 'open') throw WorkbenchErrors.error('TASK_NOT_OPEN');
    if (task.assigneeId !== caller.sub) throw WorkbenchErrors.error('TASK_NOT_CLAIMED');
    if (body.data && Buffer.byteLength(JSON.stringify(body.data)) > MAX_DATA_BYTES) throw WorkbenchErrors.error('TASK_DATA_TOO_LARGE', { field: 'data' });
    const completion: TaskCompletion = {
      taskKey: task.taskKey,
      stage: task.stage,
      round: task.round,
      outcome: body.outcome,
      opinion: body.opinion?.trim() ? body.opinion.trim() : null,
      data: body.data ?? null,
      actorId: caller.sub,
      requestId,
      completedAt: new Date().toISOString(),
    };
    const problem = completionProblem(task.outcomes, completion);
    if (problem) throw WorkbenchErrors.error(problem.code, { field: problem.field });
    await this.checkNamedAccounts(task.outcomes.find((o) => o.code === completion.outcome)?.accountData, completion.data);

    try {
      await this.temporal.workflow
        .getHandle(task.workflowId)
        .executeUpdate(completeTaskUpdate, { args: [completion], updateId: `complete:${task.id}:${requestId}` });
    } catch (err) {
      // The workflow may have finished right after accepting this very completion (its own
      // closeTask ran first): then the task says so.
      const now = (await this.taskById(id))!;
      if (now.status === 'completed' && now.completionRequestId === requestId) return taskView(now);
      throw this.updateFailure(err, now);
    }
    // Closed already by the workflow's closeTask (or a retried request): as it is.
    const closed = (await this.dataSource.transaction((manager) => this.closeInTx(manager, { id: task.id }, completion))) ?? (await this.taskById(task.id));
    return taskView(closed!);
  }

  /**
   * Every account the decision names (`accountData` of its outcome, e.g. the expert an admin
   * assigns) must be in the directory with the role it is named for; otherwise 422
   * `TASK_ACCOUNT_INVALID` at `data.<key>`, and nothing is sent to the process.
   */
  private async checkNamedAccounts(accountData: Record<string, string> | undefined, data: Record<string, unknown> | null): Promise<void> {
    for (const [key, role] of Object.entries(accountData ?? {})) {
      const accountId = data?.[key];
      const known =
        typeof accountId === 'string' &&
        isUuid(accountId) &&
        (await sqlRows(this.dataSource, `SELECT 1 FROM directory_account WHERE account_id = $1 AND $2 = ANY(roles)`, [accountId, role])).length > 0;
      if (!known) throw WorkbenchErrors.error('TASK_ACCOUNT_INVALID', { field: `data.${key}` });
    }
  }

  /**
   * The supervisor closes a task whose process has ended without it (terminated by ops, or
   * timed out elsewhere). A task of a running process is cancelled by that process, never here.
   */
  async cancelOrphan(caller: Caller, id: string, reason: string) {
    if (!isSupervisor(caller)) {
      await this.visible(caller, id);
      throw WorkbenchErrors.error('WORKBENCH_FORBIDDEN');
    }
    const task = await this.visible(caller, id);
    if (task.status !== 'open') throw WorkbenchErrors.error('TASK_NOT_OPEN');
    let running: boolean;
    try {
      const description = await this.temporal.workflow.getHandle(task.workflowId).describe();
      running = description.status.name === 'RUNNING';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw this.updateFailure(err, task);
      running = false;
    }
    if (running) throw WorkbenchErrors.error('TASK_PROCESS_RUNNING');
    await this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows(manager, `UPDATE task SET status = 'cancelled', version = version + 1, updated_at = now() WHERE id = $1 AND status = 'open' RETURNING id`, [id]);
      if (rows.length === 0) throw WorkbenchErrors.error('TASK_NOT_OPEN');
      const after = await manager.getRepository(Task).findOneByOrFail({ id });
      await this.changed(manager, after, 'cancelled', caller.sub, { oldValues: { status: 'open' }, newValues: { status: 'cancelled', reason }, opinion: reason });
    });
    return taskView(await this.dataSource.getRepository(Task).findOneByOrFail({ id }));
  }

  /** Provisional due dates (a year's calendar was missing) are recomputed and the workflows told. */
  async rescheduleProvisional(): Promise<number> {
    const tasks = await this.dataSource.getRepository(Task).find({ where: { status: 'open', dueProvisional: true } });
    let moved = 0;
    for (const task of tasks) {
      const due = await this.calendar.dueDates(task.createdAt, task.dueInWorkingDays, task.escalationWorkingDays);
      if (due.provisional) continue;
      const escalateAt = due.escalateAt;
      await this.dataSource.transaction(async (manager) => {
        const rows = await sqlRows(manager, `UPDATE task SET due_at = $2, escalate_at = $3, due_provisional = false, version = version + 1, updated_at = now() WHERE id = $1 AND due_provisional RETURNING id`, [task.id, due.dueAt, escalateAt]);
        if (rows.length === 0) return;
        const after = await manager.getRepository(Task).findOneByOrFail({ id: task.id });
        await this.changed(manager, after, 'rescheduled', null, {
          oldValues: { dueAt: task.dueAt.toISOString(), dueProvisional: true },
          newValues: { dueAt: due.dueAt.toISOString(), dueProvisional: false },
        });
      });
      await this.temporal.workflow
        .getHandle(task.workflowId)
        .signal(rescheduleTaskSignal, { taskKey: task.taskKey, dueAt: due.dueAt.toISOString(), escalateAt: escalateAt?.toISOString() ?? null })
        .catch((err: unknown) => this.logger.warn('could not tell the workflow its new due date', { taskId: task.id, err }));
      moved += 1;
    }
    return moved;
  }

  // ------------------------------------------------------------------------------------------

  /** Closes the open task (by id or by key); the task as it is now, or null when it was not open (or is unknown). */
  private async closeInTx(manager: EntityManager, which: { id: string } | { taskKey: string }, completion: TaskCompletion): Promise<Task | null> {
    const rows = await sqlRows<Record<string, unknown>>(
      manager,
      `UPDATE task SET status = 'completed', outcome = $2, opinion = $3, completion_data = $4, completed_by = $5, completion_request_id = $6,
         completed_at = $7, version = version + 1, updated_at = now() WHERE ${'id' in which ? 'id = $1::uuid' : 'task_key = $1'} AND status = 'open' RETURNING *`,
      ['id' in which ? which.id : which.taskKey, completion.outcome, completion.opinion, completion.data === null ? null : JSON.stringify(completion.data), completion.actorId, completion.requestId, new Date(completion.completedAt)],
    );
    if (rows.length === 0) return null;
    const after = this.taskOf(rows[0]!);
    await this.changed(manager, after, 'completed', completion.actorId, {
      oldValues: { status: 'open' },
      newValues: { status: 'completed', outcome: completion.outcome },
      outcome: completion.outcome,
      opinion: completion.opinion,
    });
    return after;
  }

  private updateFailure(err: unknown, task: Task): unknown {
    if (err instanceof WorkflowUpdateFailedError) {
      const [code, field] = (err.cause?.message ?? '').split(':') as [string, string | undefined];
      if (REJECTION_CODES.has(code as RejectionCode)) return WorkbenchErrors.error(code as RejectionCode, field ? { field } : undefined);
      this.logger.error('the workflow refused a completion for an unexpected reason', { taskId: task.id, err });
      return WorkbenchErrors.error('TASK_NOT_OPEN');
    }
    if (err instanceof WorkflowNotFoundError) return WorkbenchErrors.error('TASK_CASE_CLOSED');
    // The Update was not processed within the call's deadline (the workflow's worker or the
    // server busy): whether it was taken is unknown, so the client retries with the same request id.
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      this.logger.warn('the workflow did not take the completion in time; the client may retry with the same request id', { taskId: task.id });
      return WorkbenchErrors.error('TASK_PROCESS_UNAVAILABLE');
    }
    const name = (err as { name?: string }).name;
    if (name === 'ServiceError' || name === 'ConnectionError' || name === 'GrpcError') {
      this.logger.warn('sending a completion failed; the client may retry with the same request id', { taskId: task.id, err });
      return WorkbenchErrors.error('TASK_PROCESS_UNAVAILABLE');
    }
    return err;
  }

  /** The task when the caller may see it; 404 otherwise (the same as an unknown id). */
  private async visible(caller: Caller, id: string): Promise<Task> {
    if (!isUuid(id)) throw WorkbenchErrors.error('WORKBENCH_NOT_FOUND');
    const task = await this.taskById(id);
    if (!task || !canSee(caller, task)) throw WorkbenchErrors.error('WORKBENCH_NOT_FOUND');
    return task;
  }

  /** One task by id, read with plain SQL (the inbox's hot path: no query building). */
  private async taskById(id: string): Promise<Task | null> {
    return (await this.rawTasks('SELECT t.* FROM task t WHERE t.id = $1::uuid', [id]))[0] ?? null;
  }

  private async findForCaller(manager: EntityManager, caller: Caller, id: string, options: { candidateAlso?: boolean; lock?: boolean } = {}): Promise<Task> {
    if (!isUuid(id)) throw WorkbenchErrors.error('WORKBENCH_NOT_FOUND');
    const task = await manager.getRepository(Task).findOne({ where: { id }, ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!task) throw WorkbenchErrors.error('WORKBENCH_NOT_FOUND');
    // Colleagues of the group may learn that a task is taken (409), strangers may not (404).
    const ok = canSee(caller, task) || (options.candidateAlso === true && isCandidate(caller, task));
    if (!ok) throw WorkbenchErrors.error('WORKBENCH_NOT_FOUND');
    return task;
  }

  private async rawTasks(sql: string, params: unknown[]): Promise<Task[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(sql, params);
    return rows.map((row) => this.taskOf(row));
  }

  /** A task from a row of `task` (a RETURNING * or SELECT t.*): the entity without reading it again. */
  private taskOf(row: Record<string, unknown>): Task {
    const repo = this.dataSource.getRepository(Task);
    this.propertyOf ??= new Map(repo.metadata.columns.map((c) => [c.databaseName, c.propertyName]));
    const t: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) t[this.propertyOf.get(k) ?? k] = v;
    return repo.create(t as Partial<Task>);
  }

  private propertyOf: Map<string, string> | undefined;

  private async changed(
    manager: EntityManager,
    task: Task,
    action: TaskAction,
    actorId: string | null,
    audit: { oldValues?: Record<string, unknown>; newValues?: Record<string, unknown>; outcome?: string | null; opinion?: string | null },
  ): Promise<void> {
    const auditEntry = auditInsert([
      {
        domain: task.domain,
        businessNo: task.businessNo,
        taskId: task.id,
        action: `task.${action}`,
        actorId,
        outcome: audit.outcome ?? null,
        opinion: audit.opinion ?? null,
        oldValues: audit.oldValues ?? null,
        newValues: audit.newValues ?? null,
        dedupeKey: `task:${task.id}:${task.version}:${action}`,
      },
    ]);
    // Someone may now take it: a request waiting for work is woken once this commits.
    const ready =
      task.status === 'open' && READY_ACTIONS.has(action)
        ? [taskReadyNotice({ taskId: task.id, role: task.candidateRole, institutionId: task.candidateInstitutionId, assigneeId: task.assigneeId, type: task.taskType })]
        : [];
    // The audit entry, the announcement and the event go to the database in one statement.
    await this.outbox.appendAll(
      manager,
      [
        {
      topic: WorkbenchTopics.TaskChanged,
      subjectId: task.id,
      actorId,
      data: {
        taskId: task.id,
        taskKey: task.taskKey,
        taskType: task.taskType,
        domain: task.domain,
        businessNo: task.businessNo,
        workflowId: task.workflowId,
        action,
        status: task.status,
        assigneeId: task.assigneeId,
        candidateRole: task.candidateRole,
        institutionId: task.candidateInstitutionId,
        outcome: task.outcome,
        dueAt: task.dueAt.toISOString(),
        at: new Date().toISOString(),
      },
        },
      ],
      { writes: [auditEntry], notify: ready },
    );
  }
}

/**
 * Counting a whole group's open tasks on every page view costs more than the page itself; beyond
 * this many the inbox says "more than 1000" (`totalIsLowerBound`).
 */
const COUNT_CAP = 1000;

function counted<T>(items: T[], total: number, page: number, size: number) {
  return { items, total: Math.min(total, COUNT_CAP), totalIsLowerBound: total > COUNT_CAP, page, size };
}

function createdOf(task: Task): CreatedTask {
  return { taskId: task.id, dueAt: task.dueAt.toISOString(), escalateAt: task.escalateAt?.toISOString() ?? null, dueProvisional: task.dueProvisional };
}

function assignedMessage(task: Task, recipientId: string, dedupeKey: string): NewMessage {
  return {
    recipientId,
    category: 'task-assigned',
    titleZh: `新任务：${task.titleZh}`,
    titleEn: `New task: ${task.titleEn}`,
    bodyZh: `业务号 ${task.businessNo}（${task.itemName}）有一项任务分配给您，办理期限 ${task.dueInWorkingDays} 个工作日。`,
    bodyEn: `A task of case ${task.businessNo} was assigned to you; due in ${task.dueInWorkingDays} working days.`,
    linkType: 'task',
    link: `/api/v1/workbench/tasks/${task.id}`,
    domain: task.domain,
    businessNo: task.businessNo,
    taskId: task.id,
    dedupeKey,
  };
}
