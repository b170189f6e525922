import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskPersonalData, maskString } from './masking';

describe('maskString: personal data inside free text (SPEC X-4)', () => {
  it('masks a mobile number to the first 3 and last 4 digits', () => {
    assert.equal(maskString('13812345678'), '138****5678');
    assert.equal(maskString('call 19987654321 now'), 'call 199****4321 now');
    assert.equal(maskString('phone=15500001111;'), 'phone=155****1111;');
  });

  it('masks every mobile number of the text, not only the first', () => {
    assert.equal(maskString('13812345678 and 13987654321'), '138****5678 and 139****4321');
  });

  it('leaves numbers that are not mobile numbers alone', () => {
    // 11 digits but not starting with 13–19
    assert.equal(maskString('12812345678'), '12812345678');
    // a 10-digit number
    assert.equal(maskString('1381234567'), '1381234567');
    assert.equal(maskString('order 2024010112 done'), 'order 2024010112 done');
  });

  it('masks an e-mail address to its first character and the domain', () => {
    assert.equal(maskString('zhang.san@example.com'), 'z***@example.com');
    assert.equal(maskString('mail li_si+cert@mail.example.cn please'), 'mail l***@mail.example.cn please');
  });

  it('masks a mobile number and an e-mail address in one text', () => {
    assert.equal(
      maskString('user wang@example.org with phone 17700001234 registered'),
      'user w***@example.org with phone 177****1234 registered',
    );
  });

  it('returns a text without personal data unchanged', () => {
    assert.equal(maskString('account created'), 'account created');
    assert.equal(maskString(''), '');
  });
});

describe('maskPersonalData: sensitive keys are redacted', () => {
  it('redacts passwords, codes, tokens, authorization and cookies whatever their value', () => {
    const masked = maskPersonalData({
      password: 'S3cret!pass',
      newPassword: 'n',
      oldPassword: 'o',
      passwordHash: '$2b$10$abc',
      smsCode: '123456',
      'set-cookie': 'sid=2',
      captchaText: 'abcd',
      accessToken: 'eyJ.a.b',
      refreshToken: 'rt-1',
      authorization: 'Bearer eyJ.a.b',
      cookie: 'sid=1',
      secret: 'x',
      token: 't',
      answer: 'my first pet',
      recoveryAnswer: 'blue',
    });
    assert.deepEqual(masked, {
      password: '[redacted]',
      newPassword: '[redacted]',
      oldPassword: '[redacted]',
      passwordHash: '[redacted]',
      smsCode: '[redacted]',
      'set-cookie': '[redacted]',
      captchaText: '[redacted]',
      accessToken: '[redacted]',
      refreshToken: '[redacted]',
      authorization: '[redacted]',
      cookie: '[redacted]',
      secret: '[redacted]',
      token: '[redacted]',
      answer: '[redacted]',
      recoveryAnswer: '[redacted]',
    });
  });

  it('matches keys case-insensitively and ignores "-" and "_"', () => {
    assert.deepEqual(
      maskPersonalData({ Authorization: 'Bearer x', refresh_token: 'r', 'sms-code': '1', PASSWORD: 'p', Access_Token: 'a' }),
      { Authorization: '[redacted]', refresh_token: '[redacted]', 'sms-code': '[redacted]', PASSWORD: '[redacted]', Access_Token: '[redacted]' },
    );
  });

  it('redacts a secret key even when its value is an object, a number or null', () => {
    assert.deepEqual(maskPersonalData({ password: { plain: 'p' }, smsCode: 123456, token: null }), {
      password: '[redacted]',
      smsCode: '[redacted]',
      token: '[redacted]',
    });
  });

  it('redacts secret keys in nested objects and inside arrays', () => {
    assert.deepEqual(
      maskPersonalData({ body: { login: { username: 'zs01', password: 'pw' } }, items: [{ refreshToken: 'rt' }, { ok: true }] }),
      { body: { login: { username: 'zs01', password: '[redacted]' } }, items: [{ refreshToken: '[redacted]' }, { ok: true }] },
    );
  });

  it('redacts the authorization header of a headers object', () => {
    assert.deepEqual(maskPersonalData({ headers: { authorization: 'Bearer abc.def.ghi', 'x-request-id': 'r-1' } }), {
      headers: { authorization: '[redacted]', 'x-request-id': 'r-1' },
    });
  });
});

describe('maskPersonalData: personal keys keep only 2 + 2 characters', () => {
  it('masks idNumber, phone and email values', () => {
    assert.deepEqual(
      maskPersonalData({ idNumber: '11010519491231002X', phone: '13812345678', email: 'zhang.san@example.com' }),
      {
        idNumber: '11**************2X',
        phone: '13*******78',
        email: 'zh*****************om',
      },
    );
  });

  it('masks newPhone, mobile and the snake_case id_number too', () => {
    assert.deepEqual(maskPersonalData({ newPhone: '13900001111', mobile: '13700002222', id_number: '110105491231002' }), {
      newPhone: '13*******11',
      mobile: '13*******22',
      id_number: '11***********02',
    });
  });

  it('masks short values completely and never reveals more than 4 characters', () => {
    assert.deepEqual(maskPersonalData({ phone: '138', email: 'a@b', idNumber: '' }), { phone: '****', email: '****', idNumber: '****' });
    // 5 characters: at least 4 stars in the middle, so the output is longer than the input
    assert.equal((maskPersonalData({ phone: '12345' }) as { phone: string }).phone, '12****45');
  });

  it('replaces non-string personal values (photo buffers, numbers, objects) by [masked]', () => {
    assert.deepEqual(
      maskPersonalData({ photo: Buffer.from([1, 2, 3]), image: { width: 10 }, proof: 42, phone: 13812345678 }),
      { photo: '[masked]', image: '[masked]', proof: '[masked]', phone: '[masked]' },
    );
  });
});

