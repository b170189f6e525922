/**
 * The my-items projection alone (the second phase of `npm run bench:inbox`, without seeding the
 * inbox tables):
 *
 *   npm run bench:projection   (starts the engines, uses its own database `certhub_bench`)
 *
 * Environment: BENCH_EVENTS (default 100000 cases, 150000 events), BENCH_LAG_EVENTS, BENCH_LAG_RATE.
 * Prints the projection's events per second, the bare KafkaJS consumer's on the same topic in the
 * same run, their ratio, and the event → visible lag; then one JSON line.
 */
import { WorkbenchHarness } from '../apps/workbench/src/testing/workbench-harness';
import { projectionBench } from './case-projection-phase';

async function main(): Promise<void> {
  const h = await WorkbenchHarness.start({ RUN_WORKER: 'false', RUN_PROJECTION: 'false', LOG_LEVEL: 'error' });
  try {
    const p = await projectionBench(h.dataSource);
    process.stdout.write(
      `\nprojection: ${p.projection.perSecond} events/s vs bare KafkaJS ${p.bare.perSecond} events/s → ratio ${p.ratio} (goal ≥ 0.5)\n` +
        `lag event → visible: p50 ${p.lag.p50} ms, p99 ${p.lag.p99} ms, max ${p.lag.max} ms over ${p.lag.events} events (goal p99 ≤ 2000 ms)\n`,
    );
    process.stdout.write(`${JSON.stringify({ bench: 'projection', ...p })}\n`);
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
