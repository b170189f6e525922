/** Where a background job's failure is reported (the service's logger). */
export interface BackgroundJobLogger {
  warn(message: string, context?: Record<string, unknown>): void;
}

/**
 * The background jobs of a service process (workflow starters, deadline passes, scheduled
 * reports): each runs on its own schedule, never two runs of one job at once, none after
 * shutdown began; `stop()` waits for the runs in progress.
 */
export class BackgroundJobs {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly wakes = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly logger: BackgroundJobLogger) {}

  /**
   * Runs `job` again and again while it reports more to do, then every `ms` or when woken
   * (and at once with `runNow`). Returns the wake-up: it runs the job `wakeDelayMs` later
   * (callers wake it from inside a transaction that has not committed yet), once for a burst.
   */
  loop(name: string, ms: number, job: () => Promise<boolean>, { wakeDelayMs = 50, runNow = false } = {}): () => void {
    let busy = false;
    let again = false;
    const kick = () => {
      if (this.stopping) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      const run = (async () => {
        do {
          again = false;
          try {
            if (await job()) again = true;
          } catch (err) {
            this.logger.warn(`${name} failed; retried later`, { err });
            again = false;
          }
        } while (again && !this.stopping);
      })().finally(() => {
        busy = false;
        this.running.delete(run);
      });
      this.running.add(run);
    };
    this.timers.push(setInterval(kick, ms));
    if (runNow) kick();
    let pending: NodeJS.Timeout | undefined;
    return () => {
      if (pending || this.stopping) return;
      const wake = setTimeout(() => {
        pending = undefined;
        this.wakes.delete(wake);
        kick();
      }, wakeDelayMs);
      pending = wake;
      this.wakes.add(wake);
    };
  }

  /** Runs `job` every `ms`; a tick while it still runs is skipped. */
  every(name: string, ms: number, job: () => Promise<unknown>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.stopping) return;
      busy = true;
      const run = job()
        .catch((err: unknown) => this.logger.warn(`${name} failed; retried later`, { err }))
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    }, ms);
    this.timers.push(timer);
  }

  /** No new runs from now on; resolves when the runs in progress have ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.wakes) clearTimeout(t);
    await Promise.allSettled([...this.running]);
  }
}
