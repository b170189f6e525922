import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chinaDate, chinaDayRange } from './payment-provider';
import { signatureMatches, signNotification } from './signature';

describe('notification signature (HMAC-SHA256 over timestamp, nonce, body)', () => {
  const secret = 's'.repeat(40);
  const sig = signNotification(secret, '1700000000', 'abcdefabcdefabcd', '{"a":1}');

  it('is 64 hex characters and verifies with the same inputs', () => {
    assert.match(sig, /^[0-9a-f]{64}$/);
    assert.equal(signatureMatches(secret, '1700000000', 'abcdefabcdefabcd', '{"a":1}', sig), true);
  });

  it('fails when any part differs', () => {
    assert.equal(signatureMatches('t'.repeat(40), '1700000000', 'abcdefabcdefabcd', '{"a":1}', sig), false);
    assert.equal(signatureMatches(secret, '1700000001', 'abcdefabcdefabcd', '{"a":1}', sig), false);
    assert.equal(signatureMatches(secret, '1700000000', 'abcdefabcdefabce', '{"a":1}', sig), false);
    assert.equal(signatureMatches(secret, '1700000000', 'abcdefabcdefabcd', '{"a":2}', sig), false);
  });

  it('refuses malformed signatures without throwing', () => {
    for (const bad of ['', 'zz', sig.toUpperCase(), `${sig}00`, sig.slice(0, 62)]) {
      assert.equal(signatureMatches(secret, '1700000000', 'abcdefabcdefabcd', '{"a":1}', bad), false, bad);
    }
  });
});

describe('China business dates', () => {
  it('a day runs from 16:00 UTC the day before to 16:00 UTC', () => {
    const { from, to } = chinaDayRange('2026-11-24');
    assert.equal(from.toISOString(), '2026-11-23T16:00:00.000Z');
    assert.equal(to.toISOString(), '2026-11-24T16:00:00.000Z');
    assert.equal(chinaDate(new Date('2026-11-23T16:00:00Z')), '2026-11-24');
    assert.equal(chinaDate(new Date('2026-11-23T15:59:59Z')), '2026-11-23');
  });
});
