import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed provider notification. */
export const NOTIFY_HEADERS = {
  timestamp: 'x-sandbox-timestamp',
  nonce: 'x-sandbox-nonce',
  signature: 'x-sandbox-signature',
} as const;

/** HMAC-SHA256 over `timestamp\nnonce\nbody`, hex. */
export function signNotification(secret: string, timestamp: string, nonce: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${nonce}\n${body}`).digest('hex');
}

export function signatureMatches(secret: string, timestamp: string, nonce: string, body: string, given: string): boolean {
  const expected = Buffer.from(signNotification(secret, timestamp, nonce, body), 'hex');
  const actual = /^[0-9a-f]{64}$/.test(given) ? Buffer.from(given, 'hex') : Buffer.alloc(0);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The body of a sandbox payment notification. */
export interface SandboxNotifyBody {
  paymentId: string;
  tradeNo: string;
  status: 'paid';
  amountFen: number;
  paidAt: string;
}
