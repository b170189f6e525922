/**
 * Admission control for the registration paths (ST-6). At registration opening far more
 * requests arrive than the services behind can work on at once; letting them all through makes
 * every one of them slow and ends in timeouts. Instead at most `concurrency` requests are in
 * flight; more wait in line (first come, first served) as long as the recent completion rate
 * lets them in within `maxWaitMs` (and at most `queueLimit`); anything beyond is refused at once
 * with the number of seconds after which a retry is likely to get in. Nobody waits long and nobody gets a timeout or a 5xx for the load.
 */
export interface AdmissionOptions {
  concurrency: number;
  queueLimit: number;
  /** A place in line whose estimated wait is longer is refused at once. */
  maxWaitMs: number;
  /**
   * A request still in line after this long is refused after all (default 10 × maxWaitMs): only
   * when the services behind stall, since the line is kept to what the recent completion rate
   * serves within maxWaitMs — a refusal should come at once, not after a wait.
   */
  giveUpMs?: number;
}

export type Admission = { admitted: true; release: () => void } | { admitted: false; retryAfterSeconds: number; reason: 'queue-full' | 'waited-too-long' };

interface Waiter {
  /** Admitted, or gone after waiting too long. */
  done: boolean;
  admit: () => void;
  timer: NodeJS.Timeout;
}

/** Completions remembered for the throughput estimate behind Retry-After. */
const WINDOW = 256;

export class AdmissionControl {
  private inFlight = 0;
  /** Waiting requests; `head` is the index of the first (no array shifting). */
  private waiting: Waiter[] = [];
  private head = 0;
  private queued = 0;
  private readonly completions = new Float64Array(WINDOW);
  private completed = 0;
  readonly stats = { admitted: 0, queued: 0, refusedQueueFull: 0, refusedWaitedTooLong: 0 };

  constructor(private readonly options: AdmissionOptions) {}

  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.queued };
  }

  /** Admits the request now, after a wait in line, or refuses it; never throws. */
  enter(now = performance.now()): Admission | Promise<Admission> {
    if (this.inFlight < this.options.concurrency && this.queued === 0) {
      this.inFlight += 1;
      this.stats.admitted += 1;
      return { admitted: true, release: this.releaser() };
    }
    if (this.queued >= this.options.queueLimit) {
      this.stats.refusedQueueFull += 1;
      return { admitted: false, retryAfterSeconds: this.retryAfterSeconds(now), reason: 'queue-full' };
    }
    // A place in line that would not come up within the longest wait is refused now rather
    // than after waiting for nothing: a refusal is answered at once, never after a wait.
    const wait = this.estimatedWaitMs(this.queued + 1, now);
    if (wait !== null && wait > this.options.maxWaitMs) {
      this.stats.refusedQueueFull += 1;
      return { admitted: false, retryAfterSeconds: this.retryAfterSeconds(now), reason: 'queue-full' };
    }
    this.stats.queued += 1;
    return new Promise<Admission>((resolve) => {
      const waiter: Waiter = {
        done: false,
        admit: () => {
          waiter.done = true;
          clearTimeout(waiter.timer);
          this.stats.admitted += 1;
          resolve({ admitted: true, release: this.releaser() });
        },
        timer: setTimeout(() => {
          // Still in line after the longest wait we allow: out of the line, told when to retry.
          waiter.done = true;
          this.queued -= 1;
          this.stats.refusedWaitedTooLong += 1;
          resolve({ admitted: false, retryAfterSeconds: this.retryAfterSeconds(), reason: 'waited-too-long' });
        }, this.options.giveUpMs ?? this.options.maxWaitMs * 10),
      };
      this.waiting.push(waiter);
      this.queued += 1;
    });
  }

  /** Recent completions per millisecond, or null without enough history. */
  private completionRate(now: number): number | null {
    const n = Math.min(this.completed, WINDOW);
    if (n < 8) return null;
    const newest = this.completions[(this.completed - 1) % WINDOW]!;
    const oldest = this.completions[(this.completed - n) % WINDOW]!;
    // History older than a few seconds says little about now.
    if (now - newest > 2000) return null;
    const span = Math.max(now, newest) - oldest;
    return span > 0 ? (n - 1) / span : null;
  }

  /** How long the `position`-th in line would wait for a slot at the recent completion rate. */
  estimatedWaitMs(position: number, now = performance.now()): number | null {
    const rate = this.completionRate(now);
    return rate === null ? null : position / rate;
  }

  /**
   * Seconds until a retry is likely to be admitted: the requests ahead (in flight and in line)
   * divided by the recent completion rate; at least 1, at most 30.
   */
  retryAfterSeconds(now = performance.now()): number {
    const n = Math.min(this.completed, WINDOW);
    if (n < 2) return 1;
    const newest = this.completions[(this.completed - 1) % WINDOW]!;
    const oldest = this.completions[(this.completed - n) % WINDOW]!;
    const span = Math.max(now, newest) - oldest;
    if (span <= 0) return 1;
    const perSecond = ((n - 1) * 1000) / span;
    return Math.min(30, Math.max(1, Math.ceil((this.queued + this.inFlight) / Math.max(perSecond, 0.001))));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.completions[this.completed % WINDOW] = performance.now();
      this.completed += 1;
      const next = this.nextWaiter();
      // The slot passes straight to the first in line, so a newcomer cannot overtake it.
      if (next) next.admit();
      else this.inFlight -= 1;
    };
  }

  private nextWaiter(): Waiter | undefined {
    let next: Waiter | undefined;
    while (this.head < this.waiting.length) {
      const w = this.waiting[this.head]!;
      this.head += 1;
      if (!w.done) {
        this.queued -= 1;
        next = w;
        break;
      }
    }
    // Drop the consumed front of the line now and then.
    if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return next;
  }
}

/**
 * The time the gateway took to answer refused requests (from the request's arrival in the
 * handler's process to the refusal being sent): the last `size` samples, for ops and the
 * registration benchmark (which also measures it from the client's side).
 */
export class RefusalTimes {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(size = 16_384) {
    this.samples = new Float64Array(size);
  }

  record(ms: number): void {
    this.samples[this.count % this.samples.length] = ms;
    this.count += 1;
  }

  summary(): { n: number; p50: number; p99: number; max: number } {
    const n = Math.min(this.count, this.samples.length);
    if (n === 0) return { n: 0, p50: 0, p99: 0, max: 0 };
    const sorted = this.samples.slice(0, n).sort();
    const q = (p: number) => Math.round(sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]! * 1000) / 1000;
    return { n: this.count, p50: q(50), p99: q(99), max: q(100) };
  }
}

