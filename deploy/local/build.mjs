// Builds the platform: TypeScript (incremental) and the prebuilt Temporal workflow bundles.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './infra/paths.mjs';

const require = createRequire(import.meta.url);

export function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: 'inherit', ...options });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}`)),
    );
  });
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Installs dependencies when node_modules is missing or older than the lock file. */
export async function ensureDependencies() {
  const marker = join(repoRoot, 'node_modules', '.package-lock.json');
  const lock = join(repoRoot, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // `npm install` with the committed lock file installs the locked versions. Not `npm ci`: the
  // registry here does not serve some optional platform packages (e.g. @swc/core for macOS),
  // which npm leaves out of the lock file and `npm ci` then reports as out of sync.
  process.stderr.write('[build] installing npm dependencies (npm install with the lock file)…\n');
  await run('npm', ['install', '--no-audit', '--no-fund']);
}

export async function compile() {
  const started = Date.now();
  await run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  process.stderr.write(`[build] TypeScript compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** One bundle per workflow domain at dist/workflow-bundles/<domain>.js, rebuilt when its code changed. */
export async function bundleWorkflows() {
  const outDir = join(repoRoot, 'dist', 'workflow-bundles');
  mkdirSync(outDir, { recursive: true });
  const domains = readdirSync(join(repoRoot, 'workflows'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const domain of domains) {
    const entry = join(repoRoot, 'dist', 'workflows', domain, 'src', 'workflows.js');
    if (!existsSync(entry)) continue;
    const out = join(outDir, `${domain}.js`);
    // Stale when the domain's workflows or any lib they may bundle (contracts, human-tasks …) changed.
    const newest = Math.max(newestMtime(join(repoRoot, 'dist', 'workflows', domain)), newestMtime(join(repoRoot, 'dist', 'libs')));
    if (existsSync(out) && statSync(out).mtimeMs >= newest) continue;
    const started = Date.now();
    const { bundleWorkflowCode } = require('@temporalio/worker');
    const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger: quietLogger });
    writeFileSync(out, code);
    process.stderr.write(`[build] workflow bundle ${domain} built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message) {
    process.stderr.write(`[build] ${message}\n`);
  },
  error(message) {
    process.stderr.write(`[build] ${message}\n`);
  },
};

export async function build() {
  await ensureDependencies();
  await compile();
  await bundleWorkflows();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  build().catch((err) => {
    process.stderr.write(`[build] failed: ${err.message}\n`);
    process.exit(1);
  });
}
