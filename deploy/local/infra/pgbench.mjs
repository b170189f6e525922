// pgbench for the benchmarks' same-run database references (`npm run bench:registration`).
//
// The embedded PostgreSQL package ships the server only. pgbench comes, in this order, from
// CERTHUB_PGBENCH (a path), the PATH, or the Debian package postgresql-NN (plus libpq5),
// downloaded with `apt-get download` into the tool cache and unpacked there (no root, nothing
// installed system-wide). pgbench speaks the ordinary protocol, so a client of another major
// version drives the embedded server fine.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, log } from './paths.mjs';

function onPath(name) {
  try {
    return execFileSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function findFile(root, name) {
  if (!existsSync(root)) return null;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(full, name);
      if (found) return found;
    } else if (entry.name === name) {
      return full;
    }
  }
  return null;
}

/** `{ bin, env }`: the pgbench executable and the environment it needs (library path). */
export function ensurePgbench() {
  if (process.env.CERTHUB_PGBENCH) return { bin: process.env.CERTHUB_PGBENCH, env: {} };
  const system = onPath('pgbench');
  if (system) return { bin: system, env: {} };
  return downloadPgbench();
}

/** pgbench from the Debian packages, unpacked into the tool cache (once). */
export function downloadPgbench() {
  const root = path.join(cacheDir, 'pgbench');
  const unpacked = path.join(root, 'root');
  let bin = findFile(unpacked, 'pgbench');
  if (!bin) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(unpacked, { recursive: true });
    // Debian ships pgbench in the server package postgresql-NN.
    const server = execFileSync('/bin/sh', ['-c', "apt-cache search --names-only '^postgresql-[0-9]+$' | cut -d' ' -f1 | sort -V | tail -1"], {
      encoding: 'utf8',
    }).trim();
    if (!server) throw new Error('pgbench: no postgresql-NN package known to apt; set CERTHUB_PGBENCH');
    log('pgbench', `downloading ${server} and libpq5 with apt-get download (for pgbench)`);
    execFileSync('apt-get', ['download', server, 'libpq5'], { cwd: root, stdio: 'inherit' });
    for (const deb of readdirSync(root).filter((f) => f.endsWith('.deb'))) {
      execFileSync('dpkg-deb', ['-x', path.join(root, deb), unpacked], { stdio: 'inherit' });
    }
    bin = findFile(unpacked, 'pgbench');
    if (!bin) throw new Error(`pgbench: not found in the unpacked packages under ${unpacked}`);
  }
  const libpq = findFile(unpacked, 'libpq.so.5');
  return { bin, env: libpq ? { LD_LIBRARY_PATH: path.dirname(libpq) } : {} };
}
