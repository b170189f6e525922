#!/usr/bin/env node
// `npm run bench:<name>`: builds, then runs dist/bench/<name>.bench.js, which prints its figures
// and the reference it measured in the same run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, run } from './build.mjs';
import { repoRoot } from './infra/paths.mjs';

const name = process.argv[2];
if (!name || !/^[a-z-]+$/.test(name)) {
  process.stderr.write('usage: node deploy/local/bench.mjs <name>\n');
  process.exit(2);
}
await build();
const entry = join(repoRoot, 'dist', 'bench', `${name}.bench.js`);
if (!existsSync(entry)) {
  process.stderr.write(`no benchmark ${name} (${entry})\n`);
  process.exit(2);
}
await run(process.execPath, ['--enable-source-maps', entry]);
