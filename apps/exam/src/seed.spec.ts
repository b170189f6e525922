import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parsePeriodImport } from './catalogue/period-import';
import { shiftTimes } from './seed';

const file = join(__dirname, '..', '..', '..', '..', 'apps', 'exam', 'seed', 'exam-period-2021-2.json');

describe('the embedded default exam period (seed)', () => {
  it('is the shared 2021-2 period moved so that registration is open now, still a valid import', () => {
    const period = JSON.parse(readFileSync(file, 'utf8')) as { registrationOpensAt: string };
    const now = Date.parse('2026-11-24T15:00:00Z');
    const shift = now - 3600_000 - Date.parse(period.registrationOpensAt);
    const parsed = parsePeriodImport(shiftTimes(period, shift));
    assert.equal(parsed.registrationOpensAt.getTime(), now - 3600_000);
    assert.ok(parsed.registrationClosesAt.getTime() > now);
    assert.ok(parsed.refundWindow.opensAt.getTime() <= now && parsed.refundWindow.closesAt.getTime() > now);
    const original = parsePeriodImport(period);
    assert.equal(parsed.sessions[0]!.startsAt.getTime() - original.sessions[0]!.startsAt.getTime(), shift, 'every time moves by the same amount');
    assert.equal(parsed.cities.find((c) => c.code === 'BJ')!.seats.get('GEN'), 900);
  });

  it('keeps times in China time and leaves other strings alone', () => {
    assert.equal(shiftTimes('2021-08-03T12:00:00+08:00', 3600_000), '2021-08-03T13:00:00+08:00');
    assert.equal(shiftTimes('GEN', 3600_000), 'GEN');
    assert.deepEqual(shiftTimes({ a: ['2021-08-03T04:00:00Z', 5] }, 0), { a: ['2021-08-03T12:00:00+08:00', 5] });
  });
});
