import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateConditions, experienceYears, type ConditionInput } from './conditions';

const TODAY = '2026-11-24';

const QUALIFIED: ConditionInput = {
  verificationStatus: 'verified',
  photoAccepted: true,
  educationLevels: ['bachelor'],
  work: [{ startDate: '2012-08-01', endDate: null }],
  professionalWork: [{ startDate: '2014-01-01', endDate: '2020-12-31' }],
  audits: [],
};

const statusOf = (conditions: ReturnType<typeof evaluateConditions>) => Object.fromEntries(conditions.map((c) => [c.code, c.status]));

describe('experience years: overlapping periods count once', () => {
  it('adds separate periods and merges overlapping ones; an open end runs to today', () => {
    assert.equal(experienceYears([{ startDate: '2020-01-01', endDate: '2022-01-01' }], TODAY), 2);
    assert.equal(experienceYears([{ startDate: '2016-01-01', endDate: '2018-01-01' }, { startDate: '2020-01-01', endDate: '2022-01-01' }], TODAY), 4);
    assert.equal(experienceYears([{ startDate: '2016-01-01', endDate: '2020-01-01' }, { startDate: '2018-01-01', endDate: '2019-01-01' }], TODAY), 4);
    assert.equal(experienceYears([{ startDate: '2016-01-01', endDate: '2019-01-01' }, { startDate: '2018-01-01', endDate: '2020-01-01' }], TODAY), 4);
    assert.equal(experienceYears([{ startDate: '2024-11-24', endDate: null }], TODAY), 2);
    // A period "ending" in the future counts only to today; one without a start not at all.
    assert.equal(experienceYears([{ startDate: '2024-11-24', endDate: '2030-01-01' }, { startDate: null, endDate: '2020-01-01' }], TODAY), 2);
    assert.equal(experienceYears([], TODAY), 0);
  });
});

describe('condition self-check (条件自检, CE-1)', () => {
  it('a verified bachelor with 14 years of work and 7 of professional work meets the general conditions', () => {
    const c = evaluateConditions({}, QUALIFIED, TODAY);
    assert.deepEqual(statusOf(c), { 'identity-verified': 'met', 'photo-accepted': 'met', education: 'met', 'work-experience': 'met', 'professional-work-experience': 'met' });
    for (const x of c) assert.ok(x.message.length > 0 && /[\u4e00-\u9fff]/.test(x.messageZh), x.code);
  });

  it('names what is missing, with the figures', () => {
    const c = evaluateConditions({}, { ...QUALIFIED, verificationStatus: 'awaiting-proof', photoAccepted: false, work: [{ startDate: '2023-01-01', endDate: null }], professionalWork: [] }, TODAY);
    const s = statusOf(c);
    assert.equal(s['identity-verified'], 'missing');
    assert.equal(s['photo-accepted'], 'missing');
    assert.equal(s['work-experience'], 'missing');
    assert.equal(s['professional-work-experience'], 'missing');
    assert.deepEqual(c.find((x) => x.code === 'work-experience')!.details, { requiredYears: 4, years: 3.8 });
  });

  it('a college education needs six years of work; secondary education is not enough', () => {
    const college = { ...QUALIFIED, educationLevels: ['college'], work: [{ startDate: '2021-01-01', endDate: null }] };
    assert.equal(statusOf(evaluateConditions({}, college, TODAY))['work-experience'], 'missing');
    assert.equal(statusOf(evaluateConditions({}, { ...college, work: [{ startDate: '2019-01-01', endDate: null }] }, TODAY))['work-experience'], 'met');
    assert.equal(statusOf(evaluateConditions({}, { ...QUALIFIED, educationLevels: ['secondary'] }, TODAY)).education, 'missing');
  });

  it('auditor grade: 4 audits and 20 on-site days in the chosen field', () => {
    const audits = (n: number, field: string, days: number) => Array.from({ length: n }, () => ({ field, onSiteDays: days }));
    const target = { applicationType: 'system-auditor' as const, grade: 'auditor' as const, field: 'QMS', kind: 'upgrade' as const };
    assert.equal(statusOf(evaluateConditions(target, { ...QUALIFIED, audits: audits(4, 'qms', 5) }, TODAY))['audit-experience'], 'met');
    assert.equal(statusOf(evaluateConditions(target, { ...QUALIFIED, audits: audits(4, 'QMS', 4) }, TODAY))['audit-experience'], 'missing');
    const otherField = evaluateConditions(target, { ...QUALIFIED, audits: [...audits(3, 'QMS', 7), ...audits(5, 'EMS', 7)] }, TODAY);
    assert.deepEqual(otherField.find((c) => c.code === 'audit-experience')!.details, { requiredAudits: 4, requiredDays: 20, audits: 3, days: 21 });
    assert.equal(statusOf(evaluateConditions({ ...target, grade: 'trainee', kind: 'new' }, QUALIFIED, TODAY))['audit-experience'], undefined, 'no audits for trainees');
  });

  it('leaves the exam (new, conversion) and the current certificate (upgrade) to the reviewers', () => {
    const newApp = evaluateConditions({ applicationType: 'system-auditor', grade: 'trainee', field: 'FSMS', kind: 'new' }, QUALIFIED, TODAY);
    const exam = newApp.find((c) => c.code === 'exam-passed')!;
    assert.equal(exam.status, 'manual');
    assert.match(exam.messageZh, /食品安全管理体系/);
    const upgrade = statusOf(evaluateConditions({ applicationType: 'system-auditor', grade: 'senior', kind: 'upgrade' }, QUALIFIED, TODAY));
    assert.equal(upgrade['current-certificate'], 'manual');
    assert.equal(upgrade['exam-passed'], undefined);
  });
});
