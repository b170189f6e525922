import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an access token says about its bearer; services authorise on it. */
export interface Caller {
  /** Account id. */
  sub: string;
  username: string;
  accountType: 'personal' | 'institution' | 'staff';
  roles: string[];
  institutionId: string | null;
  /** Session (refresh-token family) the token was issued for. */
  sid: string;
}

export interface AccessTokenClaims extends Caller {
  iat: number;
  exp: number;
  iss: 'certhub';
}

const b64url = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** Signs a compact HS256 JWT. */
export function signAccessToken(caller: Caller, secret: string, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const claims: AccessTokenClaims = { ...caller, iat, exp: iat + ttlSeconds, iss: 'certhub' };
  const body = `${HEADER}.${b64url(JSON.stringify(claims))}`;
  const sig = createHmac('sha256', secret).update(body).digest('base64url');
  return `${body}.${sig}`;
}

export type TokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

/** Verifies signature, algorithm, issuer and expiry of an access token. */
export function verifyAccessToken(token: string, secret: string, now = Date.now()): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  let given: Buffer;
  try {
    given = Buffer.from(parts[2] ?? '', 'base64url');
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };
  let claims: AccessTokenClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as AccessTokenClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims !== 'object' || claims === null || claims.iss !== 'certhub' || typeof claims.sub !== 'string' || !Array.isArray(claims.roles)) return { ok: false, reason: 'malformed' };
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
