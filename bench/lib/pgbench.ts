/**
 * Runs pgbench as a same-run database reference: a custom script at a given number of clients,
 * and reads back transactions per second and per-transaction latencies (from pgbench's
 * transaction log, so p50/p99 are exact, not averages).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latency, type Latency } from './load';

export interface PgbenchResult {
  clients: number;
  transactions: number;
  failed: number;
  tps: number;
  latency: Latency;
}

export interface PgbenchRun {
  bin: string;
  env: Record<string, string>;
  /** postgres://user:password@host:port/db */
  url: string;
  /** The SQL of one transaction (pgbench script syntax: `\set`, `:var`, several statements). */
  script: string;
  clients: number;
  /** Transactions per client. */
  transactionsPerClient: number;
}

export async function runPgbench(run: PgbenchRun): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'certhub-pgbench-'));
  try {
    const script = join(dir, 'order.sql');
    writeFileSync(script, run.script);
    const u = new URL(run.url);
    const args = [
      '-n', // no vacuum of pgbench's own tables
      // Extended protocol: \gset variables (uuids, text) are bound as parameters, like a driver does.
      '-M', 'extended',
      '-c', String(run.clients),
      '-j', String(Math.min(run.clients, 4)),
      '-t', String(run.transactionsPerClient),
      '-f', script,
      '-l', '--log-prefix', join(dir, 'tx'),
      '-h', u.hostname,
      '-p', u.port,
      '-U', decodeURIComponent(u.username),
      decodeURIComponent(u.pathname.slice(1)),
    ];
    const output = await new Promise<string>((resolve, reject) => {
      execFile(run.bin, args, { env: { ...process.env, ...run.env, PGPASSWORD: decodeURIComponent(u.password) }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`pgbench failed: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1] ?? /tps = ([\d.]+)/.exec(output)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
    // Transaction log lines: client_id transaction_no time_us script_no time_epoch time_us_part
    const samples: number[] = [];
    for (const file of readdirSync(dir).filter((f) => f.startsWith('tx'))) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const parts = line.split(' ');
        if (parts.length >= 3) samples.push(Number(parts[2]) / 1000);
      }
    }
    return { clients: run.clients, transactions: samples.length, failed, tps: Math.round(tps * 10) / 10, latency: latency(samples) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
