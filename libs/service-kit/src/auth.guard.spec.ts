import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException } from '@certhub/errors';
import { signAccessToken, type Caller } from './access-token';
import { AuthGuard, Public, RequireAccountType, RequireRoles } from './auth.guard';

const SECRET = 'guard-secret-0123456789abcdef-0123456789';

const personal: Caller = {
  sub: '0b7c1e52-1f8a-4c3e-9b7d-2a6f4e8c1d90',
  username: 'zhangsan',
  accountType: 'personal',
  roles: ['examinee'],
  institutionId: null,
  sid: 'sid-1',
};
const institution: Caller = { ...personal, sub: 'inst-acc', accountType: 'institution', roles: ['inst-admin'], institutionId: 'inst-1' };
const staff: Caller = { ...personal, sub: 'staff-acc', accountType: 'staff', roles: ['reviewer'] };

class AccountsController {
  @Public()
  register(): void {}

  me(): void {}

  @RequireRoles('admin', 'auditor-manager')
  manage(): void {}

  @RequireAccountType('personal')
  confirm(): void {}

  @RequireAccountType('institution')
  @RequireRoles('inst-admin')
  institutionSettings(): void {}
}

@RequireAccountType('staff')
class StaffController {
  review(): void {}

  @RequireAccountType('staff', 'institution')
  shared(): void {}

  @Public()
  status(): void {}
}

@Public()
class PublicController {
  list(): void {}
}

interface FakeRequest {
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
}

function run(cls: new () => object, method: string, headers: FakeRequest['headers'] = {}) {
  const request: FakeRequest = { headers };
  const handler = (cls.prototype as Record<string, unknown>)[method] as () => void;
  assert.equal(typeof handler, 'function', `${cls.name}.${method}`);
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
    getHandler: () => handler,
    getClass: () => cls,
  } as unknown as ExecutionContext;
  const guard = new AuthGuard(new Reflector(), SECRET);
  return { request, activate: () => guard.canActivate(context) };
}

const bearer = (c: Caller, secret = SECRET, now = Date.now()) => ({ authorization: `Bearer ${signAccessToken(c, secret, 900, now)}` });

async function assertRefused(fn: () => unknown, code: string, status: number): Promise<void> {
  await assert.rejects(async () => fn(), (err: unknown) => {
    assert.ok(err instanceof DomainException, String(err));
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  });
}

describe('AuthGuard: public routes', () => {
  it('lets a request without a token through, with no caller', async () => {
    const { request, activate } = run(AccountsController, 'register');
    assert.equal(await activate(), true);
    assert.equal(request.caller, undefined);
  });

  it('sets the caller when a valid token is sent anyway', async () => {
    const { request, activate } = run(AccountsController, 'register', bearer(personal));
    assert.equal(await activate(), true);
    assert.deepEqual(request.caller, personal);
  });

  it('lets a request with an invalid token through without a caller', async () => {
    for (const headers of [
      { authorization: 'Bearer not.a.token' },
      bearer(personal, 'another-secret-0123456789abcdef-0123'),
      bearer(personal, SECRET, Date.now() - 3_600_000),
    ]) {
      const { request, activate } = run(AccountsController, 'register', headers);
      assert.equal(await activate(), true);
      assert.equal(request.caller, undefined);
    }
  });

  it('a class-level @Public() makes every handler public', async () => {
    assert.equal(await run(PublicController, 'list').activate(), true);
  });

  it('a handler-level @Public() wins over the class’s account-type requirement', async () => {
    assert.equal(await run(StaffController, 'status').activate(), true);
  });
});

describe('AuthGuard: protected routes', () => {
  it('without a token → COMMON_UNAUTHENTICATED (401)', async () => {
    await assertRefused(run(AccountsController, 'me').activate, 'COMMON_UNAUTHENTICATED', 401);
  });

  it('with a non-Bearer or empty authorization header → COMMON_UNAUTHENTICATED', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer ', '', signAccessToken(personal, SECRET, 900)]) {
      await assertRefused(run(AccountsController, 'me', { authorization }).activate, 'COMMON_UNAUTHENTICATED', 401);
    }
  });

  it('with a repeated authorization header (array) → COMMON_UNAUTHENTICATED', async () => {
    const token = signAccessToken(personal, SECRET, 900);
    await assertRefused(run(AccountsController, 'me', { authorization: [`Bearer ${token}`, `Bearer ${token}`] }).activate, 'COMMON_UNAUTHENTICATED', 401);
  });

  it('with a garbage token → COMMON_TOKEN_INVALID (401)', async () => {
    await assertRefused(run(AccountsController, 'me', { authorization: 'Bearer garbage' }).activate, 'COMMON_TOKEN_INVALID', 401);
  });

  it('with an expired token → COMMON_TOKEN_INVALID', async () => {
    await assertRefused(run(AccountsController, 'me', bearer(personal, SECRET, Date.now() - 3_600_000)).activate, 'COMMON_TOKEN_INVALID', 401);
  });

  it('with a token of another secret → COMMON_TOKEN_INVALID', async () => {
    await assertRefused(run(AccountsController, 'me', bearer(personal, 'another-secret-0123456789abcdef-0123')).activate, 'COMMON_TOKEN_INVALID', 401);
  });

  it('with a valid token → allowed, and the caller without iat/exp/iss is on the request', async () => {
    const { request, activate } = run(AccountsController, 'me', bearer(personal));
    assert.equal(await activate(), true);
    assert.deepEqual(request.caller, personal);
    assert.deepEqual(Object.keys(request.caller!).sort(), ['accountType', 'institutionId', 'roles', 'sid', 'sub', 'username']);
  });
});

