import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROVINCE_CODES,
  computeCheckCharacter,
  generateResidentId,
  isValidResidentId,
  maskResidentId,
  parseResidentId,
  upgrade15To18,
  type ResidentIdFailureReason,
} from './index';

/** A fixed "now": 2025-06-01 08:00 in China. */
const NOW = new Date('2025-06-01T00:00:00Z');

function withCheck(first17: string): string {
  return first17 + computeCheckCharacter(first17);
}

function reasonOf(input: string, now = NOW): ResidentIdFailureReason | 'OK' {
  const result = parseResidentId(input, now);
  return result.ok ? 'OK' : result.reason;
}

describe('ID-2 parseResidentId: valid numbers', () => {
  it('accepts the well-known example 11010519491231002X and derives its fields', () => {
    const result = parseResidentId('11010519491231002X', NOW);
    assert.deepEqual(result, {
      ok: true,
      value: {
        number18: '11010519491231002X',
        regionCode: '110105',
        provinceCode: '11',
        birthDate: '1949-12-31',
        gender: 'female',
        upgradedFrom15: false,
      },
    });
  });

  it('accepts independently computed vectors', () => {
    const vectors: Array<[string, string, 'male' | 'female']> = [
      ['440300199001011238', '1990-01-01', 'male'],
      ['310115200002290048', '2000-02-29', 'female'],
      ['650102199912315671', '1999-12-31', 'male'],
      ['830000198506150016', '1985-06-15', 'male'],
      ['810000200109090028', '2001-09-09', 'female'],
      ['110105202402290011', '2024-02-29', 'male'],
      ['510107197007077070', '1970-07-07', 'male'],
    ];
    for (const [number, birthDate, gender] of vectors) {
      const result = parseResidentId(number, NOW);
      assert.ok(result.ok, number);
      assert.equal(result.value.number18, number);
      assert.equal(result.value.birthDate, birthDate);
      assert.equal(result.value.gender, gender);
      assert.equal(result.value.upgradedFrom15, false);
    }
  });

  it('accepts a lower-case x and stores it upper-case', () => {
    const result = parseResidentId('11010519491231002x', NOW);
    assert.ok(result.ok);
    assert.equal(result.value.number18, '11010519491231002X');
  });

  it('trims surrounding whitespace, including the ideographic space', () => {
    const result = parseResidentId(' \t11010519491231002X\u3000\n', NOW);
    assert.ok(result.ok);
    assert.equal(result.value.number18, '11010519491231002X');
  });

  it('derives the gender from the parity of the 17th digit', () => {
    for (let digit = 0; digit <= 9; digit += 1) {
      const result = parseResidentId(withCheck(`1101051980010100${digit}`), NOW);
      assert.ok(result.ok);
      assert.equal(result.value.gender, digit % 2 === 1 ? 'male' : 'female', String(digit));
    }
  });

  it('accepts every listed province prefix', () => {
    assert.equal(PROVINCE_CODES.size, 35);
    for (const province of PROVINCE_CODES) {
      const number = withCheck(`${province}010219800101013`);
      const result = parseResidentId(number, NOW);
      assert.ok(result.ok, number);
      assert.equal(result.value.provinceCode, province);
    }
  });

  it('accepts the earliest birth date 1900-01-01 and a birth today in China', () => {
    assert.equal(reasonOf(withCheck('11010519000101001')), 'OK');
    // 2025-06-01T16:30Z is already 2025-06-02 00:30 in China
    const lateEvening = new Date('2025-06-01T16:30:00Z');
    assert.equal(reasonOf(withCheck('11010520250602001'), lateEvening), 'OK');
    assert.equal(reasonOf(withCheck('11010520250602001'), NOW), 'BIRTH_DATE_FUTURE');
  });

  it('isValidResidentId mirrors parseResidentId', () => {
    assert.equal(isValidResidentId('11010519491231002X', NOW), true);
    assert.equal(isValidResidentId('110105194912310021', NOW), false);
  });
});

