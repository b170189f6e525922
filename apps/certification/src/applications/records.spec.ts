import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainException } from '@certhub/errors';
import { RECORD_KIND_CODES } from './application-catalogue';
import { chinaToday, checkRecordDates, missingRecordFields, RECORD_DTOS, RECORD_FIELDS, REQUIRED_FIELDS, validRecord } from './records';

const NOW = new Date('2026-11-24T08:00:00Z');

async function refusal(promise: Promise<unknown>): Promise<DomainException> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DomainException, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

describe('application records: what a draft may hold (CE-1)', () => {
  it('keeps every field of the kind, empty ones as null, text trimmed', async () => {
    const data = await validRecord('work', { employer: '  某公司 ', startDate: '2015-03-01', refereePhone: '13912345678' }, NOW);
    assert.deepEqual(data, { employer: '某公司', department: null, position: null, startDate: '2015-03-01', endDate: null, duties: null, refereeName: null, refereePhone: '13912345678' });
    assert.deepEqual(await validRecord('audit', {}, NOW), Object.fromEntries(RECORD_FIELDS.audit.map((f) => [f, null])));
  });

  it('refuses unknown fields, naming them', async () => {
    const err = await refusal(validRecord('education', { school: 'x', idNumber: '110105199003071247' }, NOW));
    assert.equal(err.code, 'COMMON_UNKNOWN_FIELD');
    assert.equal(err.field, 'idNumber');
  });

  it('refuses malformed values with the field at fault', async () => {
    const cases: Array<[Parameters<typeof validRecord>[0], Record<string, unknown>, string]> = [
      ['education', { level: 'kindergarten' }, 'level'],
      ['education', { startDate: '2020-02-30' }, 'startDate'],
      ['education', { endDate: '2020-01-01T00:00:00Z' }, 'endDate'],
      ['work', { refereePhone: '12345' }, 'refereePhone'],
      ['work', { employer: 'x'.repeat(201) }, 'employer'],
      ['work', { employer: 42 }, 'employer'],
      ['audit', { onSiteDays: 0 }, 'onSiteDays'],
      ['audit', { onSiteDays: 1.25 }, 'onSiteDays'],
      ['audit', { onSiteDays: '3' }, 'onSiteDays'],
      ['audit', { auditType: 'friendly' }, 'auditType'],
      ['continuing-education', { hours: 2.5 }, 'hours'],
      ['professional-work', { content: 'x'.repeat(1001) }, 'content'],
    ];
    for (const [kind, body, field] of cases) {
      const err = await refusal(validRecord(kind, body, NOW));
      assert.equal(err.code, 'COMMON_VALIDATION_FAILED', `${kind} ${JSON.stringify(body)}`);
      assert.equal(err.field, field, `${kind} ${JSON.stringify(body)}`);
      assert.ok(err.messageZh.length > 0);
    }
  });

  it('refuses a body that is not an object', async () => {
    for (const body of [null, [], 'x', 5]) assert.equal((await refusal(validRecord('work', body, NOW))).code, 'COMMON_VALIDATION_FAILED');
  });

  it('accepts half on-site days, landlines and a course valid into the future', async () => {
    assert.equal((await validRecord('audit', { onSiteDays: 2.5 }, NOW)).onSiteDays, 2.5);
    assert.equal((await validRecord('work', { refereePhone: '010-12345678' }, NOW)).refereePhone, '010-12345678');
    assert.equal((await validRecord('continuing-education', { startDate: '2025-01-01', validUntil: '2028-01-01' }, NOW)).validUntil, '2028-01-01');
  });

  it('a period does not end before it starts; experience lies in the past (China date)', async () => {
    const order = await refusal(validRecord('work', { startDate: '2020-05-01', endDate: '2020-04-30' }, NOW));
    assert.deepEqual([order.code, order.status, order.field], ['CERT_DATE_ORDER', 400, 'endDate']);
    const course = await refusal(validRecord('continuing-education', { startDate: '2020-05-01', validUntil: '2020-04-30' }, NOW));
    assert.deepEqual([course.code, course.field], ['CERT_DATE_ORDER', 'validUntil']);
    const future = await refusal(validRecord('audit', { startDate: '2026-11-25' }, NOW));
    assert.deepEqual([future.code, future.field], ['CERT_DATE_IN_FUTURE', 'startDate']);
    const futureEnd = await refusal(validRecord('work', { startDate: '2026-01-01', endDate: '2027-01-01' }, NOW));
    assert.deepEqual([futureEnd.code, futureEnd.field], ['CERT_DATE_IN_FUTURE', 'endDate']);
    // 2026-11-24T20:00Z is already the 25th in China.
    assert.equal(chinaToday(new Date('2026-11-24T20:00:00Z')), '2026-11-25');
    assert.doesNotThrow(() => checkRecordDates('audit', { startDate: '2026-11-25' }, new Date('2026-11-24T20:00:00Z')));
    // Education may end in the future (still studying).
    assert.doesNotThrow(() => checkRecordDates('education', { startDate: '2024-09-01', endDate: '2028-07-01' }, NOW));
  });

  it('every kind has a DTO, and its required fields are among its fields', () => {
    for (const kind of RECORD_KIND_CODES) {
      assert.ok(RECORD_DTOS[kind], kind);
      for (const f of REQUIRED_FIELDS[kind]) assert.ok(RECORD_FIELDS[kind].includes(f), `${kind}.${f}`);
    }
    assert.deepEqual(missingRecordFields('audit', { auditee: 'x', auditType: 'initial', startDate: '2020-01-01', endDate: null, onSiteDays: 0.5 }), ['endDate']);
  });
});