describe('AuthGuard: roles', () => {
  it('refuses a caller without any of the required roles → COMMON_FORBIDDEN (403)', async () => {
    await assertRefused(run(AccountsController, 'manage', bearer(personal)).activate, 'COMMON_FORBIDDEN', 403);
  });

  it('allows a caller holding one of the required roles', async () => {
    assert.equal(await run(AccountsController, 'manage', bearer({ ...personal, roles: ['examinee', 'auditor-manager'] })).activate(), true);
    assert.equal(await run(AccountsController, 'manage', bearer({ ...personal, roles: ['admin'] })).activate(), true);
  });

  it('refuses a caller with no roles at all', async () => {
    await assertRefused(run(AccountsController, 'manage', bearer({ ...personal, roles: [] })).activate, 'COMMON_FORBIDDEN', 403);
  });

  it('still requires a login before roles are checked', async () => {
    await assertRefused(run(AccountsController, 'manage').activate, 'COMMON_UNAUTHENTICATED', 401);
  });
});

describe('AuthGuard: account types', () => {
  it('refuses an institution account on a personal matter', async () => {
    await assertRefused(run(AccountsController, 'confirm', bearer(institution)).activate, 'COMMON_FORBIDDEN', 403);
  });

  it('allows a personal account on a personal matter', async () => {
    assert.equal(await run(AccountsController, 'confirm', bearer(personal)).activate(), true);
  });

  it('requires both the account type and the role when both are declared', async () => {
    assert.equal(await run(AccountsController, 'institutionSettings', bearer(institution)).activate(), true);
    await assertRefused(
      run(AccountsController, 'institutionSettings', bearer({ ...institution, roles: ['inst-clerk'] })).activate,
      'COMMON_FORBIDDEN',
      403,
    );
    await assertRefused(
      run(AccountsController, 'institutionSettings', bearer({ ...personal, roles: ['inst-admin'] })).activate,
      'COMMON_FORBIDDEN',
      403,
    );
  });

  it('applies a class-level account type to every handler', async () => {
    assert.equal(await run(StaffController, 'review', bearer(staff)).activate(), true);
    await assertRefused(run(StaffController, 'review', bearer(personal)).activate, 'COMMON_FORBIDDEN', 403);
  });

  it('a handler-level account type overrides the class-level one', async () => {
    assert.equal(await run(StaffController, 'shared', bearer(institution)).activate(), true);
    assert.equal(await run(StaffController, 'shared', bearer(staff)).activate(), true);
    await assertRefused(run(StaffController, 'shared', bearer(personal)).activate, 'COMMON_FORBIDDEN', 403);
  });
});

describe('AuthGuard: revoked sessions', () => {
  it('refuses a valid token whose session the owner reports revoked, and only then', async () => {
    const checked: string[] = [];
    const guard = new AuthGuard(new Reflector(), SECRET, async (c) => {
      checked.push(c.sid);
      return c.sid !== 'revoked-session';
    });
    const context = (headers: Record<string, string>) =>
      ({
        switchToHttp: () => ({ getRequest: () => ({ headers }) }),
        getHandler: () => function handler() {},
        getClass: () => class Plain {},
      }) as unknown as ExecutionContext;
    assert.equal(await guard.canActivate(context(bearer({ ...personal, sid: 'live-session' }))), true);
    await assert.rejects(
      guard.canActivate(context(bearer({ ...personal, sid: 'revoked-session' }))),
      (err: unknown) => err instanceof DomainException && err.code === 'COMMON_TOKEN_INVALID',
    );
    assert.deepEqual(checked, ['live-session', 'revoked-session']);
  });
});
