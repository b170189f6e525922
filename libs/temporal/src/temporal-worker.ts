import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';

export interface WorkerHostOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Domain name: the prebuilt bundle is `<bundleDir>/<domain>.js`; none for an activities-only worker. */
  domain: string | null;
  bundleDir: string;
  activities: object;
  /** Source of the workflows, used only when no prebuilt bundle exists (development). */
  workflowsPath?: string;
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>;
}

let runtimeInstalled = false;

/** The SDK's core logs at WARN and above only (its INFO lines are per state change). */
export function installWorkerRuntime(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed by an earlier worker of this process.
  }
}

export function bundlePath(bundleDir: string, domain: string): string {
  return join(bundleDir, `${domain}.js`);
}

/**
 * Creates a worker of one domain. Production runs the prebuilt workflow bundle (built once by
 * `deploy/local/build.mjs`), so a worker starts in a second instead of bundling at boot.
 */
export async function createDomainWorker(options: WorkerHostOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installWorkerRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  let source: { workflowBundle: { codePath: string } } | { workflowsPath: string } | Record<string, never> = {};
  if (options.domain !== null) {
    const prebuilt = bundlePath(options.bundleDir, options.domain);
    if (existsSync(prebuilt)) source = { workflowBundle: { codePath: prebuilt } };
    else if (options.workflowsPath) source = { workflowsPath: options.workflowsPath };
    else throw new Error(`no workflow bundle at ${prebuilt}; run the build first`);
  }
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...source,
    ...options.tuning,
  });
  return { worker, connection };
}

/** A running domain worker as a service hosts it. */
export interface RunningDomainWorker {
  /** Health: throws unless the worker is running. */
  assertRunning(): void;
  /** Shuts the worker down, waits for its tasks in progress and closes its connection; idempotent. */
  stop(): Promise<void>;
}

/**
 * Creates the domain's worker and runs it. A worker that stops by itself (not through `stop()`)
 * is logged and ends the process (exit code 1): a service whose worker died is not healthy, and
 * its supervisor restarts it with a working one rather than letting it serve on without.
 */
export async function startDomainWorker(options: WorkerHostOptions, logger: { error(message: string, context?: Record<string, unknown>): void }): Promise<RunningDomainWorker> {
  const { worker, connection } = await createDomainWorker(options);
  let stopping = false;
  const running = worker.run().catch((err: unknown) => {
    if (stopping) return;
    logger.error(`${options.domain ?? options.taskQueue} worker stopped with an error`, { err });
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  });
  return {
    assertRunning() {
      const state = worker.getState();
      if (state !== 'RUNNING') throw new Error(`worker is ${state}`);
    },
    async stop() {
      stopping = true;
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close().catch(() => undefined);
    },
  };
}
