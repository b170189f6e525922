import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHECK_WEIGHTS, computeCheckCharacter } from './check-character';

/**
 * Independent formulation of ISO 7064 MOD 11-2 used as an oracle: the weighted
 * sum of all 18 characters (X = 10, weights 2^(18-i) mod 11 counted from the
 * right starting at 2^0) is ≡ 1 (mod 11).
 */
function satisfiesMod11_2(number18: string): boolean {
  let sum = 0;
  for (let i = 0; i < 18; i += 1) {
    const value = number18[i] === 'X' ? 10 : Number(number18[i]);
    let weight = 1;
    for (let k = 0; k < 17 - i; k += 1) weight = (weight * 2) % 11;
    sum += value * weight;
  }
  return sum % 11 === 1;
}

describe('ID-2 check character (ISO 7064 MOD 11-2)', () => {
  it('uses the GB 11643-1999 weight table', () => {
    assert.deepEqual([...CHECK_WEIGHTS], [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]);
  });

  it('matches hard-coded vectors computed outside this code base', () => {
    const vectors: Array<[string, string]> = [
      ['11010519491231002', 'X'],
      ['44030019900101123', '8'],
      ['31011520000229004', '8'],
      ['65010219991231567', '1'],
      ['83000019850615001', '6'],
      ['81000020010909002', '8'],
      ['11010520240229001', '1'],
      ['51010719700707707', '0'],
    ];
    for (const [body, expected] of vectors) {
      assert.equal(computeCheckCharacter(body), expected, body);
    }
  });

  it('produces every one of the 11 check characters', () => {
    const seen = new Set<string>();
    for (let sequence = 0; sequence < 200; sequence += 1) {
      seen.add(computeCheckCharacter(`11010519800101${String(sequence).padStart(3, '0')}`));
    }
    assert.deepEqual([...seen].sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']);
  });

  it('agrees with the "whole number ≡ 1 mod 11" formulation', () => {
    let seed = 12345;
    for (let n = 0; n < 2000; n += 1) {
      let body = '';
      for (let i = 0; i < 17; i += 1) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        body += String(seed % 10);
      }
      const full = body + computeCheckCharacter(body);
      assert.ok(satisfiesMod11_2(full), full);
      // and any other check character breaks it
      const wrong = full[17] === '0' ? '1' : '0';
      assert.equal(satisfiesMod11_2(body + wrong), false);
    }
  });

  it('refuses anything but 17 digits', () => {
    for (const bad of ['', '1101051949123100', '110105194912310021', '1101051949123100A', ' 11010519491231002']) {
      assert.throws(() => computeCheckCharacter(bad), RangeError, JSON.stringify(bad));
    }
  });
});
