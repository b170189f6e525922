import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { textArray } from './text-array';

/** Reads PostgreSQL's binary one-dimensional text[] format back (what the server parses). */
function decode(buffer: Buffer): Array<string | null> {
  const dimensions = buffer.readInt32BE(0);
  assert.equal(buffer.readUInt32BE(8), 25, 'element type text');
  if (dimensions === 0) return [];
  assert.equal(dimensions, 1);
  const count = buffer.readInt32BE(12);
  assert.equal(buffer.readInt32BE(16), 1, 'lower bound');
  const out: Array<string | null> = [];
  let offset = 20;
  for (let i = 0; i < count; i++) {
    const length = buffer.readInt32BE(offset);
    offset += 4;
    if (length === -1) {
      out.push(null);
      continue;
    }
    out.push(buffer.toString('utf8', offset, offset + length));
    offset += length;
  }
  assert.equal(offset, buffer.length, 'no bytes after the last element');
  return out;
}

describe('textArray', () => {
  it('writes every kind of value behind its UTF-8 byte length', () => {
    const values = [
      'training',
      '',
      'a'.repeat(64),
      'b'.repeat(65),
      '课程备案',
      'stage 协会审核 mixed',
      '😀 surrogate pair',
      'x'.repeat(63) + 'é',
      'é' + 'y'.repeat(200),
      '\u007f\u0080',
      null,
      undefined,
      42,
      true,
      '2026-11-24T08:00:00.000Z',
    ];
    const buffer = textArray(values, (v) => v);
    assert.deepEqual(decode(buffer), values.map((v) => (v === null || v === undefined ? null : String(v))));
    assert.equal(buffer.readInt32BE(4), 1, 'has-nulls flag');
  });

  it('marks an array without nulls as such', () => {
    const buffer = textArray(['a', 'b'], (v) => v);
    assert.equal(buffer.readInt32BE(4), 0);
    assert.deepEqual(decode(buffer), ['a', 'b']);
  });

  it('writes an empty array without dimensions', () => {
    const buffer = textArray([], (v: string) => v);
    assert.equal(buffer.length, 12);
    assert.deepEqual(decode(buffer), []);
  });

  it('takes each row through the accessor', () => {
    const rows = [{ id: 'r1', n: 1 }, { id: 'r2', n: 2 }];
    assert.deepEqual(decode(textArray(rows, (r) => r.id)), ['r1', 'r2']);
    assert.deepEqual(decode(textArray(rows, (r) => r.n)), ['1', '2']);
  });
});
