import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionRevocations } from './session-revocations';

const event = (sessionIds: string[], revokedAt: number) => ({
  accountId: '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b',
  sessionIds,
  reason: 'logout' as const,
  revokedAt: new Date(revokedAt).toISOString(),
});

describe('SessionRevocations', () => {
  it('refuses the revoked sessions and no others', () => {
    const now = Date.parse('2026-11-24T08:00:00Z');
    const r = new SessionRevocations(15 * 60_000);
    r.apply(event(['s1', 's2'], now), now);
    assert.equal(r.isRevoked('s1', now), true);
    assert.equal(r.isRevoked('s2', now + 60_000), true);
    assert.equal(r.isRevoked('s3', now), false);
    assert.equal(r.isRevoked(undefined, now), false);
  });

  it('forgets a revocation once no token of the session can be valid any more', () => {
    const now = Date.parse('2026-11-24T08:00:00Z');
    const r = new SessionRevocations(15 * 60_000);
    r.apply(event(['s1'], now), now);
    assert.equal(r.isRevoked('s1', now + 15 * 60_000 - 1), true);
    assert.equal(r.isRevoked('s1', now + 15 * 60_000), false);
    // Pruned on a later look-up.
    r.isRevoked('other', now + 20 * 60_000);
    assert.equal(r.size, 0);
  });

  it('ignores revocations too old to matter (a restart reading the topic from the beginning)', () => {
    const now = Date.parse('2026-11-24T08:00:00Z');
    const r = new SessionRevocations(15 * 60_000);
    r.apply(event(['old'], now - 16 * 60_000), now);
    assert.equal(r.size, 0);
    assert.equal(r.isRevoked('old', now), false);
  });

  it('keeps the later of two revocations of one session', () => {
    const now = Date.parse('2026-11-24T08:00:00Z');
    const r = new SessionRevocations(15 * 60_000);
    r.apply(event(['s1'], now), now);
    r.apply(event(['s1'], now - 10 * 60_000), now);
    assert.equal(r.isRevoked('s1', now + 10 * 60_000), true);
  });
});
