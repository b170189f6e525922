import { createRequire } from 'node:module';

/**
 * KafkaJS 2.2.4 keeps every broker connection's request queue busy while nothing is pending:
 * after each check it arms the next one with the remaining throttle time, which is negative when
 * the connection is not throttled, so the check runs again on the next timer tick, forever
 * (tulios/kafkajs#1556, #1704; unfixed in the release). Six services with a few connections each
 * spent 2 % of a core apiece on it while idle, and under load the loop's timers compete with
 * the requests. ADR 0018.
 *
 * The replacement keeps the queue's contract: a request that cannot go out at once (throttled,
 * or too many in flight) is pending and a check is armed for when the throttle ends (at least
 * the library's 10 ms); a completed or timed-out request checks the queue itself. With nothing
 * pending, no timer is armed.
 */
interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const PATCHED_VERSION = '2.2.4';
/** The library's own interval between checks of a queue with pending requests. */
const CHECK_INTERVAL_MS = 10;
let applied: boolean | null = null;

/** Applies the fix once per process; returns whether it is in effect (false for another KafkaJS version). */
export function fixKafkaIdleRequestQueues(): boolean {
  if (applied !== null) return applied;
  const require = createRequire(__filename);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== PATCHED_VERSION) {
    // Another release may have fixed it or changed the queue: leave that release alone.
    applied = false;
    return applied;
  }
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const delay = Math.max(this.throttledUntil - Date.now(), CHECK_INTERVAL_MS);
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  applied = true;
  return applied;
}
