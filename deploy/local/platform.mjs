// Brings the platform up on the embedded default: infrastructure, migrations, demo data,
// every service with its worker, and the gateway. Used by `npm start` and by `npm test`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { dataDir, repoRoot } from './infra/paths.mjs';
import { GATEWAY, NODE_FLAGS, SERVICES, entryOf, serviceUrls } from './services.mjs';

const require = createRequire(import.meta.url);

/** Secrets of this clone's embedded default, generated once into the git-ignored data folder. */
export function platformSecrets() {
  const dir = join(dataDir, 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'platform.json');
  let secrets = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  let changed = false;
  const ensure = (key, make) => {
    if (!secrets[key]) {
      secrets[key] = make();
      changed = true;
    }
  };
  ensure('jwtSecret', () => randomBytes(48).toString('base64url'));
  // Shared by the payment service's sandbox provider and its notify endpoint (HMAC-SHA256).
  ensure('paymentNotifySecret', () => randomBytes(48).toString('base64url'));
  ensure('demoPassword', () => `Demo${randomBytes(4).toString('hex')}9`);
  ensure('generatedAdminPassword', () => `Adm${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x')}7`);
  if (changed) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  const adminPassword = process.env.CERTHUB_ADMIN_PASSWORD || secrets.generatedAdminPassword;
  return { ...secrets, adminPassword, adminPasswordGenerated: !process.env.CERTHUB_ADMIN_PASSWORD };
}

export function serviceEnv({ infra, databaseUrl, jwtSecret, paymentNotifySecret, profile }) {
  return {
    ...process.env,
    NODE_ENV: profile === 'production' ? 'production' : 'development',
    CERTHUB_PROFILE: profile,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: infra.kafka.brokers.join(','),
    TEMPORAL_ADDRESS: infra.temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    CERTHUB_JWT_SECRET: jwtSecret,
    PAYMENT_SANDBOX_NOTIFY_SECRET: paymentNotifySecret,
    WORKFLOW_BUNDLE_DIR: join(repoRoot, 'dist', 'workflow-bundles'),
    HOST: '127.0.0.1',
  };
}

async function httpOk(url, timeoutMs = 1500) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function waitForHttp(url, { timeoutMs = 60_000, what, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await httpOk(url)) return;
    if (child && child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before answering; see its log`);
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what ?? url} did not answer 200 within ${timeoutMs / 1000} s`);
}

/**
 * Runs one Node service as a child, logging to .data/logs/<name>.log; restarts it when it dies
 * unexpectedly (a crashed service comes back and its workflows resume).
 */
export class SupervisedService {
  constructor(name, entry, env, { onOutput } = {}) {
    this.name = name;
    this.entry = entry;
    this.env = env;
    this.stopping = false;
    this.restarts = 0;
    this.onOutput = onOutput;
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    this.logFile = join(dataDir, 'logs', `${name}.log`);
  }

