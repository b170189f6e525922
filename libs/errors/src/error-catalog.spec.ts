import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommonErrors, defineErrors, DomainException } from './error-catalog';

const Errors = defineErrors({
  IDENTITY_USERNAME_TAKEN: { status: 409, en: 'The username is already taken.', zh: '用户名已被占用。' },
  IDENTITY_PHOTO_REJECTED: { status: 422, en: 'The photo does not meet the requirements.', zh: '照片不符合要求。' },
});

describe('defineErrors', () => {
  it('keeps the catalogue it was given', () => {
    assert.deepEqual(Object.keys(Errors.catalog), ['IDENTITY_USERNAME_TAKEN', 'IDENTITY_PHOTO_REJECTED']);
    assert.equal(Errors.catalog.IDENTITY_USERNAME_TAKEN.status, 409);
  });

  it('builds a DomainException with the code, status and both catalogue messages', () => {
    const err = Errors.error('IDENTITY_USERNAME_TAKEN');
    assert.ok(err instanceof DomainException);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'DomainException');
    assert.equal(err.code, 'IDENTITY_USERNAME_TAKEN');
    assert.equal(err.status, 409);
    assert.equal(err.message, 'The username is already taken.');
    assert.equal(err.messageZh, '用户名已被占用。');
    assert.equal(err.field, undefined);
    assert.equal(err.details, undefined);
    assert.equal(err.extra, undefined);
  });

  it('carries field and details into the body', () => {
    const err = Errors.error('IDENTITY_USERNAME_TAKEN', { field: 'username', details: { suggestion: 'zhangsan2' } });
    assert.equal(err.field, 'username');
    assert.deepEqual(err.toBody(), {
      code: 'IDENTITY_USERNAME_TAKEN',
      message: 'The username is already taken.',
      messageZh: '用户名已被占用。',
      field: 'username',
      details: { suggestion: 'zhangsan2' },
    });
  });

  it('the body has only code and messages when there is no field, details or extra', () => {
    assert.deepEqual(Errors.error('IDENTITY_USERNAME_TAKEN').toBody(), {
      code: 'IDENTITY_USERNAME_TAKEN',
      message: 'The username is already taken.',
      messageZh: '用户名已被占用。',
    });
  });

  it('lets the raiser override each message separately', () => {
    const en = Errors.error('IDENTITY_PHOTO_REJECTED', { en: 'The photo is too dark.' });
    assert.equal(en.message, 'The photo is too dark.');
    assert.equal(en.messageZh, '照片不符合要求。');
    const zh = Errors.error('IDENTITY_PHOTO_REJECTED', { zh: '照片太暗。' });
    assert.equal(zh.message, 'The photo does not meet the requirements.');
    assert.equal(zh.messageZh, '照片太暗。');
  });

  it('puts extra fields at the top level of the body', () => {
    const checks = [{ name: 'brightness', ok: false }];
    const body = Errors.error('IDENTITY_PHOTO_REJECTED', { extra: { checks } }).toBody();
    assert.deepEqual(body, {
      checks,
      code: 'IDENTITY_PHOTO_REJECTED',
      message: 'The photo does not meet the requirements.',
      messageZh: '照片不符合要求。',
    });
  });

  it('extra fields cannot override code, messages, field or details', () => {
    const body = Errors.error('IDENTITY_PHOTO_REJECTED', {
      field: 'photo',
      details: { width: 10 },
      extra: { code: 'HACKED', message: 'x', messageZh: 'y', field: 'z', details: { w: 1 }, checks: [] },
    }).toBody();
    assert.deepEqual(body, {
      code: 'IDENTITY_PHOTO_REJECTED',
      message: 'The photo does not meet the requirements.',
      messageZh: '照片不符合要求。',
      field: 'photo',
      details: { width: 10 },
      checks: [],
    });
  });

  it('refuses a code that is not in the catalogue', () => {
    const untyped = Errors as unknown as { error(code: string): DomainException };
    assert.throws(() => untyped.error('IDENTITY_NOPE'), { message: 'unknown error code IDENTITY_NOPE' });
  });

  it('is() recognises its own codes only on DomainExceptions', () => {
    const err = Errors.error('IDENTITY_USERNAME_TAKEN');
    assert.equal(Errors.is(err, 'IDENTITY_USERNAME_TAKEN'), true);
    assert.equal(Errors.is(err, 'IDENTITY_PHOTO_REJECTED'), false);
    assert.equal(Errors.is(new Error('IDENTITY_USERNAME_TAKEN'), 'IDENTITY_USERNAME_TAKEN'), false);
    assert.equal(Errors.is({ code: 'IDENTITY_USERNAME_TAKEN' }, 'IDENTITY_USERNAME_TAKEN'), false);
    assert.equal(Errors.is(undefined, 'IDENTITY_USERNAME_TAKEN'), false);
  });
});

describe('CommonErrors', () => {
  it('maps each transport-level code to its HTTP status', () => {
    const statuses = Object.fromEntries(Object.entries(CommonErrors.catalog).map(([code, spec]) => [code, spec.status]));
    assert.deepEqual(statuses, {
      COMMON_VALIDATION_FAILED: 400,
      COMMON_UNKNOWN_FIELD: 400,
      COMMON_MALFORMED_BODY: 400,
      COMMON_UNAUTHENTICATED: 401,
      COMMON_TOKEN_INVALID: 401,
      COMMON_FORBIDDEN: 403,
      COMMON_NOT_FOUND: 404,
      COMMON_METHOD_NOT_ALLOWED: 405,
      COMMON_CONFLICT: 409,
      COMMON_PAYLOAD_TOO_LARGE: 413,
      COMMON_UNSUPPORTED_MEDIA_TYPE: 415,
      COMMON_RATE_LIMITED: 429,
      COMMON_BUSY: 429,
      COMMON_INTERNAL: 500,
      COMMON_UPSTREAM_UNAVAILABLE: 503,
    });
  });

  it('has an English and a Chinese message for every code', () => {
    for (const [code, spec] of Object.entries(CommonErrors.catalog)) {
      assert.ok(spec.en.length > 0 && spec.en.endsWith('.'), code);
      assert.ok(/[\u4e00-\u9fff]/.test(spec.zh) && spec.zh.endsWith('。'), code);
    }
  });
});
