import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BusinessNumberExhausted, businessHour, formatBusinessNumber } from './business-number';

const hourOf = (iso: string) => businessHour(new Date(iso));

describe('businessHour: yyyyMMddHH in China Standard Time (UTC+8)', () => {
  it('adds 8 hours to UTC', () => {
    assert.equal(hourOf('2024-07-15T00:00:00Z'), '2024071508');
    assert.equal(hourOf('2024-07-15T03:30:00Z'), '2024071511');
  });

  it('stays in the same China day until 15:59:59 UTC', () => {
    assert.equal(hourOf('2024-01-01T15:59:59Z'), '2024010123');
    assert.equal(hourOf('2024-01-01T15:59:59.999Z'), '2024010123');
  });

  it('switches to the next China day at 16:00:00 UTC', () => {
    assert.equal(hourOf('2024-01-01T16:00:00Z'), '2024010200');
  });

  it('crosses the year boundary at 2023-12-31T16:00Z', () => {
    assert.equal(hourOf('2023-12-31T15:59:59Z'), '2023123123');
    assert.equal(hourOf('2023-12-31T16:00:00Z'), '2024010100');
  });

  it('crosses month boundaries, leap February included', () => {
    assert.equal(hourOf('2024-01-31T16:00:00Z'), '2024020100');
    assert.equal(hourOf('2024-02-28T16:00:00Z'), '2024022900');
    assert.equal(hourOf('2024-02-29T16:00:00Z'), '2024030100');
    assert.equal(hourOf('2023-02-28T16:00:00Z'), '2023030100');
    assert.equal(hourOf('2024-06-30T15:00:00Z'), '2024063023');
    assert.equal(hourOf('2024-06-30T16:00:00Z'), '2024070100');
  });

  it('zero-pads month, day and hour', () => {
    assert.equal(hourOf('2025-03-04T21:00:00Z'), '2025030505');
    assert.equal(hourOf('2025-09-08T17:59:00Z'), '2025090901');
  });

  it('reads an instant given with a +08:00 offset as that China hour', () => {
    assert.equal(businessHour(new Date('2024-05-01T00:00:00+08:00')), '2024050100');
    assert.equal(businessHour(new Date('2024-05-01T23:59:59+08:00')), '2024050123');
  });

  it('knows no daylight saving: European and American DST changes do not matter', () => {
    assert.equal(hourOf('2024-03-31T01:30:00Z'), '2024033109');
    assert.equal(hourOf('2024-11-03T06:30:00Z'), '2024110314');
  });

  it('does not depend on the process time zone', () => {
    const saved = process.env.TZ;
    try {
      for (const tz of ['America/New_York', 'Asia/Kolkata', 'UTC', 'Asia/Shanghai']) {
        process.env.TZ = tz;
        assert.equal(hourOf('2024-01-01T16:00:00Z'), '2024010200', tz);
        assert.equal(hourOf('2024-01-01T15:59:59Z'), '2024010123', tz);
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('does not modify the given date', () => {
    const at = new Date('2024-01-01T15:59:59Z');
    businessHour(at);
    assert.equal(at.toISOString(), '2024-01-01T15:59:59.000Z');
  });
});

describe('formatBusinessNumber', () => {
  it('appends the sequence padded to 4 digits, giving 14 digits', () => {
    assert.equal(formatBusinessNumber('2024010123', 1), '20240101230001');
    assert.equal(formatBusinessNumber('2024010123', 42), '20240101230042');
    assert.equal(formatBusinessNumber('2024010123', 999), '20240101230999');
    assert.equal(formatBusinessNumber('2024010123', 9999), '20240101239999');
  });

  it('combined with businessHour always yields 14 digits', () => {
    for (const seq of [1, 10, 100, 1000, 9999]) {
      const n = formatBusinessNumber(hourOf('2024-12-31T16:00:00Z'), seq);
      assert.match(n, /^\d{14}$/);
      assert.equal(n.slice(0, 10), '2025010100');
      assert.equal(Number(n.slice(10)), seq);
    }
  });

  it('sorts in issue order within and across hours', () => {
    const numbers = [
      formatBusinessNumber('2024010123', 2),
      formatBusinessNumber('2024010200', 1),
      formatBusinessNumber('2024010123', 10),
      formatBusinessNumber('2024010123', 1),
    ];
    assert.deepEqual([...numbers].sort(), ['20240101230001', '20240101230002', '20240101230010', '20240102000001']);
  });
});

describe('BusinessNumberExhausted', () => {
  it('names the exhausted hour', () => {
    const err = new BusinessNumberExhausted('2024010123');
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'business numbers of hour 2024010123 are exhausted');
  });
});