  start() {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [...NODE_FLAGS, this.entry], { cwd: repoRoot, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.pipe(log);
    this.child.stderr.pipe(log);
    if (this.onOutput) this.child.stderr.on('data', (d) => this.onOutput(this.name, d));
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.restarts += 1;
      const delay = Math.min(1000 * 2 ** Math.min(this.restarts, 5), 30_000);
      process.stderr.write(`[platform] ${this.name} exited (${code ?? signal}); restarting in ${delay / 1000} s (log: ${this.logFile})\n`);
      setTimeout(() => !this.stopping && this.start(), delay).unref();
    });
    return this.child;
  }

  async stop() {
    this.stopping = true;
    if (!this.child || this.child.exitCode !== null || this.child.signalCode) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Applies migrations and seeds demo data, then starts every service and the gateway. */
export async function startPlatform({ infra, profile = 'embedded', database = 'certhub', seed = true, log = (m) => process.stderr.write(`${m}\n`) }) {
  const secrets = platformSecrets();
  const databaseUrl = infra.postgres.url(database);
  const { migrateAll } = await import('./db.mjs');
  await migrateAll(databaseUrl, log);
  let seeded = [];
  if (seed) {
    const { seedIdentity } = require(join(repoRoot, 'dist', 'apps', 'identity', 'src', 'seed.js'));
    const { database: identityDb } = require(join(repoRoot, 'dist', 'apps', 'identity', 'src', 'database.js'));
    const ds = await identityDb.create(databaseUrl, 2).initialize();
    try {
      seeded = await seedIdentity(ds, { adminPassword: secrets.adminPassword, demoPassword: secrets.demoPassword });
    } finally {
      await ds.destroy();
    }
    const { seedExam } = require(join(repoRoot, 'dist', 'apps', 'exam', 'src', 'seed.js'));
    const { database: examDb } = require(join(repoRoot, 'dist', 'apps', 'exam', 'src', 'database.js'));
    const examDs = await examDb.create(databaseUrl, 2).initialize();
    try {
      const period = JSON.parse(readFileSync(join(repoRoot, 'apps', 'exam', 'seed', 'exam-period-2021-2.json'), 'utf8'));
      const { created } = await seedExam(examDs, period);
      if (created) log('[seed] exam: demo period imported with registration open now');
    } finally {
      await examDs.destroy();
    }
  }
  // Where each service finds the others it calls (e.g. exam → identity, payment): IDENTITY_SERVICE_URL …
  const serviceLinks = Object.fromEntries(SERVICES.map((s) => [`${s.name.toUpperCase()}_SERVICE_URL`, `http://127.0.0.1:${s.port}`]));
  const env = { ...serviceEnv({ infra, databaseUrl, jwtSecret: secrets.jwtSecret, paymentNotifySecret: secrets.paymentNotifySecret, profile }), ...serviceLinks };
  // A service of another clone on our port would answer our health checks: refuse to start.
  const { portAnswers } = await import('./infra/proc.mjs');
  for (const s of [...SERVICES, GATEWAY]) {
    if (await portAnswers(s.port)) {
      throw new Error(`port ${s.port} (${s.name}) is already in use — another certhub running? Stop it or set CERTHUB_${s.name.toUpperCase()}_PORT`);
    }
  }
  const running = [];
  const stopAll = async () => {
    // The gateway first (no new requests), then the services together: each drains on its own.
    const gateway = running.filter((s) => s.name === GATEWAY.name);
    for (const s of gateway) await s.stop();
    await Promise.all(running.filter((s) => s.name !== GATEWAY.name).map((s) => s.stop()));
  };
  try {
    // Services start in parallel; the gateway waits for them.
    await Promise.all(
      SERVICES.map(async (s) => {
        const svc = new SupervisedService(s.name, entryOf(s.name), { ...env, PORT: String(s.port) });
        running.push(svc);
        const child = svc.start();
        await waitForHttp(`http://127.0.0.1:${s.port}/internal/health`, { what: s.name, child, timeoutMs: 90_000 });
      }),
    );
    const gateway = new SupervisedService('gateway', entryOf('gateway'), { ...env, PORT: String(GATEWAY.port), SERVICE_URLS: serviceUrls() });
    running.push(gateway);
    const child = gateway.start();
    await waitForHttp(`http://127.0.0.1:${GATEWAY.port}/api/v1/health`, { what: 'gateway health', child, timeoutMs: 90_000 });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { secrets, seeded, databaseUrl, env, services: running, stop: stopAll, gatewayUrl: `http://127.0.0.1:${GATEWAY.port}` };
}

/** Resident memory (MiB) of this process and all its descendants, from /proc. */
export function treeMemoryMiB(rootPid = process.pid) {
  const parents = new Map();
  const rss = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      parents.set(Number(entry), Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0));
      rss.set(Number(entry), Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      /* process went away */
    }
  }
  let totalKb = 0;
  for (const pid of rss.keys()) {
    let p = pid;
    while (p && p !== rootPid && parents.has(p)) p = parents.get(p);
    if (p === rootPid) totalKb += rss.get(pid);
  }
  return Math.round(totalKb / 1024);
}
