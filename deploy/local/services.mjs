// The services of the platform as the embedded default runs them.
import { join } from 'node:path';
import { repoRoot } from './infra/paths.mjs';

const env = process.env;

/**
 * Node flags of every service process (and of benchmarks, which run service code in process).
 * A larger young generation: consumers that parse thousands of events per batch spent an eighth
 * of their time in scavenges with V8's default; it grows only under allocation pressure, so idle
 * memory stays the same. CERTHUB_NODE_FLAGS adds more, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
 * to profile every service (Node refuses --cpu-prof in NODE_OPTIONS).
 */
export const NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=64', ...(env.CERTHUB_NODE_FLAGS ?? '').split(' ').filter(Boolean)];

/** Services with a database (schema) and HTTP port; the gateway comes last. */
export const SERVICES = [
  { name: 'identity', port: Number(env.CERTHUB_IDENTITY_PORT ?? 3101), hasDatabase: true },
  { name: 'exam', port: Number(env.CERTHUB_EXAM_PORT ?? 3102), hasDatabase: true },
  { name: 'payment', port: Number(env.CERTHUB_PAYMENT_PORT ?? 3103), hasDatabase: true },
  { name: 'certification', port: Number(env.CERTHUB_CERTIFICATION_PORT ?? 3104), hasDatabase: true },
  { name: 'workbench', port: Number(env.CERTHUB_WORKBENCH_PORT ?? 3106), hasDatabase: true },
];

export const GATEWAY = { name: 'gateway', port: Number(env.CERTHUB_GATEWAY_PORT ?? env.PORT ?? 3000) };

export function entryOf(name) {
  return join(repoRoot, 'dist', 'apps', name, 'src', 'main.js');
}

export function databaseModuleOf(name) {
  return join(repoRoot, 'dist', 'apps', name, 'src', 'database.js');
}

export function serviceUrls() {
  return SERVICES.map((s) => `${s.name}=http://127.0.0.1:${s.port}`).join(',');
}
