import type { Logger } from '@certhub/logging';

/**
 * What an applicant did to a case that its workflow has not been told yet (a submit, a resubmit, a
 * withdraw), kept as a database change first (ADR 0016): the request delivers it right after its
 * commit, and the runtime's loop delivers whatever is still pending — Temporal being down loses
 * nothing. Subclasses say how a pending row is read and delivered; delivering twice is harmless
 * (starts are idempotent by workflow id, signals by round or flag).
 */
export abstract class PendingDelivery<Row extends { id: string }> {
  protected abstract readonly logger: Logger;

  /** Set by the runtime: wakes its delivery loop. */
  onPending?: () => void;

  /**
   * Cases a request of this process is delivering right now, and those it delivered since the
   * loop's last read: the loop passes them by, so a submit in flight is not started a second time
   * (harmless, but a wasted call to Temporal for every submit the loop's read overtakes).
   */
  private readonly inFlight = new Set<string>();
  private deliveredSinceRead = new Set<string>();

  /** The case's row when something of it is pending. */
  protected abstract pendingRow(id: string): Promise<Row | undefined>;
  /** Pending rows, oldest first. */
  protected abstract pendingRows(limit: number): Promise<Row[]>;
  /** Tells the workflow and marks the row delivered. */
  protected abstract deliverRow(row: Row): Promise<void>;
  /** The log line when a delivery fails (the loop retries). */
  protected abstract readonly notDelivered: string;

  /** Delivers one case's pending change now; false (logged, the loop woken) when Temporal did not take it. */
  async deliver(id: string): Promise<boolean> {
    if (this.inFlight.has(id)) {
      // The loop is delivering this case: it looks again soon for whatever came after its read.
      this.onPending?.();
      return true;
    }
    this.inFlight.add(id);
    try {
      const row = await this.pendingRow(id);
      if (!row) return true;
      await this.deliverRow(row);
      this.deliveredSinceRead.add(id);
      return true;
    } catch (err) {
      this.logger.warn(this.notDelivered, { caseId: id, err });
      this.onPending?.();
      return false;
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Delivers every pending change (oldest first); returns how many were delivered. */
  async deliverPending(limit = 100): Promise<number> {
    // What was delivered before this read is no longer pending in the database.
    this.deliveredSinceRead = new Set();
    const rows = await this.pendingRows(limit);
    let delivered = 0;
    for (const row of rows) {
      if (this.inFlight.has(row.id) || this.deliveredSinceRead.has(row.id)) continue;
      this.inFlight.add(row.id);
      try {
        await this.deliverRow(row);
      } finally {
        this.inFlight.delete(row.id);
      }
      delivered += 1;
    }
    return delivered;
  }
}
