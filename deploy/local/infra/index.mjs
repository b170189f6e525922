#!/usr/bin/env node
// The embedded default: PostgreSQL, the Temporal dev server and a single-node
// Kafka, on loopback, data under <repo>/.data (see ARCHITECTURE.md §2).
//
//   node deploy/local/infra/index.mjs up       start all three, stay in the foreground
//   node deploy/local/infra/index.mjs status   which of them answer
//
// As a library: `const infra = await startInfra(); ...; await infra.stop();`
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafkaJars, startKafka } from './kafka.mjs';
import { cacheDir, dataDir as defaultDataDir, log, ports as defaultPorts, repoRoot } from './paths.mjs';
import { readPostgresCredentials, startPostgres } from './postgres.mjs';
import { elapsed, liveDaemons, portAnswers } from './proc.mjs';
import { ensureTemporalBinaries, startTemporal, temporalHealth } from './temporal.mjs';

export const DEFAULT_SEARCH_ATTRIBUTES = Object.freeze({
  BusinessNo: 'Keyword',
  CaseType: 'Keyword',
  CaseStage: 'Keyword',
  CaseStatus: 'Keyword',
});

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Starts (or reuses) PostgreSQL, Temporal and Kafka in parallel.
 * `dataDir` and `ports` (partial overrides) default to paths.mjs (env CERTHUB_DATA_DIR, CERTHUB_*_PORT).
 * Returns `{ postgres, temporal, kafka, stop() }`. stop() stops, in reverse
 * order (Kafka, Temporal, Postgres), only what this call started; it is
 * idempotent. Unless `handleSignals: false`, SIGINT/SIGTERM/SIGHUP of this
 * process stop them too (and then the signal's default action resumes when
 * nobody else listens for it).
 */
export async function startInfra({
  databases = ['certhub'],
  searchAttributes = DEFAULT_SEARCH_ATTRIBUTES,
  dataDir = defaultDataDir,
  ports: portOverrides = {},
  handleSignals = true,
} = {}) {
  const t0 = performance.now();
  const ports = { ...defaultPorts, ...portOverrides };
  const abort = new AbortController();
  const { signal } = abort;
  const parts = {}; // name -> handle, filled as each part comes up

  const track = (name, promise) =>
    promise.then((h) => {
      parts[name] = h;
      return h;
    });

  // Tools and servers of the three parts proceed independently, so the pip
  // and Maven downloads overlap each other and the Postgres start.
  const pending = [
    track('postgres', startPostgres({ port: ports.postgres, dataDir, databases, signal })),
    track(
      'temporal',
      startTemporal({ port: ports.temporal, uiPort: ports.temporalUi, dataDir, searchAttributes, signal }),
    ),
    track(
      'kafka',
      startKafka({ port: ports.kafka, controllerPort: ports.kafkaController, dataDir, signal }),
    ),
  ];

  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      abort.abort();
      await Promise.allSettled(pending); // parts still starting clean up after themselves
      for (const name of ['kafka', 'temporal', 'postgres']) {
        const h = parts[name];
        if (!h?.started) continue;
        const ts = performance.now();
        try {
          await h.stop();
          log(name, `stopped in ${elapsed(ts)}`);
        } catch (e) {
          log(name, `stop failed: ${e.message}`);
        }
      }
      uninstallSignals();
    })();
    return stopping;
  };

  let forced = false;
  const onSignal = async (sig) => {
    if (stopping) {
      if (forced) return;
      forced = true;
      log('infra', `${sig} again: killing what is left`);
      for (const d of liveDaemons()) {
        try {
          process.kill(-d.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      process.exit(128 + (os.constants.signals[sig] ?? 2));
    }
    log('infra', `${sig}: stopping what was started`);
    await stop();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig); // default action
  };
  const listeners = new Map(SIGNALS.map((s) => [s, () => onSignal(s)]));
  function uninstallSignals() {
    for (const [s, fn] of listeners) process.removeListener(s, fn);
  }
  if (handleSignals) for (const [s, fn] of listeners) process.on(s, fn);

  const results = await Promise.allSettled(pending);
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length) {
    const interrupted = Boolean(stopping);
    await stop();
    if (interrupted) {
      const e = new Error('startInfra was interrupted by stop()');
      e.name = 'AbortError';
      throw e;
    }
    const real = failed.map((r) => r.reason).filter((e) => e?.name !== 'AbortError');
    throw real.length > 1
      ? new AggregateError(real, real.map((e) => e.message).join('\n\n'))
      : (real[0] ?? failed[0].reason);
  }
  log('infra', `all parts ready in ${elapsed(t0)}`);
  return { postgres: parts.postgres, temporal: parts.temporal, kafka: parts.kafka, stop };
}

