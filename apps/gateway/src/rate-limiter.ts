/**
 * Token buckets per client: `perMinute` tokens refill continuously up to `burst`.
 * Memory is bounded: idle buckets are swept.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refillPerMs: number;
  private lastSweep = Date.now();

  constructor(
    perMinute: number,
    private readonly burst: number,
  ) {
    this.refillPerMs = perMinute / 60000;
  }

  /** Takes a token for the client; returns 0 when allowed, else the seconds until one is available. */
  take(client: string, now = Date.now()): number {
    this.sweep(now);
    const bucket = this.buckets.get(client) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.refillPerMs);
    bucket.at = now;
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000));
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60000) return;
    this.lastSweep = now;
    const idleMs = this.burst / this.refillPerMs;
    for (const [key, bucket] of this.buckets) if (now - bucket.at > idleMs) this.buckets.delete(key);
  }
}
