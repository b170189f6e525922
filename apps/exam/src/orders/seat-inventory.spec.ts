import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeatInventory } from './seat-inventory';

describe('SeatInventory.holdStatement (inlined ids, sent with COMMIT)', () => {
  const a = '0b6f3c1e-4a5d-4c2b-9f1e-2d3c4b5a6978';
  const b = '0a6f3c1e-4a5d-4c2b-9f1e-2d3c4b5a6978';

  it('locks the pools in id order whatever order they are given in', () => {
    const sql = SeatInventory.holdStatement([a, b]);
    assert.ok(sql.indexOf(b) < sql.indexOf(a), 'smaller id first');
    assert.match(sql, /ORDER BY id FOR UPDATE/);
    assert.equal(SeatInventory.holdStatement([b, a]), sql);
  });

  it('refuses anything that is not a lower-case UUID (nothing from a request is inlined)', () => {
    assert.throws(() => SeatInventory.holdStatement([]), /UUIDs/);
    assert.throws(() => SeatInventory.holdStatement([`${a}'); DROP TABLE seat_pool; --`]), /UUIDs/);
    assert.throws(() => SeatInventory.holdStatement([a.toUpperCase()]), /UUIDs/);
  });

  it('tells a full pool (the count check) from other failures', () => {
    assert.equal(SeatInventory.isFull({ driverError: { code: '23514', constraint: 'ck_seat_pool_counts' } }), true);
    assert.equal(SeatInventory.isFull({ driverError: { code: '23514', constraint: 'ck_offering_fee' } }), false);
    assert.equal(SeatInventory.isFull({ driverError: { code: '40P01' } }), false);
    assert.equal(SeatInventory.isFull(new Error('x')), false);
    assert.equal(SeatInventory.isFull(null), false);
  });
});
