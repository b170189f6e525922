/**
 * Personal data never reaches a log line (SPEC X-4): values under sensitive keys are
 * replaced, and document numbers, mobile phones and e-mail addresses are masked wherever
 * they appear inside strings.
 */
const SECRET_KEYS = new Set([
  'password',
  'newpassword',
  'oldpassword',
  'passwordhash',
  'answer',
  'recoveryanswer',
  'smscode',
  'captchatext',
  'accesstoken',
  'refreshtoken',
  'authorization',
  'cookie',
  'setcookie',
  'secret',
  'token',
]);
const PERSONAL_KEYS = new Set(['idnumber', 'phone', 'newphone', 'mobile', 'email', 'photo', 'image', 'proof']);

/** 18-character (last may be X) and legacy 15-digit resident ID numbers. */
const RESIDENT_ID = /(?<![0-9A-Za-z])(\d{3})(?:\d{13}|\d{10})(\d[0-9Xx])(?![0-9A-Za-z])/g;
const MOBILE = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

export function maskString(value: string): string {
  return value
    .replace(RESIDENT_ID, (_m, head: string, tail: string) => `${head}${'*'.repeat(_m.length - head.length - tail.length)}${tail}`)
    .replace(MOBILE, '$1****$2')
    .replace(EMAIL, '$1***@$2');
}

function maskPersonalValue(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length <= 4) return '****';
    return `${value.slice(0, 2)}${'*'.repeat(Math.max(4, value.length - 4))}${value.slice(-2)}`;
  }
  return '[masked]';
}

export function maskPersonalData(value: unknown, depth = 0, key?: string): unknown {
  if (key) {
    const k = key.toLowerCase().replace(/[-_]/g, '');
    if (SECRET_KEYS.has(k)) return '[redacted]';
    if (PERSONAL_KEYS.has(k)) return maskPersonalValue(value);
  }
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return maskString(value);
  if (typeof value !== 'object') return value;
  if (depth > 6) return '[deep]';
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (value instanceof Error) {
    return {
      name: value.name,
      message: maskString(value.message),
      stack: value.stack ? maskString(value.stack) : undefined,
      ...(value.cause !== undefined ? { cause: maskPersonalData(value.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => maskPersonalData(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = maskPersonalData(v, depth + 1, k);
  return out;
}
