import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unique } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';

type Body = { code?: string; field?: string; accessToken?: string; refreshToken?: string; details?: Record<string, unknown> };

describe('SMS codes, captcha, login and tokens (ID-4, ID-8)', () => {
  let h: IdentityHarness;
  before(async () => {
    h = await IdentityHarness.start({ LOGIN_MAX_FAILURES: '3' });
  });
  after(() => h?.stop());

  describe('SMS codes', () => {
    it('sends one code per phone per 2 minutes: a second request gets 429', async () => {
      const phone = unique.phone();
      await h.smsCode(phone);
      const again = await h.request<Body>('POST', '/api/v1/identity/sms-codes', { body: { phone, purpose: 'register' } });
      assert.equal(again.status, 429);
      assert.equal(again.body.code, 'IDENTITY_SMS_TOO_FREQUENT');
      assert.equal(again.body.field, 'phone');
    });

    it('sends exactly one code when requests for one phone race', async () => {
      const phone = unique.phone();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => h.request('POST', '/api/v1/identity/sms-codes', { body: { phone, purpose: 'register' } })),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [202, 429, 429, 429, 429, 429]);
      const inbox = await h.request<{ messages: unknown[] }>('GET', `/api/v1/sandbox/sms?phone=${phone}`);
      assert.equal(inbox.body.messages.length, 1);
    });

    it('a code is valid 2 minutes, and after the interval a new code replaces it', async () => {
      const phone = unique.phone();
      const first = await h.smsCode(phone);
      const row: Array<{ ttl: number }> = await h.dataSource.query(`SELECT extract(epoch FROM expires_at - sent_at)::int AS ttl FROM sms_code WHERE phone = $1`, [phone]);
      assert.equal(row[0]!.ttl, 120);
      await h.dataSource.query(`UPDATE sms_code SET sent_at = sent_at - interval '121 seconds', expires_at = expires_at - interval '121 seconds' WHERE phone = $1`, [phone]);
      const second = await h.smsCode(phone);
      const rows: unknown[] = await h.dataSource.query(`SELECT 1 FROM sms_code WHERE phone = $1 AND expires_at > now()`, [phone]);
      assert.equal(rows.length, 1);
      assert.ok(first.length === 6 && second.length === 6);
    });

    it('locks a code after repeated wrong entries', async () => {
      const applicant = h.newApplicant();
      const { birthDate: _b, sequence: _s, ...body } = applicant;
      const code = await h.smsCode(body.phone);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 5; i++) {
        const res = await h.request<Body>('POST', '/api/v1/identity/accounts', { body: { ...body, smsCode: wrong } });
        assert.equal(res.body.code, 'IDENTITY_SMS_CODE_INVALID');
      }
      const locked = await h.request<Body>('POST', '/api/v1/identity/accounts', { body: { ...body, smsCode: code } });
      assert.equal(locked.status, 429);
      assert.equal(locked.body.code, 'IDENTITY_SMS_CODE_LOCKED');
    });

    it('refuses a purpose it does not know and a malformed phone', async () => {
      const a = await h.request<Body>('POST', '/api/v1/identity/sms-codes', { body: { phone: unique.phone(), purpose: 'marketing' } });
      assert.equal(a.status, 400);
      assert.equal(a.body.field, 'purpose');
      const b = await h.request<Body>('POST', '/api/v1/identity/sms-codes', { body: { phone: '12345', purpose: 'register' } });
      assert.equal(b.status, 400);
      assert.equal(b.body.field, 'phone');
    });
  });

  describe('login', () => {
    it('refuses a wrong captcha and spends the captcha', async () => {
      const { body } = await h.registerAndLogin();
      const captcha = await h.captcha();
      const wrong = await h.request<Body>('POST', '/api/v1/identity/sessions', {
        body: { username: body.username, password: body.password, captchaId: captcha.captchaId, captchaText: 'ZZZZ' },
      });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.code, 'IDENTITY_CAPTCHA_INVALID');
      const reused = await h.request<Body>('POST', '/api/v1/identity/sessions', { body: { username: body.username, password: body.password, ...captcha } });
      assert.equal(reused.status, 400, 'a captcha is single use');
    });

    it('locks the account after repeated wrong passwords, even for the right password', async () => {
      const { body } = await h.registerAndLogin();
      const attempt = async (password: string) =>
        h.request<Body>('POST', '/api/v1/identity/sessions', { body: { username: body.username, password, ...(await h.captcha()) } });
      const first = await attempt('Wrong1234');
      assert.equal(first.status, 401);
      assert.equal(first.body.code, 'IDENTITY_LOGIN_FAILED');
      assert.equal(first.body.details?.remainingAttempts, 2);
      await attempt('Wrong1234');
      const third = await attempt('Wrong1234');
      assert.equal(third.status, 423);
      assert.equal(third.body.code, 'IDENTITY_ACCOUNT_LOCKED');
      const right = await attempt(body.password as string);
      assert.equal(right.status, 423, 'the right password does not bypass the lock');
      await h.dataSource.query(`UPDATE account SET locked_until = now() - interval '1 second' WHERE username_key = $1`, [(body.username as string).toLowerCase()]);
      const after = await attempt(body.password as string);
      assert.equal(after.status, 201);
    });

    it('answers an unknown user like a wrong password', async () => {
      const res = await h.request<Body>('POST', '/api/v1/identity/sessions', { body: { username: unique.username(), password: 'Whatever1', ...(await h.captcha()) } });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'IDENTITY_LOGIN_FAILED');
    });
  });

  describe('tokens', () => {
    it('rotates refresh tokens and revokes the family when a spent token is replayed', async () => {
      const { accessToken, refreshToken } = await h.registerAndLogin();
      const rotated = await h.request<Body>('POST', '/api/v1/identity/sessions/refresh', { body: { refreshToken } });
      assert.equal(rotated.status, 201);
      assert.notEqual(rotated.body.refreshToken, refreshToken);
      const replay = await h.request<Body>('POST', '/api/v1/identity/sessions/refresh', { body: { refreshToken } });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.code, 'IDENTITY_REFRESH_TOKEN_INVALID');
      // The replay revoked the whole family: the newest token is dead too.
      const newest = await h.request<Body>('POST', '/api/v1/identity/sessions/refresh', { body: { refreshToken: rotated.body.refreshToken } });
      assert.equal(newest.status, 401);
      // The family is revoked, so its access token is refused at once too.
      const me = await h.request<Body>('GET', '/api/v1/identity/me', { token: accessToken });
      assert.equal(me.status, 401);
      assert.equal(me.body.code, 'COMMON_TOKEN_INVALID');
    });

    it('announces every ended session on identity.session.revoked.v1 (logout, refresh-token reuse, password change)', async () => {
      const sid = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
      const announced = async (accountId: string) =>
        (
          await h.dataSource.query(
            `SELECT payload->'data' AS data FROM outbox_message WHERE topic = 'identity.session.revoked.v1' AND payload->'data'->>'accountId' = $1 ORDER BY id`,
            [accountId],
          )
        ).map((r: { data: { sessionIds: string[]; reason: string } }) => ({ sessionIds: r.data.sessionIds, reason: r.data.reason }));

      const a = await h.registerAndLogin();
      assert.deepEqual(await announced(a.id), [], 'nothing ended yet');
      assert.equal((await h.request('DELETE', '/api/v1/identity/sessions/current', { token: a.accessToken })).status, 204);
      assert.deepEqual(await announced(a.id), [{ sessionIds: [sid(a.accessToken)], reason: 'logout' }]);

      const b = await h.registerAndLogin();
      await h.request('POST', '/api/v1/identity/sessions/refresh', { body: { refreshToken: b.refreshToken } });
      await h.request('POST', '/api/v1/identity/sessions/refresh', { body: { refreshToken: b.refreshToken } });
      assert.deepEqual(await announced(b.id), [{ sessionIds: [sid(b.accessToken)], reason: 'refresh-token-reuse' }]);

      // A password change ends every live session of the account, and only those.
      const c = await h.registerAndLogin();
      const second = await h.login(c.body.username as string, c.body.password as string);
      const third = await h.login(c.body.username as string, c.body.password as string);
      assert.equal((await h.request('DELETE', '/api/v1/identity/sessions/current', { token: third.accessToken })).status, 204);
      const changed = await h.request('PUT', '/api/v1/identity/me/password', { token: c.accessToken, body: { oldPassword: c.body.password, newPassword: 'Changed12345x' } });
      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      const events = await announced(c.id);
      assert.equal(events.length, 2);
      assert.deepEqual(events[0], { sessionIds: [sid(third.accessToken)], reason: 'logout' });
      assert.equal(events[1]!.reason, 'password-changed');
      assert.deepEqual([...events[1]!.sessionIds].sort(), [sid(c.accessToken), sid(second.accessToken)].sort());
    });

    it('logout revokes the session; a tampered or missing token is refused', async () => {
      const { accessToken, refreshToken } = await h.registerAndLogin();
      assert.equal((await h.request('DELETE', '/api/v1/identity/sessions/current', { token: accessToken })).status, 204);
      assert.equal((await h.request('POST', '/api/v1/identity/sessions/refresh', { body: { refreshToken } })).status, 401);
      const afterLogout = await h.request<Body>('GET', '/api/v1/identity/me', { token: accessToken });
      assert.equal(afterLogout.status, 401, 'a logged-out access token is refused');
      const other = await h.registerAndLogin();
      assert.equal((await h.request('GET', '/api/v1/identity/me', { token: other.accessToken })).status, 200);
      const [head, payload, sig] = accessToken.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${sig}`;
      const res = await h.request<Body>('GET', '/api/v1/identity/me', { token: forged });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'COMMON_TOKEN_INVALID');
      const none = await h.request<Body>('GET', '/api/v1/identity/me');
      assert.equal(none.status, 401);
      assert.equal(none.body.code, 'COMMON_UNAUTHENTICATED');
    });
  });
});
