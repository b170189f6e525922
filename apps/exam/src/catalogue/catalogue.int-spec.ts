import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testEnvironment, unique } from '@certhub/testing';
import { ExamHarness, openPeriod } from '../testing/exam-harness';

type ErrorBody = { code: string; field?: string; message: string; messageZh: string };

describe('EX-1 catalogue import (admin)', () => {
  let h: ExamHarness;
  before(async () => {
    h = await ExamHarness.start();
  });
  after(() => h?.stop());

  it('imports the 2021-2 period file: sessions, offerings with fees in fen, cities and one seat pool per city × offering', async () => {
    const file = JSON.parse(readFileSync(join(testEnvironment().repoRoot, 'apps', 'exam', 'seed', 'exam-period-2021-2.json'), 'utf8')) as Record<string, unknown>;
    const body = { ...file, code: unique.username('P') };
    const res = await h.request<{ id: string }>('POST', '/api/v1/exam/admin/periods', { body, token: h.adminToken() });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const pools = await h.pools(res.body.id);
    const sessions = file.sessions as Array<{ offerings: unknown[] }>;
    const cities = file.cities as unknown[];
    const offeringCount = sessions.reduce((n, s) => n + s.offerings.length, 0);
    assert.equal(pools.length, offeringCount * cities.length);
    assert.equal(pools.find((p) => p.code === 'GEN' && p.city_code === 'BJ')!.quota, 900);
    assert.equal(pools.find((p) => p.code === 'MS-1' && p.city_code === 'BJ')!.quota, 800);
    assert.equal(pools.find((p) => p.code === 'GEN' && p.city_code === 'SH')!.quota, 600);
    const fees: Array<{ fee_fen: number }> = await h.dataSource.query(`SELECT DISTINCT fee_fen FROM offering WHERE period_id = $1`, [res.body.id]);
    assert.deepEqual(fees.map((f) => f.fee_fen), [8000]);

    const again = await h.request<ErrorBody>('POST', '/api/v1/exam/admin/periods', { body, token: h.adminToken() });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'EXAM_PERIOD_EXISTS');
    assert.equal(again.body.field, 'code');
  });

  it('is for admins only', async () => {
    const res = await h.request('POST', '/api/v1/exam/admin/periods', { body: openPeriod(), token: h.token({ sub: unique.id() }) });
    assert.equal(res.status, 403);
  });

  it('refuses bad imports naming the field at fault, and stores nothing', async () => {
    const base = openPeriod();
    const sessions = base.sessions;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['duplicate offering code', { sessions: [sessions[0], { ...sessions[1], offerings: [{ code: 'QMS-1', subject: '重复' }] }] }, 'sessions[1].offerings[0].code'],
      ['registration closes before it opens', { registrationClosesAt: '2020-01-01T00:00:00+08:00' }, 'registrationClosesAt'],
      ['refund window reversed', { refundWindow: { opensAt: base.refundWindow.closesAt, closesAt: base.refundWindow.opensAt } }, 'refundWindow.closesAt'],
      ['negative fee', { feeFenPerSubject: -1 }, 'feeFenPerSubject'],
      ['fractional fee', { sessions: [{ ...sessions[0], offerings: [{ code: 'X', subject: 'x', feeFen: 80.5 }] }] }, 'sessions[0].offerings[0].feeFen'],
      ['negative seats', { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: -5 }] }, 'cities[0].seatsPerOffering'],
      ['seats for an unknown offering', { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 5, seats: { NOPE: 3 } }] }, 'cities[0].seats.NOPE'],
      ['time without offset', { registrationOpensAt: '2026-01-01T08:00:00' }, 'registrationOpensAt'],
      ['unknown field', { colour: 'red' }, 'colour'],
    ];
    for (const [what, change, field] of cases) {
      const body = { ...base, code: unique.username('B'), ...change };
      const res = await h.request<ErrorBody>('POST', '/api/v1/exam/admin/periods', { body, token: h.adminToken() });
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'EXAM_PERIOD_INVALID', what);
      assert.equal(res.body.field, field, what);
      assert.ok(res.body.message && res.body.messageZh, what);
      const stored = await h.dataSource.query(`SELECT 1 FROM exam_period WHERE code = $1`, [body.code]);
      assert.equal(stored.length, 0, what);
    }
  });
});
