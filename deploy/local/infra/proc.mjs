// Small process helpers shared by the infra modules: probing loopback ports,
// running tools, and supervising long-running servers ("daemons") that must
// not outlive this Node process.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves true when something accepts a TCP connection on host:port. */
export function portAnswers(port, host = '127.0.0.1', timeoutMs = 700) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** "2.1 s" since t0 (a performance.now() value). */
export function elapsed(t0) {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/** The last `lines` lines of a text file ('' when it does not exist). */
export function tailFile(file, lines = 40) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').slice(-lines - 1).join('\n').trimEnd();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Locates an executable on PATH (or returns null). */
export function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

function abortError(signal) {
  const err = new Error('aborted', { cause: signal?.reason });
  err.name = 'AbortError';
  return err;
}

/**
 * Runs a command quietly and collects its output. Never rejects for a
 * non-zero exit: returns { code, signal, stdout, stderr, error }.
 */
export function capture(cmd, args, { timeoutMs = 30_000, ...opts } = {}) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    } catch (error) {
      resolve({ code: null, signal: null, stdout, stderr, error });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr, error });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, error: null });
    });
  });
}

/**
 * Runs a tool (pip, mvn, initdb...) with its output shown on our stderr, so
 * progress is visible while stdout stays free for the caller. Rejects on a
 * non-zero exit. `signal` (AbortSignal) kills it.
 */
export function runVisible(cmd, args, { signal, stripAnsi = false, ...opts } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const child = spawn(cmd, args, { stdio: ['ignore', stripAnsi ? 'pipe' : 2, stripAnsi ? 'pipe' : 2], ...opts });
    if (stripAnsi) {
      // Some tools (Maven 3.8) emit colour resets even in batch mode.
      // eslint-disable-next-line no-control-regex -- ANSI escape sequences start with the ESC control character
      const forward = (chunk) => process.stderr.write(chunk.toString('utf8').replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''));
      child.stdout?.on('data', forward);
      child.stderr?.on('data', forward);
    }
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new Error(`could not run ${cmd}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(abortError(signal));
      if (code === 0) return resolve();
      reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${sig ?? `exit ${code}`})`));
    });
  });
}

/**
 * Polls `check` (async, returns truthy when ready) every `intervalMs` until it
 * succeeds, the daemon dies, the signal aborts, or `timeoutMs` passes.
 */
export async function waitUntil(check, { timeoutMs, intervalMs = 250, daemon, signal, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw abortError(signal);
    if (daemon?.exitInfo) {
      throw new Error(`${what}: process exited early (${daemon.exitInfo.describe})`);
    }
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return ok;
    if (Date.now() >= deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------
// Daemons

/** Every daemon spawned by this process that has not exited yet. */
const live = new Set();

const SETPRIV = process.platform === 'linux' ? which('setpriv') : null;
const NICE = process.platform === 'linux' ? which('nice') : null;

let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the process exits without stop() having been awaited
  // (process.exit(), a crash): ask every daemon to shut down. We cannot wait
  // here, but the servers finish their shutdown on their own.
  process.on('exit', () => {
    for (const d of live) {
      try {
        process.kill(d.pid, d.stopSignal);
      } catch {
        /* already gone */
      }
    }
  });
}

const MAX_LOG_BYTES = 50 * 1024 * 1024;

function openLog(logFile, header) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  try {
    if (fs.statSync(logFile).size > MAX_LOG_BYTES) fs.renameSync(logFile, `${logFile}.1`);
  } catch {
    /* no log yet */
  }
  const fd = fs.openSync(logFile, 'a', 0o644);
  fs.writeSync(fd, `\n===== ${new Date().toISOString()} ${header}\n`);
  return fd;
}

/**
 * Starts a long-running server in its own session / process group (so a
 * Ctrl-C in the terminal reaches only us, and we decide the shutdown order),
 * with stdout+stderr appended to `logFile`. On Linux the child also gets a
 * parent-death signal (via util-linux `setpriv`), so it does not outlive us
 * even when we are SIGKILLed.
 *
 * Returns a daemon: { name, pid, logFile, exitInfo, exited, stop() }.
 * stop(): `stopSignal` to the server, then SIGKILL to its whole process group
 * after `graceMs`. Idempotent.
 */
export function spawnDaemon({
  name,
  cmd,
  args,
  cwd,
  env = process.env,
  logFile,
  uid,
  gid,
  stopSignal = 'SIGTERM',
  graceMs = 15_000,
  niceness = 0,
}) {
  installExitHook();
  const fd = openLog(logFile, `${cmd} ${args.join(' ')}`);
  let file = cmd;
  let argv = args;
  if (niceness > 0 && NICE) {
    // nice execs the server in place with the lower priority, so every thread it starts has it.
    file = NICE;
    argv = ['-n', String(niceness), cmd, ...args];
  }
  if (SETPRIV) {
    // setpriv execs the server in place (same pid); the death signal survives
    // exec because the credentials were already switched by spawn().
    argv = [`--pdeathsig=${stopSignal.replace(/^SIG/, '')}`, '--', file, ...argv];
    file = SETPRIV;
  }
  let child;
  try {
    child = spawn(file, argv, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(uid !== undefined ? { uid, gid } : {}),
    });
  } finally {
    fs.closeSync(fd);
  }
  let resolveExited;
  const daemon = {
    name,
    pid: child.pid,
    logFile,
    stopSignal,
    exitInfo: null,
    exited: new Promise((r) => (resolveExited = r)),
    stop: null,
  };
  const onExit = (code, signal, error) => {
    if (daemon.exitInfo) return;
    const describe = error
      ? `spawn failed: ${error.message}`
      : signal
        ? `killed by ${signal}`
        : `exit code ${code}`;
    daemon.exitInfo = { code, signal, describe };
    live.delete(daemon);
    resolveExited(daemon.exitInfo);
  };
  child.once('error', (err) => onExit(null, null, err));
  child.once('exit', (code, signal) => onExit(code, signal, null));
  if (child.pid) live.add(daemon);
  // The caller decides how long we live (stop() or our own exit), not the child.
  child.unref();

  let stopping = null;
  daemon.stop = () => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (daemon.exitInfo || !child.pid) return;
      try {
        process.kill(child.pid, stopSignal);
      } catch {
        /* gone already */
      }
      let timer;
      const timedOut = await Promise.race([
        daemon.exited.then(() => false),
        new Promise((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await daemon.exited;
      } else {
        // The leader is gone; make sure no helper of it lingers in its group.
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* nothing left, the normal case */
        }
      }
    })();
    return stopping;
  };
  return daemon;
}

/** Daemons spawned by this process that are still running. */
export function liveDaemons() {
  return [...live];
}

// ---------------------------------------------------------------------------
// A lock across processes (several clones share the tool cache).

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding a directory lock at `lockDir`. Waits (up to
 * `timeoutMs`) while another live process holds it; takes over a stale lock.
 */
export async function withLock(lockDir, fn, { timeoutMs = 15 * 60_000, onWait, signal } = {}) {
  await fsp.mkdir(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      await fsp.mkdir(lockDir);
      await fsp.writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = NaN;
      try {
        holder = Number(await fsp.readFile(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being created or half-written */
      }
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        await fsp.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      signal?.throwIfAborted();
      if (!announced && onWait) onWait(holder);
      announced = true;
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockDir}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockDir, { recursive: true, force: true });
  }
}

/** True when `cmd args` exits 0 when run as uid/gid (used for access tests). */
export function succeedsAs(uid, gid, cmd, args) {
  const r = spawnSync(cmd, args, { uid, gid, stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}
