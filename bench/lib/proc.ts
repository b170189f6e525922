/**
 * Processes of the benchmarks' platform, read from Linux /proc: which process listens on a
 * loopback port (the Temporal server) and how much CPU a process has used, to show where a
 * phase's time went.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The process listening on a loopback TCP port (Linux /proc), to read its CPU time. */
export function pidListeningOn(port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') inodes.add(f[9]!);
      }
    } catch {
      /* no such table */
    }
  }
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(pid);
      }
    } catch {
      /* gone, or not ours */
    }
  }
  return null;
}

/** CPU seconds (user + system) a process has used so far; 0 when unknown. */
export function cpuSeconds(pid: number | null): number {
  if (pid === null) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds a process and its children have used so far (the children alive now plus the ones
 * that have exited and been waited for): PostgreSQL's server with its backends.
 */
export function treeCpuSeconds(pid: number | null): number {
  if (pid === null) return 0;
  let total = 0;
  for (const entry of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      const self = Number(entry) === pid;
      if (!self && Number(fields[1]) !== pid) continue;
      total += Number(fields[11]) + Number(fields[12]);
      if (self) total += Number(fields[13]) + Number(fields[14]);
    } catch {
      /* gone */
    }
  }
  return total / 100;
}

/**
 * CPU seconds the whole machine has spent busy so far (every process, kernel included: all of
 * /proc/stat's time but idle and iowait). On a machine shared with other work it counts that
 * work too; the per-process figures are the ones to compare.
 */
export function machineBusySeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return 0;
  }
}
