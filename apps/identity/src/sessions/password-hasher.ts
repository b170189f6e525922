import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

function scryptAsync(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Slow password hashing with scrypt (memory-hard). Stored as
 * `scrypt$<cost>$<r>$<p>$<salt b64>$<hash b64>` so the cost can rise without breaking old hashes.
 */
export class PasswordHasher {
  constructor(private readonly cost: number) {}

  async hash(secret: string): Promise<string> {
    const salt = randomBytes(16);
    const N = 2 ** this.cost;
    const key = await scryptAsync(secret.normalize('NFKC'), salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
    return `scrypt$${this.cost}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(secret: string, stored: string): Promise<boolean> {
    const [scheme, cost, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !cost || !r || !p || !salt || !hash) return false;
    const N = 2 ** Number(cost);
    const expected = Buffer.from(hash, 'base64');
    const key = await scryptAsync(secret.normalize('NFKC'), Buffer.from(salt, 'base64'), expected.length, {
      N,
      r: Number(r),
      p: Number(p),
      maxmem: 256 * N * Number(r),
    });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  /** A hash of a random secret: lets a login for an unknown user cost as much as a real one. */
  dummyHash?: Promise<string>;
  async burn(secret: string): Promise<void> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex'));
    await this.verify(secret, await this.dummyHash);
  }
}

export const PASSWORD_RULE = /^(?=.*[A-Za-z])(?=.*\d)[\x21-\x7e]{8,64}$/;