describe('maskPersonalData: values, structures and errors', () => {
  it('masks personal data inside strings of nested objects and arrays', () => {
    const input = {
      note: 'contact 13812345678',
      nested: { deeper: { text: 'write to zhang.san@example.com' } },
      list: ['13987654321', { memo: 'or li@example.cn' }, 7, true, null],
    };
    assert.deepEqual(maskPersonalData(input), {
      note: 'contact 138****5678',
      nested: { deeper: { text: 'write to z***@example.com' } },
      list: ['139****4321', { memo: 'or l***@example.cn' }, 7, true, null],
    });
  });

  it('does not mutate its input', () => {
    const input = { password: 'p', note: '13812345678' };
    maskPersonalData(input);
    assert.deepEqual(input, { password: 'p', note: '13812345678' });
  });

  it('passes numbers, booleans, null and undefined through', () => {
    assert.equal(maskPersonalData(42), 42);
    assert.equal(maskPersonalData(false), false);
    assert.equal(maskPersonalData(null), null);
    assert.equal(maskPersonalData(undefined), undefined);
    assert.deepEqual(maskPersonalData({ count: 3, active: true, none: null }), { count: 3, active: true, none: null });
  });

  it('masks a top-level string', () => {
    assert.equal(maskPersonalData('sms sent to 13812345678'), 'sms sent to 138****5678');
  });

  it('replaces buffers by their size', () => {
    assert.deepEqual(maskPersonalData({ file: Buffer.alloc(1234) }), { file: '[1234 bytes]' });
  });

  it('keeps at most 50 array items', () => {
    const out = maskPersonalData(Array.from({ length: 60 }, (_v, i) => i)) as number[];
    assert.equal(out.length, 50);
    assert.equal(out[49], 49);
  });

  it('stops descending below depth 6', () => {
    const deep = { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } };
    assert.deepEqual(maskPersonalData(deep), { a: { b: { c: { d: { e: { f: { g: '[deep]' } } } } } } });
  });

  it('turns an Error into name, masked message and masked stack', () => {
    const err = new Error('no account for 13812345678 / zhang.san@example.com');
    const out = maskPersonalData(err) as { name: string; message: string; stack: string };
    assert.deepEqual(Object.keys(out), ['name', 'message', 'stack']);
    assert.equal(out.name, 'Error');
    assert.equal(out.message, 'no account for 138****5678 / z***@example.com');
    assert.ok(out.stack.startsWith('Error: no account for 138****5678 / z***@example.com\n'), out.stack);
    assert.ok(!out.stack.includes('13812345678'));
    assert.ok(!out.stack.includes('zhang.san'));
  });

  it('masks the cause of an Error as well', () => {
    const err = new Error('outer', { cause: { phone: '13812345678', why: 'duplicate 13987654321' } });
    const out = maskPersonalData(err) as { cause: unknown };
    assert.deepEqual(out.cause, { phone: '13*******78', why: 'duplicate 139****4321' });
  });

  it('masks an Error nested under an ordinary key', () => {
    const out = maskPersonalData({ err: new TypeError('bad mail a.b@example.com') }) as { err: { name: string; message: string } };
    assert.equal(out.err.name, 'TypeError');
    assert.equal(out.err.message, 'bad mail a***@example.com');
  });
});

describe('maskString: resident ID numbers (SPEC X-4)', () => {
  it('masks 18-digit (incl. X) and legacy 15-digit ID numbers inside strings, objects and errors', () => {
    assert.equal(maskString('id 11010519491231002X ok'), 'id 110*************2X ok');
    assert.equal(maskString('110105194912310021'), '110*************21');
    assert.equal(maskString('old id 110105491231002'), 'old id 110**********02');
    assert.deepEqual(maskPersonalData({ a: { note: 'id 11010519491231002X' }, l: ['11010519491231002X'] }), {
      a: { note: 'id 110*************2X' },
      l: ['110*************2X'],
    });
    assert.equal((maskPersonalData(new Error('dup 11010519491231002X')) as { message: string }).message, 'dup 110*************2X');
  });

  it('leaves longer digit runs (order numbers, timestamps) alone', () => {
    assert.equal(maskString('order 202204140900041234567'), 'order 202204140900041234567');
  });
});

describe('maskPersonalData: error codes stay readable', () => {
  it('keeps a `code` field (error codes such as IDENTITY_LOGIN_FAILED)', () => {
    assert.deepEqual(maskPersonalData({ code: 'IDENTITY_LOGIN_FAILED' }), { code: 'IDENTITY_LOGIN_FAILED' });
  });
});
