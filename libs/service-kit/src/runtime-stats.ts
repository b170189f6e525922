import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';

/** Lateness of a 20 ms tick in microseconds: a request arriving at a random moment waits about as long. */
let histogram: RecordableHistogram | undefined;
let since = new Date();
const TICK_MS = 20;

const ms = (us: number) => Math.round(us / 10) / 100;

/** A lateness histogram (µs) in milliseconds, two decimals: as `/internal/runtime` answers it. */
export function latenessMs(h: RecordableHistogram): { p50: number; p99: number; max: number; mean: number; samples: number } {
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean), samples: h.count };
}

/**
 * How late the event loop runs a `tickMs` tick, in microseconds, from now until `stop()`: the wait
 * a request arriving at a random moment shares, whatever its own work.
 */
export function tickLateness(tickMs = TICK_MS): { histogram: RecordableHistogram; stop(): void } {
  const h = createHistogram();
  let expected = performance.now() + tickMs;
  const timer = setInterval(() => {
    const now = performance.now();
    h.record(Math.max(1, Math.round((now - expected) * 1000)));
    expected = now + tickMs;
  }, tickMs).unref();
  return { histogram: h, stop: () => clearInterval(timer) };
}
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Did the request come from this machine (operator endpoints answer nobody else)? */
export function fromLoopback(req: { socket: { remoteAddress?: string } }): boolean {
  return LOOPBACK.has(req.socket.remoteAddress ?? '');
}

/**
 * `GET /internal/runtime` (loopback only, never routed by the gateway): how long the event loop
 * was late since the last reset — the wait every request of this process shares, whatever its
 * own work — with the process's CPU time; `POST /internal/runtime/reset` starts a new period.
 * Benchmarks read it per service to tell a busy process from a slow handler.
 */
export function mountRuntimeStats(fastify: FastifyInstance): void {
  histogram ??= tickLateness().histogram;
  const h = histogram;
  fastify.get('/internal/runtime', async (req, reply) => {
    if (!fromLoopback(req)) return reply.status(404).send();
    const cpu = process.cpuUsage();
    return {
      since: since.toISOString(),
      eventLoopDelayMs: latenessMs(h),
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      rssMiB: Math.round(process.memoryUsage.rss() / 1048576),
    };
  });
  fastify.post('/internal/runtime/reset', async (req, reply) => {
    if (!fromLoopback(req)) return reply.status(404).send();
    h.reset();
    since = new Date();
    return { since: since.toISOString() };
  });
}
