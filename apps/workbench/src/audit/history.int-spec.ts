import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, testEnvironment } from '@certhub/testing';
import { caseData, caseEnvelope, CaseEventSender, randomBusinessNo, type CaseData } from '../items/case-event.fixtures';
import { testCaller, WorkbenchHarness, type TestCaller } from '../testing/workbench-harness';
import { writeAudit } from './audit.writer';

type Entry = { at: string; action: string; actorId: string | null; outcome: string | null; opinion: string | null; oldValues: unknown; newValues: unknown; taskId: string | null };
type History = { domain: string; businessNo: string; entries: Entry[] };
type ErrorBody = { code: string; field?: string };

describe('case history (WB-2): entries in time order, readable only by those involved', () => {
  let h: WorkbenchHarness;
  let sender: CaseEventSender;
  let applicant: TestCaller;
  let reviewingInstitution: TestCaller;
  let expert: TestCaller;
  let completer: TestCaller;
  let data: CaseData;
  const taskId = randomUUID();

  const history = (caller: TestCaller | undefined, domain = 'certification', businessNo = data.businessNo) =>
    h.request<History & ErrorBody>('GET', `/api/v1/workbench/cases/${domain}/${businessNo}/history`, { caller });

  before(async () => {
    h = await WorkbenchHarness.start({ RUN_WORKER: 'false' });
    sender = await CaseEventSender.connect(testEnvironment().kafkaBrokers);
    applicant = testCaller('personal');
    reviewingInstitution = testCaller('institution');
    expert = testCaller('expert');
    completer = testCaller('expert');
    const t0 = Date.now() - 60_000;
    data = caseData({ applicantId: applicant.sub, institutionId: reviewingInstitution.institutionId, milestone: 'submitted', changedAt: new Date(t0).toISOString() });
    await sender.send(
      caseEnvelope(data),
      caseEnvelope(
        { ...data, version: 2, stage: 'expert-review', stageName: '专家评价', stageNameEn: 'Expert evaluation', milestone: null, changedAt: new Date(t0 + 20_000).toISOString() },
        { actorId: reviewingInstitution.sub },
      ),
    );
    await eventually(
      async () => Number((await h.dataSource.query('SELECT count(*) AS n FROM audit_entry WHERE domain = $1 AND business_no = $2', ['certification', data.businessNo]))[0].n) === 2,
      { timeoutMs: 90_000, intervalMs: 200, what: 'the case history' },
    );
    // A task of the case: the institution was its candidate group, the expert holds it, another expert completed it.
    await h.dataSource.query(
      `INSERT INTO task (id, task_key, task_type, title_zh, title_en, domain, case_type, case_id, business_no, applicant_id, item_name, workflow_id,
         stage, round, candidate_role, candidate_institution_id, assignee_id, outcomes, context, status, due_at, due_in_working_days, completed_by, version)
       VALUES ($1, $2, 'cert-registration.institution-review', '机构初核', 'Institution review', 'certification', 'cert-registration', $3, $4, $5,
         '人员注册申请', $6, 'institution-review', 1, 'institution', $7, $8, '[]'::jsonb, '{}'::jsonb, 'completed', now(), 5, $9, 1)`,
      [taskId, `history-test:${taskId}`, data.caseId, data.businessNo, applicant.sub, `wf-${taskId}`, reviewingInstitution.institutionId, expert.sub, completer.sub],
    );
    // Its audit entry sits between the two case changes.
    await h.dataSource.transaction((manager) =>
      writeAudit(manager, [
        {
          domain: 'certification',
          businessNo: data.businessNo,
          taskId,
          action: 'task.completed',
          actorId: expert.sub,
          at: new Date(t0 + 10_000),
          outcome: 'approve',
          opinion: '材料齐全',
          oldValues: { status: 'open' },
          newValues: { status: 'completed' },
          dedupeKey: `history-test:${taskId}`,
        },
      ]),
    );
  });
  after(async () => {
    await sender?.stop();
    await h?.stop();
  });

  it('gives the applicant every entry in time order, with actor, outcome, opinion, old and new values', async () => {
    const res = await history(applicant);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.businessNo, data.businessNo);
    assert.deepEqual(res.body.entries.map((e) => e.action), ['case.changed', 'task.completed', 'case.changed']);
    const [submitted, completed, moved] = res.body.entries;
    assert.equal(submitted!.actorId, applicant.sub);
    assert.equal(submitted!.at, data.changedAt);
    assert.deepEqual(completed, {
      at: new Date(Date.parse(data.changedAt) + 10_000).toISOString(),
      action: 'task.completed',
      actorId: expert.sub,
      outcome: 'approve',
      opinion: '材料齐全',
      oldValues: { status: 'open' },
      newValues: { status: 'completed' },
      taskId,
    });
    assert.equal(moved!.actorId, reviewingInstitution.sub);
    assert.deepEqual(moved!.oldValues, { stage: 'institution-review', status: 'active', version: 1 });
    assert.deepEqual(moved!.newValues, { stage: 'expert-review', status: 'active', version: 2 });
  });

  it('lets staff, the task\'s institution, its assignee and the person who completed it read the history', async () => {
    const readers: Array<[string, TestCaller]> = [
      ['staff', testCaller('staff')],
      ['admin', testCaller('admin')],
      ['institution of a task', testCaller('institution', { institutionId: reviewingInstitution.institutionId! })],
      ['assignee of a task', expert],
      ['completer of a task', completer],
    ];
    for (const [who, caller] of readers) {
      const res = await history(caller);
      assert.equal(res.status, 200, who);
      assert.equal(res.body.entries.length, 3, who);
    }
  });

  it('answers 404 to everyone else, the same as for an unknown case', async () => {
    const outsiders: Array<[string, TestCaller]> = [
      ['another personal user', testCaller('personal')],
      ['another institution', testCaller('institution')],
      ['an expert without a task of the case', testCaller('expert')],
    ];
    for (const [who, caller] of outsiders) {
      const res = await history(caller);
      assert.equal(res.status, 404, who);
      assert.equal(res.body.code, 'WORKBENCH_CASE_NOT_FOUND', who);
      assert.equal(res.body.field, 'businessNo', who);
      assert.equal(res.body.entries, undefined, who);
    }
    const unknown = await history(testCaller('staff'), 'certification', randomBusinessNo());
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'WORKBENCH_CASE_NOT_FOUND');
    assert.equal((await history(applicant, 'exam')).status, 404);
    assert.equal((await history(applicant, 'certification', 'abc')).status, 404);
    assert.equal((await history(undefined)).status, 401);
  });
});
