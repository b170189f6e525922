import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkbenchHarness, testCaller } from '../testing/workbench-harness';
import { taskInput } from '../testing/task-fixtures';
import { TaskService } from '../tasks/task.service';
import { CalendarService } from './calendar.service';

type Body = Record<string, unknown> & { code?: string; field?: string };

/** A made-up far-future year, so the test never collides with a real calendar. */
const YEAR = 2150;
const calendarOf = (year: number) => ({
  year,
  source: 'test calendar',
  holidays: [{ name: '测试假期', nameEn: 'Test holiday', from: `${year}-03-02`, to: `${year}-03-06` }],
  workdays: [{ date: `${year}-03-07`, for: '测试假期' }],
});

describe('official calendar in the workbench (X-2): queries, loading a year, provisional due dates', () => {
  let h: WorkbenchHarness;
  const admin = testCaller('admin');
  const staff = testCaller('staff');

  before(async () => {
    h = await WorkbenchHarness.start({ RUN_WORKER: 'false', RUN_PROJECTION: 'false' });
    await h.dataSource.query('DELETE FROM calendar_year WHERE year = $1', [YEAR]);
  });
  after(async () => {
    await h?.dataSource.query('DELETE FROM calendar_year WHERE year = $1', [YEAR]);
    await h?.stop();
  });

  it('answers working-day questions on the official calendar and refuses unknown years clearly', async () => {
    const afterNationalDay = await h.request<Body>('GET', '/api/v1/workbench/calendar/working-days?from=2026-09-30&days=1');
    assert.equal(afterNationalDay.status, 200);
    assert.equal(afterNationalDay.body.date, '2026-10-08');
    const makeUp = await h.request<Body>('GET', '/api/v1/workbench/calendar/days/2026-02-14');
    assert.equal(makeUp.body.workingDay, true, '2026-02-14 (Saturday) is a make-up working day');
    const unknown = await h.request<Body>('GET', `/api/v1/workbench/calendar/working-days?from=${YEAR + 1}-01-05&days=3`);
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.code, 'WORKDAYS_YEAR_UNKNOWN');
    assert.deepEqual(unknown.body.details, { year: YEAR + 1 });
    assert.ok(typeof unknown.body.messageZh === 'string' && (unknown.body.messageZh as string).length > 0);
    const bad = await h.request<Body>('GET', '/api/v1/workbench/calendar/working-days?from=2026-13-01&days=1');
    assert.equal(bad.status, 400);
    const years = await h.request<{ years: Array<{ year: number }> }>('GET', '/api/v1/workbench/calendar/years');
    assert.ok([2024, 2025, 2026].every((y) => years.body.years.some((e) => e.year === y)));
  });

  it('a due date that reaches a year without a calendar is provisional, and loading the year recomputes it', async () => {
    const tasks = h.app.get(TaskService);
    const input = taskInput({ dueInWorkingDays: 5, escalation: null, workflowId: `test-case:${randomUUID()}` });
    const created = await tasks.create(input);
    // Pretend the task was created on Friday 27 Feb of the made-up year (no calendar yet).
    await h.dataSource.query(`UPDATE task SET created_at = $2, due_provisional = true WHERE id = $1`, [created.taskId, `${YEAR}-02-27T02:00:00Z`]);
    const provisional = await h.app.get(CalendarService).dueDates(new Date(`${YEAR}-02-27T02:00:00Z`), 5, null);
    assert.equal(provisional.provisional, true);
    assert.equal(provisional.dueAt.toISOString(), `${YEAR}-03-06T15:59:59.999Z`, 'weekdays only: Mon 2 … Fri 6 March');

    const notAdmin = await h.request<Body>('PUT', `/api/v1/workbench/calendar/years/${YEAR}`, { caller: staff, body: calendarOf(YEAR) });
    assert.equal(notAdmin.status, 403);
    const invalid = await h.request<Body>('PUT', `/api/v1/workbench/calendar/years/${YEAR}`, { caller: admin, body: { ...calendarOf(YEAR), workdays: [{ date: `${YEAR}-03-04` }] } });
    assert.equal(invalid.status, 400, 'a make-up day must be a weekend day');
    assert.equal(invalid.body.code, 'WORKDAYS_CALENDAR_INVALID');
    const mismatch = await h.request<Body>('PUT', `/api/v1/workbench/calendar/years/${YEAR}`, { caller: admin, body: calendarOf(YEAR + 1) });
    assert.deepEqual([mismatch.status, mismatch.body.field], [400, 'year']);
    assert.equal((await h.dataSource.query('SELECT 1 FROM calendar_year WHERE year = $1', [YEAR])).length, 0, 'refusals store nothing');

    const loaded = await h.request<Body>('PUT', `/api/v1/workbench/calendar/years/${YEAR}`, { caller: admin, body: calendarOf(YEAR) });
    assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
    assert.ok((loaded.body.rescheduledTasks as number) >= 1);
    const row: Array<{ due_at: Date; due_provisional: boolean }> = await h.dataSource.query('SELECT due_at, due_provisional FROM task WHERE id = $1', [created.taskId]);
    assert.equal(row[0]!.due_provisional, false);
    // 2-6 March are holidays, Saturday 7 March is a make-up day: 7, 9, 10, 11, 12 → Thursday 12 March.
    assert.equal(row[0]!.due_at.toISOString(), `${YEAR}-03-12T15:59:59.999Z`);
    const audit: Array<{ action: string }> = await h.dataSource.query(`SELECT action FROM audit_entry WHERE task_id = $1 ORDER BY id`, [created.taskId]);
    assert.deepEqual(audit.map((a) => a.action), ['task.created', 'task.rescheduled']);
    const afterLoad = await h.request<Body>('GET', `/api/v1/workbench/calendar/working-days?from=${YEAR}-02-27&days=1`);
    assert.equal(afterLoad.body.date, `${YEAR}-03-07`);
  });
});
