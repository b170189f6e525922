// Where the local infrastructure keeps things, which ports it uses, and a
// tiny logger. Plain Node ESM, no build step.
//
//   cacheDir  downloaded tools, shared by every clone on the machine
//             (env CERTHUB_CACHE_DIR, default ~/.cache/certhub)
//   dataDir   per-clone state: databases, logs, secrets (git-ignored)
//             (env CERTHUB_DATA_DIR, default <repoRoot>/.data)
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Absolute path of the repository (this file is <repo>/deploy/local/infra/paths.mjs). */
export const repoRoot = path.resolve(here, '..', '..', '..');

/** Downloaded tools, shared by every clone on this machine. */
export const cacheDir = path.resolve(
  process.env.CERTHUB_CACHE_DIR || path.join(os.homedir(), '.cache', 'certhub'),
);

/** Per-clone state (databases, logs, secrets). Git-ignored. */
export const dataDir = path.resolve(process.env.CERTHUB_DATA_DIR || path.join(repoRoot, '.data'));

function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a valid TCP port`);
  }
  return n;
}

/** Loopback ports of the three engines (override with the env variables named here). */
export const ports = Object.freeze({
  postgres: portFromEnv('CERTHUB_PG_PORT', 55432),
  temporal: portFromEnv('CERTHUB_TEMPORAL_PORT', 7233),
  temporalUi: portFromEnv('CERTHUB_TEMPORAL_UI_PORT', 8233),
  kafka: portFromEnv('CERTHUB_KAFKA_PORT', 9092),
  kafkaController: portFromEnv('CERTHUB_KAFKA_CONTROLLER_PORT', 9093),
});

/** Prints `[infra:<part>] msg` to stderr. */
export function log(part, msg) {
  process.stderr.write(`[infra:${part}] ${msg}\n`);
}