describe('ID-2 parseResidentId: legacy 15-digit numbers', () => {
  it('upgrades 110105491231002 to 11010519491231002X', () => {
    const result = parseResidentId('110105491231002', NOW);
    assert.deepEqual(result, {
      ok: true,
      value: {
        number18: '11010519491231002X',
        regionCode: '110105',
        provinceCode: '11',
        birthDate: '1949-12-31',
        gender: 'female',
        upgradedFrom15: true,
      },
    });
  });

  it('upgrade15To18 inserts the century 19 and the check character', () => {
    assert.equal(upgrade15To18('110105491231002'), '11010519491231002X');
    assert.equal(upgrade15To18('440300900101123'), '440300199001011238');
    assert.equal(upgrade15To18(' 650102991231567 '), '650102199912315671');
    assert.throws(() => upgrade15To18('11010549123100'), RangeError);
    assert.throws(() => upgrade15To18('11010549123100X'), RangeError);
    assert.throws(() => upgrade15To18('11010519491231002X'), RangeError);
  });

  it('takes the gender from the last digit of a 15-digit number', () => {
    const result = parseResidentId('440300900101123', NOW);
    assert.ok(result.ok);
    assert.equal(result.value.gender, 'male');
  });

  it('refuses bad characters, bad regions and bad dates in 15-digit numbers', () => {
    assert.equal(reasonOf('11010549123100X'), 'CHARACTERS');
    assert.equal(reasonOf('11010549123100x'), 'CHARACTERS');
    assert.equal(reasonOf('1101054912A1002'), 'CHARACTERS');
    assert.equal(reasonOf('990105491231002'), 'REGION');
    assert.equal(reasonOf('110105490230002'), 'BIRTH_DATE');
    assert.equal(reasonOf('110105000229002'), 'BIRTH_DATE'); // 1900 is not a leap year
    assert.equal(reasonOf('110105960229002'), 'OK'); // 1996 is
  });
});

describe('ID-2 parseResidentId: every failure reason', () => {
  it('LENGTH for anything but 15 or 18 characters', () => {
    for (const bad of ['', '   ', '1', '11010519491231', '1101051949123100', '11010519491231002', '11010519491231002X1', '1101051949123100211', '11010519491231 002X']) {
      assert.equal(reasonOf(bad), 'LENGTH', JSON.stringify(bad));
    }
    assert.equal(reasonOf(undefined as unknown as string), 'LENGTH');
    assert.equal(reasonOf(11010519491231 as unknown as string), 'LENGTH');
  });

  it('CHARACTERS for letters in the middle, X anywhere but last, and non-ASCII digits', () => {
    for (const bad of [
      '1101051949A231002X',
      '11010519491231X021',
      'X10105194912310021',
      '11010519491231002Y',
      '11010519491231002-',
      '110105-9491231002X',
      '１１０１０５１９４９１２３１００２Ｘ',
      '11010519491231002\u00d7',
    ]) {
      assert.equal(reasonOf(bad), 'CHARACTERS', bad);
    }
  });

  it('REGION for unknown province prefixes such as 99', () => {
    for (const prefix of ['00', '10', '16', '20', '24', '30', '38', '40', '47', '49', '55', '60', '66', '70', '72', '80', '84', '90', '91', '99']) {
      assert.equal(reasonOf(withCheck(`${prefix}010519491231002`)), 'REGION', prefix);
    }
  });

  it('BIRTH_DATE for impossible dates and dates before 1900', () => {
    const bodies = [
      '11010519490230002', // Feb 30
      '11010520230229002', // 2023 is not a leap year
      '11010519000229002', // 1900 is not a leap year
      '11010521000229002', // 2100 is not (and in the future anyway)
      '11010519491301002', // month 13
      '11010519490001002', // month 0
      '11010519490100002', // day 0
      '11010519490132002', // Jan 32
      '11010519490431002', // Apr 31
      '11010518991231002', // before 1900-01-01
      '11010500000101002',
    ];
    for (const body of bodies) {
      assert.equal(reasonOf(withCheck(body)), 'BIRTH_DATE', body);
    }
  });

  it('leap days: valid in 2000, 2024 and 1996, not in 1900 or 2023', () => {
    assert.equal(reasonOf(withCheck('11010520000229001')), 'OK');
    assert.equal(reasonOf(withCheck('11010520240229001')), 'OK');
    assert.equal(reasonOf(withCheck('11010519960229001')), 'OK');
    assert.equal(reasonOf(withCheck('11010519000229001')), 'BIRTH_DATE');
    assert.equal(reasonOf(withCheck('11010520230229001')), 'BIRTH_DATE');
  });

  it('BIRTH_DATE_FUTURE for dates after today in China', () => {
    assert.equal(reasonOf(withCheck('11010520250602001')), 'BIRTH_DATE_FUTURE');
    assert.equal(reasonOf(withCheck('11010530000101001')), 'BIRTH_DATE_FUTURE');
    assert.equal(reasonOf(withCheck('11010520250601001')), 'OK');
    // the default "now" is the real clock
    assert.equal(parseResidentId(withCheck('11010599991231001')).ok, false);
  });

  it('CHECKSUM: 110105194912310021 and every other wrong check character', () => {
    assert.equal(reasonOf('110105194912310021'), 'CHECKSUM');
    for (const wrong of '0123456789') {
      assert.equal(reasonOf(`11010519491231002${wrong}`), 'CHECKSUM', wrong);
    }
    assert.equal(reasonOf('440300199001011237'), 'CHECKSUM');
    // MOD 11-2 detects a transposition of adjacent digits (002 → 020)
    assert.equal(reasonOf('11010519491231020X'), 'CHECKSUM');
  });

  it('reports the reasons in a fixed order (region before date before checksum)', () => {
    assert.equal(reasonOf('990105194902300021'), 'REGION');
    assert.equal(reasonOf('110105194902300021'), 'BIRTH_DATE');
    assert.equal(reasonOf('110105209902300021'), 'BIRTH_DATE');
    assert.equal(reasonOf('110105209901010021'), 'BIRTH_DATE_FUTURE');
  });
});