/** Which of the three answer on their ports: [{ part, address, answers, detail }]. */
export async function infraStatus({ dataDir = defaultDataDir, ports: portOverrides = {} } = {}) {
  const ports = { ...defaultPorts, ...portOverrides };
  const out = [];
  const pgUp = await portAnswers(ports.postgres);
  let pgDetail = pgUp ? 'port open' : 'nothing listens';
  if (pgUp) {
    const creds = readPostgresCredentials(dataDir);
    if (!creds) pgDetail = 'port open; no credentials in this clone';
    else {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ host: '127.0.0.1', port: ports.postgres, ...creds, database: 'postgres', connectionTimeoutMillis: 3000 });
      try {
        await c.connect();
        const { rows } = await c.query('SHOW server_version');
        pgDetail = `PostgreSQL ${rows[0].server_version}, login ok`;
      } catch (e) {
        pgDetail = `port open; login failed: ${e.message}`;
      } finally {
        await c.end().catch(() => {});
      }
    }
  }
  out.push({ part: 'postgres', address: `127.0.0.1:${ports.postgres}`, answers: pgUp, detail: pgDetail });

  const tUp = await portAnswers(ports.temporal);
  let tDetail = tUp ? 'port open' : 'nothing listens';
  if (tUp) {
    const health = await temporalHealth(`127.0.0.1:${ports.temporal}`);
    tDetail = health === null ? 'port open (temporal CLI not installed yet)' : health === 'SERVING' ? health : `port open; health: ${health}`;
  }
  out.push({ part: 'temporal', address: `127.0.0.1:${ports.temporal}`, answers: tUp, detail: tDetail });
  const uiUp = await portAnswers(ports.temporalUi);
  out.push({ part: 'temporal-ui', address: `http://127.0.0.1:${ports.temporalUi}`, answers: uiUp, detail: uiUp ? 'port open' : 'nothing listens' });

  const kUp = await portAnswers(ports.kafka);
  let kDetail = kUp ? 'port open' : 'nothing listens';
  if (kUp) {
    const { default: kafkajs } = await import('kafkajs');
    const admin = new kafkajs.Kafka({ brokers: [`127.0.0.1:${ports.kafka}`], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      kDetail = `metadata ok, ${topics.length} topic(s)`;
    } catch (e) {
      kDetail = `port open; metadata failed: ${e.message}`;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  out.push({ part: 'kafka', address: `127.0.0.1:${ports.kafka}`, answers: kUp, detail: kDetail });
  return out;
}

function printStatus(rows) {
  for (const r of rows) {
    console.log(`${r.answers ? 'UP  ' : 'DOWN'}  ${r.part.padEnd(12)} ${r.address.padEnd(24)} ${r.detail}`);
  }
}

async function cli(cmd) {
  switch (cmd) {
    case 'up': {
      const dataDir = defaultDataDir;
      log('infra', `data ${dataDir}, tools ${cacheDir}`);
      // startInfra's signal handling covers both the start-up and the
      // foreground phase: the first SIGINT/SIGTERM stops what was started
      // here and then lets the signal end this process; a second one kills.
      let infra;
      try {
        infra = await startInfra();
      } catch (e) {
        if (e?.name === 'AbortError') return; // interrupted: the signal handler finishes the job
        throw e;
      }
      const { postgres, temporal, kafka } = infra;
      const tag = (h) => (h.started ? 'started here' : 'reused');
      const secret = path.join(dataDir, 'secrets', 'postgres.json');
      console.log(`postgres  ${postgres.url('certhub').replace(/:[^:@/]+@/, ':***@')}  (${tag(postgres)}; password in ${secret})`);
      console.log(`temporal  ${temporal.address}  UI ${temporal.uiUrl}  (${tag(temporal)})`);
      console.log(`kafka     ${kafka.brokers.join(',')}  (${tag(kafka)})`);
      console.log('Ctrl-C stops what was started here.');
      setInterval(() => {}, 1 << 30); // stay in the foreground until a signal
      return;
    }
    case 'status':
      printStatus(await infraStatus());
      return;
    case 'tools': {
      const t0 = performance.now();
      const [bins, libs] = await Promise.all([ensureTemporalBinaries(), ensureKafkaJars()]);
      console.log(`temporal              ${bins.temporal}`);
      console.log(`temporal-test-server  ${bins.testServer}`);
      console.log(`kafka libs            ${libs}`);
      log('infra', `tools ready in ${elapsed(t0)}`);
      return;
    }
    default:
      console.error('usage: node deploy/local/infra/index.mjs <up|status|tools>');
      console.error(`  repo ${repoRoot}\n  data ${defaultDataDir} (CERTHUB_DATA_DIR)\n  tools ${cacheDir} (CERTHUB_CACHE_DIR)`);
      console.error(`  ports ${JSON.stringify(defaultPorts)}`);
      process.exitCode = 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv[2]).catch((e) => {
    console.error(`[infra] ${process.env.CERTHUB_DEBUG ? e?.stack || e : e?.message || e}`);
    process.exit(1);
  });
}
