import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A reader of the variables `npm run bench:<name>` sets; a missing one says how to run the benchmark. */
export function benchEnv(bench: string): (name: string) => string {
  return (name) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run this through \`npm run bench:${bench}\``);
    return v;
  };
}

/** The run's time as a table cell: `YYYY-MM-DD HH:MM` (UTC). */
export function runDate(): string {
  return new Date().toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * Adds the run as a row after the last row of its section's table in docs/benchmarks.md; on the
 * first run the section is written: the heading, then `head` (its intro and the table's header).
 */
export function appendBenchmarkRow(repoRoot: string, heading: string, head: string, row: string): void {
  const file = join(repoRoot, 'docs', 'benchmarks.md');
  let text = readFileSync(file, 'utf8');
  if (!text.includes(heading)) text = `${text.trimEnd()}\n\n${heading}\n\n${head}`;
  const lines = text.split('\n');
  let i = lines.indexOf(heading);
  while (i < lines.length && !lines[i]!.startsWith('|')) i++;
  while (i < lines.length && lines[i]!.startsWith('|')) i++;
  lines.splice(i, 0, row);
  writeFileSync(file, lines.join('\n'));
}
