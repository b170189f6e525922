/**
 * GB 11643-1999 check character: ISO 7064 MOD 11-2.
 *
 * Position i (1-based, from the left) of the 17 body digits carries the weight
 * W(i) = 2^(18 - i) mod 11. With S = Σ a(i) · W(i), the check character is
 * `10X98765432`[S mod 11]. Equivalently: with the check character counted as 10
 * when it is `X` and weight 2^0 = 1, the weighted sum of all 18 characters is
 * congruent to 1 modulo 11.
 */

/** W(1) … W(17) = 2^17 … 2^1 mod 11. */
export const CHECK_WEIGHTS: readonly number[] = Object.freeze(
  Array.from({ length: 17 }, (_unused, index) => modPow2(17 - index, 11)),
);

/** Check character for each value of S mod 11. */
const CHECK_CHARACTERS = '10X98765432';

const SEVENTEEN_DIGITS = /^\d{17}$/;

function modPow2(exponent: number, modulus: number): number {
  let result = 1;
  for (let step = 0; step < exponent; step += 1) {
    result = (result * 2) % modulus;
  }
  return result;
}

/**
 * Computes the 18th character of a resident ID number from its first 17 digits.
 * @throws RangeError when `first17` is not exactly 17 ASCII digits.
 */
export function computeCheckCharacter(first17: string): string {
  if (typeof first17 !== 'string' || !SEVENTEEN_DIGITS.test(first17)) {
    throw new RangeError('computeCheckCharacter expects exactly 17 digits');
  }
  let sum = 0;
  for (let index = 0; index < 17; index += 1) {
    sum += (first17.charCodeAt(index) - 48) * CHECK_WEIGHTS[index];
  }
  return CHECK_CHARACTERS[sum % 11];
}
