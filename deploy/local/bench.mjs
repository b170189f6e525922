#!/usr/bin/env node
// `npm run bench:<name>`: builds, then runs dist/bench/<name>.bench.js, which prints its figures
// and the reference it measured in the same run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, run } from './build.mjs';
import { repoRoot } from './infra/paths.mjs';
import { NODE_FLAGS } from './services.mjs';

const name = process.argv[2];
if (!name || !/^[a-z-]+$/.test(name)) {
  process.stderr.write('usage: node deploy/local/bench.mjs <name>\n');
  process.exit(2);
}
await build();
/** Extra Node flags of the benchmark's process, e.g. BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const benchFlags = [...NODE_FLAGS, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
const entry = join(repoRoot, 'dist', 'bench', `${name}.bench.js`);
if (!existsSync(entry)) {
  process.stderr.write(`no benchmark ${name} (${entry})\n`);
  process.exit(2);
}
/** Benchmarks that need the engines: they get their own database and the test-style environment. */
const NEEDS_INFRA = new Set(['inbox', 'projection', 'payment-deadlines']);
/** Benchmarks that drive the whole platform (every service and the gateway as processes) on a database of their own. */
const NEEDS_PLATFORM = new Set(['registration', 'certification']);
if (NEEDS_PLATFORM.has(name)) {
  const { startInfra } = await import('./infra/index.mjs');
  const { startPlatform } = await import('./platform.mjs');
  const { ensurePgbench } = await import('./infra/pgbench.mjs');
  const database = 'certhub_bench_platform';
  const infra = await startInfra({ databases: [database], handleSignals: false });
  let platform;
  try {
    platform = await startPlatform({ infra, database, profile: 'embedded' });
    const pgbench = ensurePgbench();
    await run(process.execPath, [...benchFlags, entry], {
      env: {
        ...process.env,
        CERTHUB_BENCH_GATEWAY_URL: platform.gatewayUrl,
        CERTHUB_BENCH_DATABASE_URL: platform.databaseUrl,
        CERTHUB_BENCH_TEMPORAL_ADDRESS: infra.temporal.address,
        CERTHUB_BENCH_KAFKA_BROKERS: infra.kafka.brokers.join(','),
        CERTHUB_BENCH_WORKBENCH_URL: platform.env.WORKBENCH_SERVICE_URL,
        // Every service's and the gateway's own address (their /internal/runtime figures).
        CERTHUB_BENCH_SERVICE_URLS: JSON.stringify({
          ...Object.fromEntries(Object.entries(platform.env).filter(([k]) => k.endsWith('_SERVICE_URL')).map(([k, v]) => [k.slice(0, -'_SERVICE_URL'.length).toLowerCase(), v])),
          gateway: platform.gatewayUrl,
        }),
        CERTHUB_BENCH_JWT_SECRET: platform.secrets.jwtSecret,
        CERTHUB_BENCH_ADMIN_PASSWORD: platform.secrets.adminPassword,
        CERTHUB_BENCH_PGBENCH: pgbench.bin,
        CERTHUB_BENCH_PGBENCH_ENV: JSON.stringify(pgbench.env),
        CERTHUB_BENCH_SERVICE_PIDS: JSON.stringify(Object.fromEntries(platform.services.map((s) => [s.name, s.child?.pid ?? null]))),
        CERTHUB_REPO_ROOT: repoRoot,
      },
    });
  } finally {
    await platform?.stop();
    await infra.stop();
  }
} else if (!NEEDS_INFRA.has(name)) {
  await run(process.execPath, [...benchFlags, entry]);
} else {
  const { startInfra } = await import('./infra/index.mjs');
  const { ensureTemporalBinaries } = await import('./infra/temporal.mjs');
  const { platformSecrets } = await import('./platform.mjs');
  const { migrateAll } = await import('./db.mjs');
  const infra = await startInfra({ databases: ['certhub_bench'], handleSignals: false });
  try {
    const { testServer } = await ensureTemporalBinaries();
    const databaseUrl = infra.postgres.url('certhub_bench');
    await migrateAll(databaseUrl);
    await run(process.execPath, [...benchFlags, entry], {
      env: {
        ...process.env,
        CERTHUB_PROFILE: 'test',
        CERTHUB_TEST_DATABASE_URL: databaseUrl,
        CERTHUB_TEST_KAFKA_BROKERS: infra.kafka.brokers.join(','),
        CERTHUB_TEST_TEMPORAL_ADDRESS: infra.temporal.address,
        CERTHUB_TEST_TEMPORAL_NAMESPACE: 'certhub-test',
        CERTHUB_TEST_TEMPORAL_TEST_SERVER: testServer,
        CERTHUB_TEST_JWT_SECRET: platformSecrets().jwtSecret,
        CERTHUB_REPO_ROOT: repoRoot,
      },
    });
  } finally {
    await infra.stop();
  }
}
