import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainException } from '@certhub/errors';
import { incompleteError, requiredRecordKinds, submissionReadiness, type ApplicationForm, type FormRecord } from './readiness';
import { RECORD_FIELDS, REQUIRED_FIELDS, type RecordData } from './records';
import type { RecordKind } from './application-catalogue';

const COMPLETE_FORM: ApplicationForm = {
  applicationType: 'system-auditor',
  grade: 'trainee',
  field: 'QMS',
  kind: 'new',
  specialty: null,
  narrowScope: false,
  paymentBy: 'person',
  institutionId: '0b0c6a4e-35b5-4bb4-9a43-3a8a3f0e7f11',
};

/** A record of the kind with every required field filled in. */
function full(kind: RecordKind, id = `${kind}-1`): FormRecord {
  const data: RecordData = {};
  for (const f of RECORD_FIELDS[kind]) data[f] = null;
  for (const f of REQUIRED_FIELDS[kind]) data[f] = f === 'onSiteDays' || f === 'hours' ? 2 : f.endsWith('Date') || f === 'validUntil' ? '2020-01-01' : 'x';
  return { id, kind, data };
}

const TRAINEE_RECORDS = [full('education'), full('work'), full('professional-work')];

describe('submit readiness (CE-1, CE-2: an incomplete draft cannot be submitted)', () => {
  it('a complete trainee application is ready', () => {
    assert.deepEqual(submissionReadiness(COMPLETE_FORM, TRAINEE_RECORDS), { ready: true, missing: [] });
  });

  it('an empty draft names every missing form field and record kind, in order', () => {
    const empty: ApplicationForm = { applicationType: null, grade: null, field: null, kind: null, specialty: null, narrowScope: null, paymentBy: null, institutionId: null };
    const r = submissionReadiness(empty, []);
    assert.equal(r.ready, false);
    assert.deepEqual(
      r.missing.map((m) => m.field),
      ['applicationType', 'grade', 'field', 'kind', 'narrowScope', 'paymentBy', 'institutionId', 'records.education', 'records.work', 'records.professional-work'],
    );
    for (const m of r.missing) {
      assert.ok(m.message.length > 0 && m.messageZh.length > 0, m.field);
      assert.match(m.messageZh, /[\u4e00-\u9fff]/, 'a Chinese message');
    }
  });

  it('narrowScope false counts as answered; the specialty is optional', () => {
    const r = submissionReadiness({ ...COMPLETE_FORM, narrowScope: false, specialty: null }, TRAINEE_RECORDS);
    assert.equal(r.ready, true);
    assert.deepEqual(submissionReadiness({ ...COMPLETE_FORM, narrowScope: null }, TRAINEE_RECORDS).missing.map((m) => m.field), ['narrowScope']);
  });

  it('needs audit experience from the grade of auditor up', () => {
    assert.deepEqual(requiredRecordKinds('trainee'), ['education', 'work', 'professional-work']);
    const auditor = submissionReadiness({ ...COMPLETE_FORM, grade: 'auditor', kind: 'upgrade' }, TRAINEE_RECORDS);
    assert.deepEqual(auditor.missing.map((m) => [m.field, m.code]), [['records.audit', 'at-least-one']]);
    assert.equal(submissionReadiness({ ...COMPLETE_FORM, grade: 'senior', kind: 'upgrade' }, [...TRAINEE_RECORDS, full('audit')]).ready, true);
  });

  it('names each missing field of each record with its index and record id', () => {
    const work2 = full('work', 'w2');
    work2.data.refereePhone = null;
    work2.data.employer = '';
    const edu = full('education', 'e1');
    edu.data.level = null;
    const r = submissionReadiness(COMPLETE_FORM, [edu, full('work', 'w1'), work2, full('professional-work')]);
    assert.deepEqual(
      r.missing.map((m) => [m.field, m.recordId, m.code]),
      [
        ['records.education[0].level', 'e1', 'required'],
        ['records.work[1].employer', 'w2', 'required'],
        ['records.work[1].refereePhone', 'w2', 'required'],
      ],
    );
    assert.match(r.missing[2]!.messageZh, /工作经历第2条：请填写证明人电话/);
  });

  it('refuses an upgrade to trainee and choices the catalogue does not have', () => {
    assert.deepEqual(submissionReadiness({ ...COMPLETE_FORM, kind: 'upgrade' }, TRAINEE_RECORDS).missing.map((m) => [m.field, m.code]), [['grade', 'not-allowed']]);
    assert.deepEqual(submissionReadiness({ ...COMPLETE_FORM, field: 'ORGANIC' }, TRAINEE_RECORDS).missing.map((m) => [m.field, m.code]), [['field', 'not-allowed']]);
    assert.deepEqual(submissionReadiness({ ...COMPLETE_FORM, applicationType: 'astronaut', field: null }, TRAINEE_RECORDS).missing.map((m) => m.field), ['field', 'applicationType']);
    assert.deepEqual(submissionReadiness({ ...COMPLETE_FORM, paymentBy: 'friend' }, TRAINEE_RECORDS).missing.map((m) => m.field), ['paymentBy']);
  });

  it('incompleteError: 422 CERT_APPLICATION_INCOMPLETE naming the first field, all of them in details', () => {
    const r = submissionReadiness({ ...COMPLETE_FORM, paymentBy: null }, [full('education')]);
    const err = incompleteError(r);
    assert.ok(err instanceof DomainException);
    assert.equal(err.status, 422);
    assert.equal(err.code, 'CERT_APPLICATION_INCOMPLETE');
    assert.equal(err.field, 'paymentBy');
    assert.deepEqual((err.details?.missing as Array<{ field: string }>).map((m) => m.field), ['paymentBy', 'records.work', 'records.professional-work']);
    assert.ok(err.message.length > 0 && err.messageZh.length > 0);
  });
});
