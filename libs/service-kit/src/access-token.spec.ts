import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signAccessToken, verifyAccessToken, type Caller } from './access-token';

const SECRET = 'test-secret-0123456789abcdef-0123456789';
const NOW = 1_700_000_000_123; // 2023-11-14T22:13:20.123Z
const TTL = 900;

const caller: Caller = {
  sub: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
  username: 'zhangsan',
  accountType: 'personal',
  roles: ['examinee'],
  institutionId: null,
  sid: 'session-1',
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
const hmac = (data: string, secret = SECRET) => createHmac('sha256', secret).update(data).digest('base64url');

/** A token whose header and payload are chosen freely, correctly signed with SECRET. */
function forge(header: unknown, payload: string): string {
  const body = `${b64url(header)}.${payload}`;
  return `${body}.${hmac(body)}`;
}

describe('signAccessToken', () => {
  it('produces a compact HS256 JWT: header.payload.signature', () => {
    const token = signAccessToken(caller, SECRET, TTL, NOW);
    const parts = token.split('.');
    assert.equal(parts.length, 3);
    for (const part of parts) assert.match(part, /^[A-Za-z0-9_-]+$/, 'base64url without padding');
    assert.deepEqual(decode(parts[0]!), { alg: 'HS256', typ: 'JWT' });
  });

  it('puts the caller, iat (seconds), exp = iat + ttl and iss = certhub into the payload', () => {
    const token = signAccessToken(caller, SECRET, TTL, NOW);
    assert.deepEqual(decode(token.split('.')[1]!), { ...caller, iat: 1_700_000_000, exp: 1_700_000_900, iss: 'certhub' });
  });

  it('signs header.payload with HMAC-SHA256 of the secret', () => {
    const token = signAccessToken(caller, SECRET, TTL, NOW);
    const [h, p, s] = token.split('.');
    assert.equal(s, hmac(`${h}.${p}`));
  });

  it('is deterministic for the same input and differs for another secret', () => {
    assert.equal(signAccessToken(caller, SECRET, TTL, NOW), signAccessToken(caller, SECRET, TTL, NOW));
    assert.notEqual(signAccessToken(caller, SECRET, TTL, NOW), signAccessToken(caller, `${SECRET}x`, TTL, NOW));
  });
});

describe('verifyAccessToken', () => {
  it('round trip: accepts its own token and returns the claims', () => {
    const token = signAccessToken(caller, SECRET, TTL, NOW);
    assert.deepEqual(verifyAccessToken(token, SECRET, NOW), {
      ok: true,
      claims: { ...caller, iat: 1_700_000_000, exp: 1_700_000_900, iss: 'certhub' },
    });
  });

  it('round trip for an institution account with several roles', () => {
    const inst: Caller = { ...caller, accountType: 'institution', roles: ['inst-admin', 'inst-clerk'], institutionId: 'inst-9' };
    const check = verifyAccessToken(signAccessToken(inst, SECRET, TTL, NOW), SECRET, NOW);
    assert.equal(check.ok, true);
    if (check.ok) {
      assert.deepEqual(check.claims.roles, ['inst-admin', 'inst-clerk']);
      assert.equal(check.claims.institutionId, 'inst-9');
      assert.equal(check.claims.accountType, 'institution');
    }
  });

  it('accepts the token until the last millisecond before exp', () => {
    const token = signAccessToken(caller, SECRET, TTL, NOW);
    assert.equal(verifyAccessToken(token, SECRET, 1_700_000_900_000 - 1).ok, true);
  });

  it('rejects the token as expired from exp on', () => {
    const token = signAccessToken(caller, SECRET, TTL, NOW);
    assert.deepEqual(verifyAccessToken(token, SECRET, 1_700_000_900_000), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyAccessToken(token, SECRET, NOW + 86_400_000), { ok: false, reason: 'expired' });
  });

  it('rejects a token issued an hour ago with a 15-minute lifetime (default clock)', () => {
    const token = signAccessToken(caller, SECRET, TTL, Date.now() - 3_600_000);
    assert.deepEqual(verifyAccessToken(token, SECRET), { ok: false, reason: 'expired' });
  });

  it('rejects a tampered payload (roles raised to admin) by its signature', () => {
    const [h, p, s] = signAccessToken(caller, SECRET, TTL, NOW).split('.');
    const claims = decode(p!);
    const tampered = `${h}.${b64url({ ...claims, roles: ['admin'] })}.${s}`;
    assert.deepEqual(verifyAccessToken(tampered, SECRET, NOW), { ok: false, reason: 'signature' });
  });

  it('rejects a tampered payload (expiry extended) by its signature', () => {
    const [h, p, s] = signAccessToken(caller, SECRET, TTL, NOW).split('.');
    const tampered = `${h}.${b64url({ ...decode(p!), exp: 4_000_000_000 })}.${s}`;
    assert.deepEqual(verifyAccessToken(tampered, SECRET, NOW), { ok: false, reason: 'signature' });
  });

  it('rejects a tampered signature', () => {
    const [h, p, s] = signAccessToken(caller, SECRET, TTL, NOW).split('.');
    const flipped = `${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`;
    assert.deepEqual(verifyAccessToken(`${h}.${p}.${flipped}`, SECRET, NOW), { ok: false, reason: 'signature' });
    assert.deepEqual(verifyAccessToken(`${h}.${p}.${s!.slice(0, -2)}`, SECRET, NOW), { ok: false, reason: 'signature' });
    assert.deepEqual(verifyAccessToken(`${h}.${p}.`, SECRET, NOW), { ok: false, reason: 'signature' });
  });

  it('rejects a token signed with another secret', () => {
    const token = signAccessToken(caller, 'another-secret-0123456789abcdef-0123', TTL, NOW);
    assert.deepEqual(verifyAccessToken(token, SECRET, NOW), { ok: false, reason: 'signature' });
  });

  it('rejects alg "none" and other algorithms as malformed, even when correctly signed', () => {
    const payload = b64url({ ...caller, iat: 1_700_000_000, exp: 1_700_000_900, iss: 'certhub' });
    assert.deepEqual(verifyAccessToken(`${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`, SECRET, NOW), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyAccessToken(forge({ alg: 'none', typ: 'JWT' }, payload), SECRET, NOW), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyAccessToken(forge({ alg: 'HS512', typ: 'JWT' }, payload), SECRET, NOW), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyAccessToken(forge({ alg: 'RS256', typ: 'JWT' }, payload), SECRET, NOW), { ok: false, reason: 'malformed' });
  });

  it('rejects tokens that do not have three parts', () => {
    const [h, p, s] = signAccessToken(caller, SECRET, TTL, NOW).split('.');
    for (const token of ['', 'abc', `${h}.${p}`, `${h}.${p}.${s}.${s}`, '..']) {
      assert.deepEqual(verifyAccessToken(token, SECRET, NOW), { ok: false, reason: 'malformed' }, JSON.stringify(token));
    }
  });

  it('rejects garbage base64 in the signature', () => {
    const [h, p] = signAccessToken(caller, SECRET, TTL, NOW).split('.');
    assert.deepEqual(verifyAccessToken(`${h}.${p}.!!!***%%%`, SECRET, NOW), { ok: false, reason: 'signature' });
    assert.deepEqual(verifyAccessToken(`${h}.${p}.${'#'.repeat(43)}`, SECRET, NOW), { ok: false, reason: 'signature' });
  });

  it('rejects a correctly signed payload that is not JSON as malformed', () => {
    const header = { alg: 'HS256', typ: 'JWT' };
    assert.deepEqual(verifyAccessToken(forge(header, 'not-json~~'), SECRET, NOW), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyAccessToken(forge(header, Buffer.from('{"sub":').toString('base64url')), SECRET, NOW), {
      ok: false,
      reason: 'malformed',
    });
  });

  it('rejects correctly signed claims without iss certhub, a string sub or a roles array', () => {
    const header = { alg: 'HS256', typ: 'JWT' };
    const good = { ...caller, iat: 1_700_000_000, exp: 1_700_000_900, iss: 'certhub' };
    assert.equal(verifyAccessToken(forge(header, b64url(good)), SECRET, NOW).ok, true, 'control');
    for (const claims of [
      { ...good, iss: 'someone-else' },
      { ...good, iss: undefined },
      { ...good, sub: 42 },
      { ...good, sub: undefined },
      { ...good, roles: 'admin' },
      { ...good, roles: undefined },
    ]) {
      assert.deepEqual(verifyAccessToken(forge(header, b64url(claims)), SECRET, NOW), { ok: false, reason: 'malformed' }, JSON.stringify(claims));
    }
  });

  it('treats correctly signed claims without a numeric exp as expired', () => {
    const header = { alg: 'HS256', typ: 'JWT' };
    const noExp = { ...caller, iat: 1_700_000_000, iss: 'certhub' };
    assert.deepEqual(verifyAccessToken(forge(header, b64url(noExp)), SECRET, NOW), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyAccessToken(forge(header, b64url({ ...noExp, exp: '9999999999' })), SECRET, NOW), { ok: false, reason: 'expired' });
  });
});

describe('verifyAccessToken: a signed but non-object payload', () => {
  it('answers malformed instead of throwing', () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = Buffer.from('null').toString('base64url');
    const sig = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url');
    assert.deepEqual(verifyAccessToken(`${header}.${payload}.${sig}`, SECRET, NOW), { ok: false, reason: 'malformed' });
  });
});
