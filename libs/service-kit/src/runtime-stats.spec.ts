import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { mountRuntimeStats, tickLateness } from './runtime-stats';

describe('/internal/runtime: event-loop delay and CPU of the process', () => {
  it('answers loopback callers with the delay since the last reset, strangers with 404', async () => {
    const app = Fastify();
    mountRuntimeStats(app);
    await app.ready();
    try {
      const reset = await app.inject({ method: 'POST', url: '/internal/runtime/reset', remoteAddress: '127.0.0.1' });
      assert.equal(reset.statusCode, 200);
      const since = (reset.json() as { since: string }).since;
      // Block the loop for ~120 ms: the histogram must see it.
      const until = Date.now() + 120;
      while (Date.now() < until) {
        /* busy */
      }
      await new Promise((resolve) => setTimeout(resolve, 60));
      const res = await app.inject({ method: 'GET', url: '/internal/runtime', remoteAddress: '127.0.0.1' });
      assert.equal(res.statusCode, 200);
      const body = res.json() as { since: string; eventLoopDelayMs: { max: number; p50: number }; cpuSeconds: number; rssMiB: number };
      assert.equal(body.since, since);
      assert.ok(body.eventLoopDelayMs.max >= 80, `max delay ${body.eventLoopDelayMs.max} ms after a 120 ms block`);
      assert.ok(body.cpuSeconds > 0 && body.rssMiB > 0);
      for (const [method, url] of [['GET', '/internal/runtime'], ['POST', '/internal/runtime/reset']] as const) {
        const foreign = await app.inject({ method, url, remoteAddress: '10.1.2.3' });
        assert.equal(foreign.statusCode, 404, `${method} ${url} from elsewhere`);
      }
    } finally {
      await app.close();
    }
  });

  it('tickLateness: a block shows as the lateness of the tick it held up; nothing is recorded after stop()', async () => {
    const lateness = tickLateness(10);
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await wait(50);
    const until = Date.now() + 80;
    while (Date.now() < until) {
      /* busy */
    }
    await wait(30);
    lateness.stop();
    const { histogram } = lateness;
    assert.ok(histogram.max >= 60_000, `max lateness ${histogram.max} µs after an 80 ms block`);
    assert.ok(histogram.percentile(50) < 60_000, 'the ticks before the block were on time');
    const count = histogram.count;
    await wait(50);
    assert.equal(histogram.count, count, 'stopped');
  });
});
