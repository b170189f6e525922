import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidSocialCreditCode, socialCreditCheckCharacter } from './social-credit-code';

describe('unified social credit code (EX-4 enterprise invoice)', () => {
  it('accepts published codes with the right check character', () => {
    // Codes of well-known companies as printed on their business licences.
    for (const code of ['91350100M000100Y43', '91110000802100433B']) assert.ok(isValidSocialCreditCode(code), code);
  });

  it('refuses a wrong check character, a wrong length and letters that are not used (I, O, S, V, Z)', () => {
    const good = '91350100M000100Y43';
    const check = socialCreditCheckCharacter(good.slice(0, 17));
    const wrong = [...'0123456789ABCDEFGHJKLMNPQRTUWXY'].find((c) => c !== check)!;
    assert.equal(isValidSocialCreditCode(`${good.slice(0, 17)}${wrong}`), false);
    assert.equal(isValidSocialCreditCode(good.slice(0, 17)), false);
    assert.equal(isValidSocialCreditCode(`${good}0`), false);
    assert.equal(isValidSocialCreditCode('91350100M000100I43'), false);
    assert.equal(isValidSocialCreditCode('91350100m000100y43'), false);
  });
});
