import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECORD_FIELDS } from '../applications/records';
import { recordFromLibrary } from './library-mapping';

describe('basic info library → application record (ADR 0013)', () => {
  it('maps identity education records field by field', () => {
    const data = recordFromLibrary('education', { id: 'e', school: '北京理工大学', major: '质量管理工程', level: 'bachelor', degree: null, startDate: '2008-09-01', endDate: '2012-07-01' });
    assert.deepEqual(data, { school: '北京理工大学', major: '质量管理工程', level: 'bachelor', degree: null, startDate: '2008-09-01', endDate: '2012-07-01' });
  });

  it('maps identity work, professional work, audit and continuing education; what the library lacks stays empty', () => {
    assert.deepEqual(recordFromLibrary('work', { id: 'w', kind: 'work', employer: '某公司', position: '工程师', startDate: '2015-01-01', duties: '质检', updatedAt: 'x' }), {
      employer: '某公司', department: null, position: '工程师', startDate: '2015-01-01', endDate: null, duties: '质检', refereeName: null, refereePhone: null,
    });
    assert.deepEqual(
      recordFromLibrary('professional-work', { id: 'p', kind: 'professional-work', organisation: '某机构', field: '质量管理', startDate: '2016-01-01', endDate: '2019-01-01', content: '内审' }),
      { employer: '某机构', department: null, position: null, post: '质量管理', startDate: '2016-01-01', endDate: '2019-01-01', content: '内审', refereeName: null, refereePhone: null },
    );
    assert.deepEqual(recordFromLibrary('audit', { id: 'a', kind: 'audit', auditee: '某厂', standard: 'QMS', auditType: 'surveillance', startDate: '2021-03-01', onSiteDays: 3, role: '组长' }), {
      auditee: '某厂', field: 'QMS', auditType: 'surveillance', startDate: '2021-03-01', endDate: null, onSiteDays: 3, role: '组长',
    });
    assert.deepEqual(recordFromLibrary('continuing-education', { id: 'c', kind: 'continuing-education', course: '内审员培训', provider: '某培训机构', completedOn: '2022-05-01', hours: 16 }), {
      course: '内审员培训', category: null, provider: '某培训机构', startDate: '2022-05-01', validUntil: null, hours: 16,
    });
  });

  it('leaves empty what does not fit the application rules instead of refusing the copy', () => {
    const audit = recordFromLibrary('audit', { id: 'a', kind: 'audit', auditee: 'x'.repeat(300), auditType: 'initial-audit', startDate: '2021-02-30', onSiteDays: 0 });
    assert.equal((audit.auditee as string).length, 200);
    assert.equal(audit.auditType, null);
    assert.equal(audit.startDate, null);
    assert.equal(audit.onSiteDays, null);
    const edu = recordFromLibrary('education', { id: 'e', level: 'kindergarten', school: '   ', startDate: '2012-07-01', endDate: '2008-09-01' });
    assert.equal(edu.level, null);
    assert.equal(edu.school, null);
    assert.equal(edu.endDate, null, 'a period ending before it starts keeps only its start');
    assert.deepEqual(Object.keys(edu), [...RECORD_FIELDS.education]);
  });
});
