import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from './rate-limiter';

/** A fixed clock far in the past, so the sweep (driven by the wall clock at construction) never runs. */
const T0 = 1_000_000;

describe('RateLimiter: burst then refusal', () => {
  it('allows `burst` requests at once and refuses the next with a retry-after in seconds', () => {
    const limiter = new RateLimiter(60, 3);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => limiter.take('10.0.0.1', T0)),
      [0, 0, 0, 1, 1],
    );
  });

  it('retry-after is the whole seconds until one token has refilled', () => {
    // 6 per minute: one token every 10 s
    const limiter = new RateLimiter(6, 2);
    assert.equal(limiter.take('c', T0), 0);
    assert.equal(limiter.take('c', T0), 0);
    assert.equal(limiter.take('c', T0), 10);
    assert.equal(limiter.take('c', T0 + 4_000), 6);
    assert.equal(limiter.take('c', T0 + 9_000), 1);
  });

  it('retry-after is at least 1 second, even a millisecond before the next token', () => {
    const limiter = new RateLimiter(6, 1);
    limiter.take('c', T0);
    assert.equal(limiter.take('c', T0 + 9_999), 1);
  });

  it('with 1 request per minute, retry-after counts down from 60', () => {
    const limiter = new RateLimiter(1, 1);
    assert.equal(limiter.take('c', T0), 0);
    assert.equal(limiter.take('c', T0), 60);
    assert.equal(limiter.take('c', T0 + 30_000), 30);
    assert.equal(limiter.take('c', T0 + 60_000), 0);
  });

  it('the default gateway limits allow exactly 100 requests in a burst', () => {
    const limiter = new RateLimiter(600, 100);
    let allowed = 0;
    while (limiter.take('c', T0) === 0) allowed += 1;
    assert.equal(allowed, 100);
  });
});

describe('RateLimiter: refill over time', () => {
  it('refills continuously at perMinute / 60 000 tokens per millisecond', () => {
    const limiter = new RateLimiter(60, 3); // 1 token per second
    for (let i = 0; i < 3; i += 1) limiter.take('c', T0);
    assert.equal(limiter.take('c', T0 + 999), 1, 'not yet a whole token');
    assert.equal(limiter.take('c', T0 + 1_000), 0, 'one token after a second');
    assert.equal(limiter.take('c', T0 + 1_000), 1, 'and only one');
  });

  it('refills to at most `burst` tokens however long the client was idle', () => {
    const limiter = new RateLimiter(60, 3);
    for (let i = 0; i < 3; i += 1) limiter.take('c', T0);
    const later = T0 + 3_600_000;
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('c', later)),
      [0, 0, 0, 1],
    );
  });

  it('a refused request does not cost a token', () => {
    const limiter = new RateLimiter(60, 1);
    limiter.take('c', T0);
    for (let i = 0; i < 10; i += 1) assert.equal(limiter.take('c', T0 + 500), 1);
    assert.equal(limiter.take('c', T0 + 1_000), 0);
  });

  it('sustains exactly perMinute requests per minute after the burst', () => {
    const limiter = new RateLimiter(120, 1); // one token every 500 ms
    let allowed = 0;
    for (let t = 0; t <= 60_000; t += 100) if (limiter.take('c', T0 + t) === 0) allowed += 1;
    assert.equal(allowed, 121); // the initial token, then one every 500 ms for 60 s
  });
});

describe('RateLimiter: clients are isolated', () => {
  it('one client exhausting its bucket does not affect another', () => {
    const limiter = new RateLimiter(60, 2);
    assert.equal(limiter.take('10.0.0.1', T0), 0);
    assert.equal(limiter.take('10.0.0.1', T0), 0);
    assert.equal(limiter.take('10.0.0.1', T0), 1);
    assert.equal(limiter.take('10.0.0.2', T0), 0);
    assert.equal(limiter.take('10.0.0.2', T0), 0);
    assert.equal(limiter.take('10.0.0.2', T0), 1);
    assert.equal(limiter.take('::1', T0), 0);
  });

  it('two limiters do not share buckets', () => {
    const a = new RateLimiter(60, 1);
    const b = new RateLimiter(60, 1);
    assert.equal(a.take('c', T0), 0);
    assert.equal(b.take('c', T0), 0);
    assert.equal(a.take('c', T0), 1);
  });
});

describe('RateLimiter: memory', () => {
  it('sweeps buckets idle longer than a full refill, at most once a minute', () => {
    const base = Date.now();
    const limiter = new RateLimiter(60, 3); // full refill after 3 s
    const buckets = (limiter as unknown as { buckets: Map<string, unknown> }).buckets;
    limiter.take('a', base);
    limiter.take('b', base);
    assert.equal(buckets.size, 2);
    limiter.take('c', base + 120_000);
    assert.deepEqual([...buckets.keys()], ['c']);
    // a swept client starts again with a full bucket
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('a', base + 120_000)),
      [0, 0, 0, 1],
    );
  });
});
