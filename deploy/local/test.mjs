#!/usr/bin/env node
// `npm test`: builds, starts (or reuses) the embedded PostgreSQL, Kafka and Temporal, runs
// every unit and integration test with Node's test runner, and stops what it started.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from './build.mjs';
import { repoRoot } from './infra/paths.mjs';

function findTests(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'workflow-bundles') findTests(p, out);
    } else if (/\.(int-)?spec\.js$/.test(entry.name)) {
      // Only tests whose source still exists: tsc leaves the outputs of deleted files behind.
      const source = join(repoRoot, relative(join(repoRoot, 'dist'), p)).replace(/\.js$/, '.ts');
      if (existsSync(source)) out.push(p);
    }
  }
  return out;
}

async function main() {
  const filter = process.argv.slice(2);
  await build();
  if (filter.length === 0) {
    // Lint is part of the test run: boundaries and the ban on focused tests hold on every change.
    const { run } = await import('./build.mjs');
    process.stderr.write('[test] lint\n');
    await run(process.execPath, [join(repoRoot, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.']);
  }
  const { startInfra } = await import('./infra/index.mjs');
  const { ensureTemporalBinaries } = await import('./infra/temporal.mjs');
  const { platformSecrets } = await import('./platform.mjs');
  const { migrateAll } = await import('./db.mjs');
  // Tests wait on workflows with deadlines of their own: the Temporal server they start keeps the
  // normal CPU priority (ADR 0015 lowers it for npm start and the benchmarks).
  process.env.CERTHUB_TEMPORAL_NICE ??= '0';
  const infra = await startInfra({ databases: ['certhub_test'], handleSignals: false });
  let code = 1;
  try {
    const { testServer } = await ensureTemporalBinaries();
    const databaseUrl = infra.postgres.url('certhub_test');
    await migrateAll(databaseUrl);
    const all = findTests(join(repoRoot, 'dist')).sort();
    // Unit tests first (fast feedback), then integration tests.
    const files = [...all.filter((f) => !f.endsWith('.int-spec.js')), ...all.filter((f) => f.endsWith('.int-spec.js'))].filter(
      (f) => filter.length === 0 || filter.some((x) => relative(repoRoot, f).includes(x)),
    );
    if (files.length === 0) throw new Error('no test files found');
    const env = {
      ...process.env,
      CERTHUB_PROFILE: 'test',
      CERTHUB_TEST_DATABASE_URL: databaseUrl,
      CERTHUB_TEST_KAFKA_BROKERS: infra.kafka.brokers.join(','),
      CERTHUB_TEST_TEMPORAL_ADDRESS: infra.temporal.address,
      // Test workflows stay out of the platform's namespace (and its Temporal UI).
      CERTHUB_TEST_TEMPORAL_NAMESPACE: 'certhub-test',
      CERTHUB_TEST_TEMPORAL_TEST_SERVER: testServer,
      CERTHUB_TEST_JWT_SECRET: platformSecrets().jwtSecret,
      CERTHUB_REPO_ROOT: repoRoot,
    };
    const args = ['--enable-source-maps', '--test', '--test-concurrency=1', '--test-timeout=180000', '--test-reporter=spec', ...files];
    process.stderr.write(`[test] running ${files.length} test files\n`);
    code = await new Promise((resolve) => {
      const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: 'inherit' });
      // A hung test file must not hold CI until its limit: stop the run after a generous bound.
      const watchdog = setTimeout(() => {
        process.stderr.write('[test] the test run exceeded 45 minutes; stopping it\n');
        child.kill('SIGKILL');
      }, Number(process.env.CERTHUB_TEST_TIMEOUT_MS ?? 45 * 60_000));
      watchdog.unref();
      const forward = (sig) => child.kill(sig);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
    });
  } finally {
    await infra.stop();
  }
  process.exit(code);
}

main().catch((err) => {
  process.stderr.write(`[test] ${err.stack ?? err}\n`);
  process.exit(1);
});