describe('ID-2 generateResidentId', () => {
  it('generates numbers that parse back to the requested fields', () => {
    const provinces = [...PROVINCE_CODES];
    let seed = 7;
    const next = (modulo: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % modulo;
    };
    for (let n = 0; n < 1000; n += 1) {
      const region = provinces[next(provinces.length)] + String(next(10000)).padStart(4, '0');
      const birth = new Date(Date.UTC(1900, 0, 1) + next(45_000) * 86_400_000);
      const birthDate = birth.toISOString().slice(0, 10);
      const sequence = next(1000);
      const number = generateResidentId({ region, birthDate, sequence });
      const result = parseResidentId(number, NOW);
      assert.ok(result.ok, number);
      assert.equal(result.value.regionCode, region);
      assert.equal(result.value.birthDate, birthDate);
      assert.equal(result.value.gender, sequence % 2 === 1 ? 'male' : 'female');
      assert.equal(number.slice(14, 17), String(sequence).padStart(3, '0'));
    }
  });

  it('uses the defaults region 110105, 1990-01-01 and a sequence matching the gender', () => {
    assert.equal(generateResidentId(), withCheck('11010519900101001'));
    assert.equal(generateResidentId({ gender: 'female' }), withCheck('11010519900101002'));
    assert.equal(generateResidentId({ birthDate: '1949-12-31', sequence: 2 }), '11010519491231002X');
    assert.equal(generateResidentId({ birthDate: new Date(Date.UTC(1949, 11, 31)), sequence: 2 }), '11010519491231002X');
  });

  it('can generate future-dated numbers for tests, which the parser refuses', () => {
    const future = generateResidentId({ birthDate: '2030-01-01' });
    assert.equal(reasonOf(future), 'BIRTH_DATE_FUTURE');
  });

  it('refuses inconsistent or impossible options', () => {
    assert.throws(() => generateResidentId({ region: '990105' }), RangeError);
    assert.throws(() => generateResidentId({ region: '11010' }), RangeError);
    assert.throws(() => generateResidentId({ birthDate: '2023-02-29' }), RangeError);
    assert.throws(() => generateResidentId({ birthDate: '1899-12-31' }), RangeError);
    assert.throws(() => generateResidentId({ birthDate: '1990/01/01' }), RangeError);
    assert.throws(() => generateResidentId({ birthDate: new Date(Number.NaN) }), RangeError);
    assert.throws(() => generateResidentId({ sequence: 1000 }), RangeError);
    assert.throws(() => generateResidentId({ sequence: -1 }), RangeError);
    assert.throws(() => generateResidentId({ sequence: 1.5 }), RangeError);
    assert.throws(() => generateResidentId({ sequence: 3, gender: 'female' }), RangeError);
    assert.throws(() => generateResidentId({ sequence: 4, gender: 'male' }), RangeError);
  });
});

describe('ID-2 maskResidentId', () => {
  it('keeps the first 3 and last 2 characters and the length', () => {
    assert.equal(maskResidentId('11010519491231002X'), '110*************2X');
    assert.equal(maskResidentId('11010519491231002x'), '110*************2X');
    assert.equal(maskResidentId('110105491231002'), '110**********02');
    assert.equal(maskResidentId(' 440300199001011238 ').length, 18);
  });

  it('never reveals the birth date or sequence', () => {
    const masked = maskResidentId('440300199001011238');
    assert.ok(!masked.includes('1990'));
    assert.ok(!masked.includes('0101'));
    assert.match(masked, /^440\*{13}38$/);
  });

  it('masks short values completely', () => {
    assert.equal(maskResidentId('12345'), '*****');
    assert.equal(maskResidentId(''), '');
    assert.equal(maskResidentId(undefined as unknown as string), '');
  });
});
