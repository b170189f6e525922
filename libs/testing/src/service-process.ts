import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually, serviceTestEnv, testEnvironment } from './test-env';

export interface ServiceProcess {
  /** The service's name, as the gateway's SERVICE_URLS names it. */
  name: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * On Linux the service is started through `setpriv --pdeathsig`: if the test process is killed
 * (a test file over its time limit), the service goes with it instead of living on and holding
 * the test runner's output open.
 */
const SETPRIV = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) : undefined;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts another service of the platform as its own process (compiled `dist/apps/<name>`), as
 * the embedded default runs it, against the test engines; resolves once it is healthy. Tests of
 * one service use it to talk to another over HTTP instead of importing its code.
 */
export async function startServiceProcess(name: string, overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const entry = join(testEnvironment().repoRoot, 'dist', 'apps', name, 'src', 'main.js');
  const [file, args] = SETPRIV ? [SETPRIV, ['--pdeathsig=TERM', '--', process.execPath, entry]] : [process.execPath, [entry]];
  const child = spawn(file, args, {
    env: { ...process.env, ...serviceTestEnv({ PORT: String(port), HOST: '127.0.0.1', ...overrides }) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      return (await fetch(`${url}/internal/health`).catch(() => undefined))?.status === 200;
    },
    { what: `${name} health`, timeoutMs: 60_000 },
  );
  return {
    name,
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        // Already gone (exited, or killed by a signal: then exitCode stays null).
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
