import type { Logger } from '@certhub/logging';

/**
 * What an applicant did to a case that its workflow has not been told yet (a submit, a resubmit, a
 * withdraw), kept as a database change first (ADR 0016): the request delivers it right after its
 * commit, and the runtime's loop delivers whatever is still pending — Temporal being down loses
 * nothing. Subclasses say how a pending row is read and delivered; delivering twice is harmless
 * (starts are idempotent by workflow id, signals by round or flag), but costs a call to Temporal.
 *
 * In one process the deliveries of a case take turns, and each reads the case's row when its turn
 * comes: the loop's read cannot overtake a request's delivery in flight (under load it did for
 * one submit in seven, starting the workflow a second time), and a change made while a delivery
 * was under way (a withdraw during the start) goes out with the next turn.
 */
export abstract class PendingDelivery<Row extends { id: string }> {
  protected abstract readonly logger: Logger;

  /** Set by the runtime: wakes its delivery loop. */
  onPending?: () => void;

  /** The delivery of each case under way in this process. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  /** The case's row when something of it is pending. */
  protected abstract pendingRow(id: string): Promise<Row | undefined>;
  /** The ids of cases with something pending, oldest first (each is read again when its turn comes). */
  protected abstract pendingIds(limit: number): Promise<string[]>;
  /** Tells the workflow and marks the row delivered. */
  protected abstract deliverRow(row: Row): Promise<void>;
  /** The log line when a delivery fails (the loop retries). */
  protected abstract readonly notDelivered: string;

  /** Delivers one case's pending change now; false (logged, the loop woken) when Temporal did not take it. */
  async deliver(id: string): Promise<boolean> {
    try {
      await this.deliverOne(id);
      return true;
    } catch (err) {
      this.logger.warn(this.notDelivered, { caseId: id, err });
      this.onPending?.();
      return false;
    }
  }

  /** Delivers every pending change (oldest first); returns how many were delivered. */
  async deliverPending(limit = 100): Promise<number> {
    let delivered = 0;
    for (const id of await this.pendingIds(limit)) if (await this.deliverOne(id)) delivered += 1;
    return delivered;
  }

  /**
   * After any delivery of the case already under way, reads its row and delivers what is still
   * pending; true when something was delivered. Throws when Temporal did not take it.
   */
  private async deliverOne(id: string): Promise<boolean> {
    for (let busy = this.inFlight.get(id); busy; busy = this.inFlight.get(id)) await busy.catch(() => undefined);
    const attempt = (async () => {
      const row = await this.pendingRow(id);
      if (!row) return false;
      await this.deliverRow(row);
      return true;
    })();
    this.inFlight.set(id, attempt);
    try {
      return await attempt;
    } finally {
      if (this.inFlight.get(id) === attempt) this.inFlight.delete(id);
    }
  }
}
