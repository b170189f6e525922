import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { putInAccountDirectory } from '@certhub/testing';
import { WorkbenchHarness, testCaller, type TestCaller } from '../testing/workbench-harness';
import { taskInput } from '../testing/task-fixtures';
import { TaskService } from './task.service';
import { TaskWaiters } from './task-waiters';

type TaskBody = { id: string; status: string; assigneeId: string | null; dueAt: string; overdue: boolean; candidateGroup: { role: string; institutionId: string | null }; priority: string; code?: string; field?: string };
type ListBody = { items: TaskBody[]; total: number };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('workbench inbox: claim race, authorisation matrix, hand-over, reminders and escalation (WB-1)', () => {
  let h: WorkbenchHarness;
  let tasks: TaskService;
  const instA = randomUUID();
  const instB = randomUUID();
  let staff1: TestCaller, staff2: TestCaller, admin: TestCaller, instUserA: TestCaller, instUserA2: TestCaller, instUserB: TestCaller, expertX: TestCaller, expertY: TestCaller, personal: TestCaller;

  before(async () => {
    h = await WorkbenchHarness.start({ RUN_PROJECTION: 'false' });
    tasks = h.app.get(TaskService);
    staff1 = testCaller('staff');
    staff2 = testCaller('staff');
    admin = testCaller('admin');
    instUserA = testCaller('institution', { institutionId: instA });
    instUserA2 = testCaller('institution', { institutionId: instA });
    instUserB = testCaller('institution', { institutionId: instB });
    expertX = testCaller('expert');
    expertY = testCaller('expert');
    personal = testCaller('personal');
  });
  after(async () => {
    await h?.stop();
  });

  const get = (caller: TestCaller, id: string) => h.request<TaskBody>('GET', `/api/v1/workbench/tasks/${id}`, { caller });
  const claim = (caller: TestCaller, id: string) => h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${id}/claim`, { caller });
  const list = (caller: TestCaller, query = '') => h.request<ListBody>('GET', `/api/v1/workbench/tasks?size=100${query}`, { caller });

  it('creates a task once per key, due in working days on the official calendar', async () => {
    const input = taskInput({ dueInWorkingDays: 3 });
    const [a, b] = await Promise.all([tasks.create(input), tasks.create(input)]);
    assert.equal(a.taskId, b.taskId, 'a retried activity gets the same task');
    const rows: unknown[] = await h.dataSource.query('SELECT 1 FROM task WHERE task_key = $1', [input.key]);
    assert.equal(rows.length, 1);
    const due = new Date(a.dueAt);
    // End of a China day: 15:59:59.999 UTC.
    assert.equal(due.toISOString().slice(11), '15:59:59.999Z');
    assert.ok(Date.parse(a.escalateAt!) > due.getTime());
    const history: Array<{ action: string }> = await h.dataSource.query(`SELECT action FROM audit_entry WHERE task_id = $1`, [a.taskId]);
    assert.deepEqual(history.map((e) => e.action), ['task.created']);
  });

  it('two people claiming at once: exactly one wins, every time', async () => {
    const created = await Promise.all(Array.from({ length: 10 }, () => tasks.create(taskInput())));
    for (const { taskId } of created) {
      const [r1, r2] = await Promise.all([claim(staff1, taskId), claim(staff2, taskId)]);
      const statuses = [r1.status, r2.status].sort();
      assert.deepEqual(statuses, [200, 409], `claims answered ${statuses}`);
      const loser = r1.status === 409 ? r1 : r2;
      assert.equal(loser.body.code, 'TASK_ALREADY_CLAIMED');
      const winner = r1.status === 200 ? staff1 : staff2;
      const row: Array<{ assignee_id: string }> = await h.dataSource.query('SELECT assignee_id FROM task WHERE id = $1', [taskId]);
      assert.equal(row[0]!.assignee_id, winner.sub);
      const claims: unknown[] = await h.dataSource.query(`SELECT 1 FROM audit_entry WHERE task_id = $1 AND action = 'task.claimed'`, [taskId]);
      assert.equal(claims.length, 1);
    }
  });

  it('authorisation: institutions see only their own tasks, experts only theirs, applicants none; unknown and foreign ids look the same', async () => {
    const staffTask = await tasks.create(taskInput());
    const instTaskA = await tasks.create(taskInput({ role: 'institution', institutionId: instA }));
    const expertTask = await tasks.create(taskInput({ role: 'expert', assigneeId: expertX.sub }));
    const unassignedExpertTask = await tasks.create(taskInput({ role: 'expert' }));

    const visible = async (caller: TestCaller) => new Set((await list(caller)).body.items.map((t) => t.id));
    const matrix: Array<[string, TestCaller, string[], string[]]> = [
      ['staff', staff1, [staffTask.taskId], [instTaskA.taskId, expertTask.taskId, unassignedExpertTask.taskId]],
      ['institution A', instUserA, [instTaskA.taskId], [staffTask.taskId, expertTask.taskId]],
      ['institution B', instUserB, [], [instTaskA.taskId, staffTask.taskId, expertTask.taskId]],
      ['expert X', expertX, [expertTask.taskId], [unassignedExpertTask.taskId, staffTask.taskId, instTaskA.taskId]],
      ['expert Y', expertY, [], [expertTask.taskId, unassignedExpertTask.taskId]],
      ['personal', personal, [], [staffTask.taskId, instTaskA.taskId, expertTask.taskId]],
    ];
    for (const [who, caller, sees, notSees] of matrix) {
      const listed = await visible(caller);
      for (const id of sees) {
        assert.ok(listed.has(id), `${who} lists ${id}`);
        assert.equal((await get(caller, id)).status, 200, `${who} reads ${id}`);
      }
      for (const id of notSees) {
        assert.ok(!listed.has(id), `${who} must not list ${id}`);
        const res = await get(caller, id);
        assert.equal(res.status, 404, `${who} reading ${id}`);
        assert.equal(res.body.code, 'WORKBENCH_NOT_FOUND');
        const claimed = await claim(caller, id);
        assert.equal(claimed.status, 404, `${who} claiming ${id}`);
      }
    }
    // An unknown id and a malformed id answer exactly like a foreign one.
    const unknown = await get(staff1, randomUUID());
    const foreign = await get(instUserB, instTaskA.taskId);
    assert.deepEqual([unknown.status, unknown.body.code], [foreign.status, foreign.body.code]);
    assert.equal((await get(staff1, 'not-a-uuid')).status, 404);
    // 36 characters of the right alphabet that are no uuid (the database would refuse the cast).
    for (const id of ['a'.repeat(36), '-'.repeat(36)]) {
      assert.equal((await get(staff1, id)).status, 404, `GET ${id}`);
      assert.equal((await claim(staff1, id)).status, 404, `claim ${id}`);
    }
    // Nobody but the admin may list everything.
    assert.equal((await list(staff1, '&scope=all')).status, 403);
    const all = await list(admin, '&scope=all');
    assert.equal(all.status, 200);
    // The institution's colleague sees the task claimed by the first one as taken (409), not as unknown.
    assert.equal((await claim(instUserA, instTaskA.taskId)).status, 200);
    const taken = await claim(instUserA2, instTaskA.taskId);
    assert.deepEqual([taken.status, taken.body.code], [409, 'TASK_ALREADY_CLAIMED']);
    // An expert cannot hand their assigned task back to a group they are not a candidate of.
    const unclaimExpert = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${expertTask.taskId}/unclaim`, { caller: expertX });
    assert.equal(unclaimExpert.status, 403);
  });

  it('pages: the total is right on a full page, a partial page, a later page and past the end (mine and my groups merged)', async () => {
    const type = `page-${randomUUID().slice(0, 8)}`;
    const institution = randomUUID();
    const user = testCaller('institution', { institutionId: institution });
    // 5 of the institution's group, 2 assigned to the user: 7 in the user's inbox.
    for (let i = 0; i < 5; i++) await tasks.create(taskInput({ type, role: 'institution', institutionId: institution }));
    for (let i = 0; i < 2; i++) await tasks.create(taskInput({ type, role: 'institution', institutionId: institution, assigneeId: user.sub }));
    const page = async (query: string) => (await h.request<ListBody>('GET', `/api/v1/workbench/tasks?type=${type}${query}`, { caller: user })).body;
    const totals = async (query: string) => {
      const body = await page(query);
      return [body.items.length, body.total];
    };
    assert.deepEqual(await totals('&size=3'), [3, 7], 'a full first page counts');
    assert.deepEqual(await totals('&size=10'), [7, 7], 'a partial first page');
    assert.deepEqual(await totals('&size=3&page=3'), [1, 7], 'a partial later page');
    assert.deepEqual(await totals('&size=7&page=2'), [0, 7], 'past the end still tells the total');
    assert.deepEqual(await totals('&size=3&assignee=me'), [2, 2], 'mine only, partial');
    assert.deepEqual(await totals('&size=1&assignee=me'), [1, 2], 'mine only, full');
    const empty = testCaller('institution', { institutionId: randomUUID() });
    const none = (await h.request<ListBody>('GET', `/api/v1/workbench/tasks?type=${type}`, { caller: empty })).body;
    assert.deepEqual([none.items.length, none.total], [0, 0], 'another institution sees none of them');
  });

  it('filters and sorts: my tasks, type, institution, overdue; by due date', async () => {
    const type = `filter-${randomUUID().slice(0, 8)}`;
    const later = await tasks.create(taskInput({ type, dueInWorkingDays: 9 }));
    const sooner = await tasks.create(taskInput({ type, dueInWorkingDays: 1 }));
    const overdue = await tasks.create(taskInput({ type, dueInWorkingDays: 5 }));
    await h.dataSource.query(`UPDATE task SET due_at = now() - interval '1 day' WHERE id = $1`, [overdue.taskId]);
    const byDue = await list(staff2, `&type=${type}`);
    assert.deepEqual(byDue.body.items.map((t) => t.id), [overdue.taskId, sooner.taskId, later.taskId]);
    assert.deepEqual(byDue.body.items.map((t) => t.overdue), [true, false, false]);
    const desc = await list(staff2, `&type=${type}&sort=-due`);
    assert.deepEqual(desc.body.items.map((t) => t.id), [later.taskId, sooner.taskId, overdue.taskId]);
    const onlyOverdue = await list(staff2, `&type=${type}&overdue=true`);
    assert.deepEqual(onlyOverdue.body.items.map((t) => t.id), [overdue.taskId]);
    assert.equal(onlyOverdue.body.total, 1);
    await claim(staff2, sooner.taskId);
    const mine = await list(staff2, `&type=${type}&assignee=me`);
    assert.deepEqual(mine.body.items.map((t) => t.id), [sooner.taskId]);
    const instType = `inst-${randomUUID().slice(0, 8)}`;
    const instTask = await tasks.create(taskInput({ type: instType, role: 'institution', institutionId: instA }));
    const byInst = await list(instUserA, `&type=${instType}&institutionId=${instA}`);
    assert.deepEqual(byInst.body.items.map((t) => t.id), [instTask.taskId]);
    const bad = await h.request<TaskBody>('GET', '/api/v1/workbench/tasks?overdue=maybe', { caller: staff2 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'overdue');
    const unknownParam = await h.request<TaskBody>('GET', '/api/v1/workbench/tasks?colour=red', { caller: staff2 });
    assert.equal(unknownParam.status, 400);
  });

  it('next task: mine first, else the earliest due of my groups claimed for me; colleagues asking at once get different tasks', async () => {
    type NextBody = { task: TaskBody | null; code?: string; field?: string };
    const next = (caller: TestCaller, body: Record<string, unknown> = {}) => h.request<NextBody>('POST', '/api/v1/workbench/tasks/next', { caller, body });
    const claimsOf = async (taskId: string) => (await h.dataSource.query(`SELECT 1 FROM audit_entry WHERE task_id = $1 AND action = 'task.claimed'`, [taskId])).length as number;
    const inst = randomUUID();
    const colleagues = Array.from({ length: 6 }, () => testCaller('institution', { institutionId: inst }));
    const [first, ...others] = colleagues;
    const created = [];
    for (const days of [4, 2, 6, 3]) created.push(await tasks.create(taskInput({ role: 'institution', institutionId: inst, dueInWorkingDays: days })));
    const [d4, d2, d6, d3] = created.map((c) => c.taskId);
    // Another institution's task and another group's are never handed out.
    const foreign = await tasks.create(taskInput({ role: 'institution', institutionId: randomUUID(), dueInWorkingDays: 1 }));

    const mine = await next(first!);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.task?.id, d2, 'the earliest due of the group');
    assert.equal(mine.body.task?.assigneeId, first!.sub);
    const again = await next(first!);
    assert.equal(again.body.task?.id, d2, 'a task I hold comes before claiming another');
    assert.equal(await claimsOf(d2!), 1);

    const answers = await Promise.all(others.map((c) => next(c)));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
    const handed = answers.map((a) => a.body.task?.id).filter((id): id is string => id !== undefined);
    assert.deepEqual([...handed].sort(), [d3!, d4!, d6!].sort(), 'each remaining task to exactly one colleague, the rest told there is none');
    assert.equal(answers.filter((a) => a.body.task === null).length, 2);
    for (const id of [d3, d4, d6]) assert.equal(await claimsOf(id!), 1);
    const holders: Array<{ id: string; assignee_id: string }> = await h.dataSource.query(`SELECT id, assignee_id FROM task WHERE id = ANY($1)`, [[d3, d4, d6]]);
    for (const row of holders) {
      const answer = answers.find((a) => a.body.task?.id === row.id)!;
      assert.equal(answer.body.task?.assigneeId, row.assignee_id);
    }
    const [foreignRow]: Array<{ assignee_id: string | null }> = await h.dataSource.query('SELECT assignee_id FROM task WHERE id = $1', [foreign.taskId]);
    assert.equal(foreignRow!.assignee_id, null);

    // A type filter applies to the tasks I hold as well as to those I would claim.
    const otherType = `next-${randomUUID().slice(0, 8)}`;
    const typed = await tasks.create(taskInput({ role: 'institution', institutionId: inst, type: otherType }));
    const byType = await next(first!, { type: otherType });
    assert.equal(byType.body.task?.id, typed.taskId);
    assert.deepEqual((await next(first!, { type: 'none-of-these' })).body, { task: null });

    // Assigned tasks only for experts, nothing for applicants; bad input changes nothing.
    const expert = testCaller('expert');
    const expertTask = await tasks.create(taskInput({ role: 'expert', assigneeId: expert.sub }));
    assert.equal((await next(expert)).body.task?.id, expertTask.taskId);
    assert.deepEqual((await next(personal)).body, { task: null });
    const bad = await next(colleagues[5]!, { type: 'x'.repeat(101) });
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'COMMON_VALIDATION_FAILED', 'type']);
    const unauthenticated = await h.request('POST', '/api/v1/workbench/tasks/next', { body: {} });
    assert.equal(unauthenticated.status, 401);
  });

  it('next task with ?wait: a waiting colleague is woken by a new task, a task given back, or not at all by another group\'s', async () => {
    type NextBody = { task: TaskBody | null; code?: string; field?: string };
    const next = (caller: TestCaller, wait: number | string, body: Record<string, unknown> = {}) =>
      h.request<NextBody>('POST', `/api/v1/workbench/tasks/next?wait=${wait}`, { caller, body });
    const timed = async <T>(work: Promise<T>) => {
      const started = Date.now();
      const result = await work;
      return { result, ms: Date.now() - started };
    };
    const inst = randomUUID();
    const [a, b, c] = Array.from({ length: 3 }, () => testCaller('institution', { institutionId: inst }));
    const waiters = h.app.get(TaskWaiters);

    // Nothing to do: the answer comes at the end of the wait.
    const empty = await timed(next(a!, 1));
    assert.deepEqual([empty.result.status, empty.result.body.task], [200, null]);
    assert.ok(empty.ms >= 900, `answered after ${empty.ms} ms, before the wait was over`);

    // Three wait; two tasks appear: two colleagues get one each, at once; the third none, at its deadline.
    const waiting = [a, b, c].map((caller) => timed(next(caller!, 5)));
    await sleep(300);
    const t1 = await tasks.create(taskInput({ role: 'institution', institutionId: inst }));
    await sleep(100);
    const t2 = await tasks.create(taskInput({ role: 'institution', institutionId: inst }));
    const answers = await Promise.all(waiting);
    const got = answers.map((x) => x.result.body.task?.id ?? null);
    assert.deepEqual(got.filter((id) => id !== null).sort(), [t1.taskId, t2.taskId].sort(), `answers ${JSON.stringify(got)}`);
    for (const x of answers.filter((y) => y.result.body.task)) assert.ok(x.ms < 4000, `woken after ${x.ms} ms, not before the deadline`);
    // Woken by the announcements (not by the once-a-second fallback of a wait without the listener).
    assert.ok(waiters.stats.woken >= 2, `woken by announcements: ${JSON.stringify(waiters.stats)}`);

    // Another institution's task wakes nobody here, and stays unclaimed.
    const other = timed(next(c!, 1));
    await sleep(200);
    const foreign = await tasks.create(taskInput({ role: 'institution', institutionId: randomUUID() }));
    assert.equal((await other).result.body.task, null);
    const [foreignRow]: Array<{ assignee_id: string | null }> = await h.dataSource.query('SELECT assignee_id FROM task WHERE id = $1', [foreign.taskId]);
    assert.equal(foreignRow!.assignee_id, null);

    // A task given back to the group wakes a colleague who waits.
    const holder = answers.find((x) => x.result.body.task)!;
    const holderCaller = [a, b, c][answers.indexOf(holder)]!;
    const idle = [a, b, c].find((x) => x !== holderCaller && !answers[[a, b, c].indexOf(x)]!.result.body.task)!;
    const woken = timed(next(idle, 20));
    await sleep(200);
    const given = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${holder.result.body.task!.id}/unclaim`, { caller: holderCaller });
    assert.equal(given.status, 200);
    const w = await woken;
    assert.equal(w.result.body.task?.id, holder.result.body.task!.id);
    assert.ok(w.ms < 10_000, `woken after ${w.ms} ms`);

    // A caller who goes away stops waiting and is given nothing: a task that appears later stays for the others.
    const leaving = testCaller('institution', { institutionId: inst });
    const gone = new AbortController();
    const waited = timed(tasks.next(leaving, {}, 20, gone.signal));
    await sleep(200);
    gone.abort();
    const left = await waited;
    assert.equal(left.result.task, null);
    assert.ok(left.ms < 5_000, `stopped waiting after ${left.ms} ms`);
    const later = await tasks.create(taskInput({ role: 'institution', institutionId: inst }));
    await sleep(300);
    // Nor is anything claimed for a caller who left before the answer (the task is there now).
    assert.deepEqual(await tasks.next(leaving, {}, 20, gone.signal), { task: null });
    const [laterRow]: Array<{ assignee_id: string | null }> = await h.dataSource.query('SELECT assignee_id FROM task WHERE id = $1', [later.taskId]);
    assert.equal(laterRow!.assignee_id, null);

    for (const bad of [26, -1, 'soon']) {
      const res = await next(a!, bad);
      assert.deepEqual([res.status, res.body.field], [400, 'wait'], `wait=${bad}`);
    }
  });

  /** What the directory projection would hold for these accounts (identity's role events). */
  async function inDirectory(caller: TestCaller) {
    await putInAccountDirectory(h.dataSource, [{ accountId: caller.sub, accountType: caller.accountType, roles: caller.roles, institutionId: caller.institutionId }]);
  }

  it('assign (admin) and delegate (holder) hand a task over, with a message to the new assignee', async () => {
    for (const c of [expertX, expertY, personal, instUserA, instUserB, staff2]) await inDirectory(c);
    const { taskId } = await tasks.create(taskInput({ role: 'expert' }));
    // Only someone who could work on it: not an unknown account, not a person without the role.
    for (const who of [randomUUID(), personal.sub, staff2.sub]) {
      const refused = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/assign`, { caller: admin, body: { assigneeId: who } });
      assert.deepEqual([refused.status, refused.body.code, refused.body.field], [422, 'TASK_ASSIGNEE_INVALID', 'assigneeId']);
    }
    const instTask = await tasks.create(taskInput({ role: 'institution', institutionId: instA }));
    await claim(instUserA, instTask.taskId);
    const toOtherInstitution = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${instTask.taskId}/delegate`, { caller: instUserA, body: { assigneeId: instUserB.sub } });
    assert.deepEqual([toOtherInstitution.status, toOtherInstitution.body.code], [422, 'TASK_ASSIGNEE_INVALID']);
    assert.equal((await get(instUserA, instTask.taskId)).body.assigneeId, instUserA.sub, 'a refusal changes nothing');
    const notAdmin = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/assign`, { caller: staff1, body: { assigneeId: expertX.sub } });
    assert.equal(notAdmin.status, 404, 'staff cannot see an unassigned expert task');
    const badBody = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/assign`, { caller: admin, body: { assigneeId: 'x' } });
    assert.deepEqual([badBody.status, badBody.body.field], [400, 'assigneeId']);
    const assigned = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/assign`, { caller: admin, body: { assigneeId: expertX.sub } });
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    assert.equal(assigned.body.assigneeId, expertX.sub);
    assert.equal((await get(expertX, taskId)).status, 200);
    const byOther = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/delegate`, { caller: expertY, body: { assigneeId: expertY.sub } });
    assert.equal(byOther.status, 404);
    const delegated = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/delegate`, { caller: expertX, body: { assigneeId: expertY.sub } });
    assert.equal(delegated.status, 200);
    assert.equal((await get(expertX, taskId)).status, 404, 'the previous holder no longer sees it');
    assert.equal((await get(expertY, taskId)).status, 200);
    const messages: Array<{ recipient_id: string; category: string; link: string }> = await h.dataSource.query(
      `SELECT recipient_id, category, link FROM message WHERE task_id = $1 ORDER BY created_at`,
      [taskId],
    );
    assert.deepEqual(messages.map((m) => [m.recipient_id, m.category]), [[expertX.sub, 'task-assigned'], [expertY.sub, 'task-assigned']]);
    assert.equal(messages[0]!.link, `/api/v1/workbench/tasks/${taskId}`);
    const audit: Array<{ action: string; actor_id: string; old_values: { assigneeId: string | null }; new_values: { assigneeId: string } }> = await h.dataSource.query(
      `SELECT action, actor_id, old_values, new_values FROM audit_entry WHERE task_id = $1 ORDER BY id`,
      [taskId],
    );
    assert.deepEqual(audit.map((a) => a.action), ['task.created', 'task.assigned', 'task.delegated']);
    assert.deepEqual([audit[2]!.actor_id, audit[2]!.old_values.assigneeId, audit[2]!.new_values.assigneeId], [expertX.sub, expertX.sub, expertY.sub]);
  });

  it('at the due date the assignee is reminded; after the escalation delay the task moves to the supervisors', async () => {
    const { taskId } = await tasks.create(taskInput());
    await claim(staff1, taskId);
    const key = (await h.dataSource.query('SELECT task_key FROM task WHERE id = $1', [taskId]))[0].task_key as string;
    await tasks.remind(key);
    await tasks.remind(key); // a retried activity reminds once
    const reminders: Array<{ recipient_id: string }> = await h.dataSource.query(`SELECT recipient_id FROM message WHERE task_id = $1 AND category = 'task-reminder'`, [taskId]);
    assert.deepEqual(reminders.map((r) => r.recipient_id), [staff1.sub]);
    await inDirectory(admin);
    await tasks.escalate(key);
    await tasks.escalate(key);
    const escalatedTo: Array<{ recipient_id: string }> = await h.dataSource.query(`SELECT recipient_id FROM message WHERE task_id = $1 AND category = 'task-escalated'`, [taskId]);
    const told = new Set(escalatedTo.map((m) => m.recipient_id));
    assert.ok(told.has(admin.sub), 'the supervisors are told');
    assert.ok(told.has(staff1.sub), 'the former holder is told');
    assert.equal(escalatedTo.length, told.size, 'once each');
    const after = await get(admin, taskId);
    assert.equal(after.body.candidateGroup.role, 'admin');
    assert.equal(after.body.assigneeId, null);
    assert.equal(after.body.priority, 'urgent');
    assert.equal((await get(staff1, taskId)).status, 404, 'the former holder lost it');
    assert.equal((await claim(admin, taskId)).status, 200, 'a supervisor claims it');
    const escalations: unknown[] = await h.dataSource.query(`SELECT 1 FROM audit_entry WHERE task_id = $1 AND action = 'task.escalated'`, [taskId]);
    assert.equal(escalations.length, 1);
  });

  it('completing needs the claim, an offered outcome and its required fields; nothing changes on a refusal', async () => {
    const { taskId } = await tasks.create(taskInput());
    const body = { outcome: 'approve' };
    const unclaimed = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/complete`, { caller: staff1, body });
    assert.deepEqual([unclaimed.status, unclaimed.body.code], [409, 'TASK_NOT_CLAIMED']);
    await claim(staff1, taskId);
    const cases: Array<[unknown, number, string, string]> = [
      [{ outcome: 'publish' }, 422, 'TASK_BAD_OUTCOME', 'outcome'],
      [{ outcome: 'return' }, 422, 'TASK_OPINION_REQUIRED', 'opinion'],
      [{ outcome: 'reject', opinion: '不符合' }, 422, 'TASK_DATA_REQUIRED', 'data.reason'],
      [{ outcome: 'approve', extra: 1 }, 400, 'VALIDATION_FAILED', 'extra'],
      [{ opinion: 'x' }, 400, 'VALIDATION_FAILED', 'outcome'],
    ];
    for (const [payload, status, code, field] of cases) {
      const res = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/complete`, { caller: staff1, body: payload });
      assert.equal(res.status, status, JSON.stringify(res.body));
      if (code !== 'VALIDATION_FAILED') assert.equal(res.body.code, code);
      assert.equal(res.body.field, field);
    }
    const row: Array<{ status: string; version: number }> = await h.dataSource.query('SELECT status, version FROM task WHERE id = $1', [taskId]);
    assert.equal(row[0]!.status, 'open');
    // No workflow runs behind this task: the Update cannot be delivered and the task stays open.
    const noProcess = await h.request<TaskBody>('POST', `/api/v1/workbench/tasks/${taskId}/complete`, { caller: staff1, body });
    assert.deepEqual([noProcess.status, noProcess.body.code], [409, 'TASK_CASE_CLOSED']);
    assert.equal((await h.dataSource.query('SELECT status FROM task WHERE id = $1', [taskId]))[0].status, 'open');
  });
});
