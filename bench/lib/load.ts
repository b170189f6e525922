/**
 * HTTP load for the benchmarks: a closed loop (a fixed number of clients, each sending its next
 * request when the previous answered) and an open loop (requests started at a fixed rate whether
 * or not earlier ones answered — what a crowd at registration opening does). Each request's
 * latency is recorded with its status; 429s are counted apart from admitted requests.
 */
import { performance } from 'node:perf_hooks';

export interface Outcome {
  status: number;
  /** Milliseconds from sending to the complete answer. */
  ms: number;
}

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  sent: number;
  seconds: number;
  byStatus: Record<string, number>;
  /** Answers other than 429 (and other than transport errors). */
  admitted: Latency;
  refused: Latency;
  /** Answers with a 2xx status per second of the run. */
  goodputPerSecond: number;
  /** Transport errors (no HTTP answer), counted under status 0. */
  errors: number;
}

export function latency(samples: number[]): Latency {
  if (samples.length === 0) return { n: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: sorted.length, p50: r(q(50)), p95: r(q(95)), p99: r(q(99)), max: r(sorted[sorted.length - 1]!) };
}

function summarise(outcomes: Outcome[], seconds: number): LoadResult {
  const byStatus: Record<string, number> = {};
  const admitted: number[] = [];
  const refused: number[] = [];
  let ok = 0;
  let errors = 0;
  for (const o of outcomes) {
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    if (o.status === 0) errors += 1;
    else if (o.status === 429) refused.push(o.ms);
    else admitted.push(o.ms);
    if (o.status >= 200 && o.status < 300) ok += 1;
  }
  return {
    sent: outcomes.length,
    seconds: Math.round(seconds * 1000) / 1000,
    byStatus,
    admitted: latency(admitted),
    refused: latency(refused),
    goodputPerSecond: Math.round((ok / seconds) * 10) / 10,
    errors,
  };
}

async function timed(send: () => Promise<number>): Promise<Outcome> {
  const t = performance.now();
  let status: number;
  try {
    status = await send();
  } catch {
    status = 0;
  }
  return { status, ms: performance.now() - t };
}

/** `clients` loops sending requests `0 … total-1` between them; resolves when all answered. */
export async function closedLoop(clients: number, total: number, send: (i: number) => Promise<number>): Promise<LoadResult> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(clients, total) }, async () => {
      while (next < total) {
        const i = next++;
        outcomes.push(await timed(() => send(i)));
      }
    }),
  );
  return summarise(outcomes, (performance.now() - started) / 1000);
}

/**
 * Starts request `i` at `i / ratePerSecond` seconds after the start (catching up in small bursts
 * when the timer is late), `total` requests in all; resolves when all answered.
 */
export async function openLoop(ratePerSecond: number, total: number, send: (i: number) => Promise<number>): Promise<LoadResult> {
  const outcomes: Array<Promise<Outcome>> = [];
  const started = performance.now();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerSecond) + 1);
    while (i < due) {
      const n = i++;
      outcomes.push(timed(() => send(n)));
    }
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(1, Math.min(10, 1000 / ratePerSecond))));
  }
  const all = await Promise.all(outcomes);
  return summarise(all, (performance.now() - started) / 1000);
}
