import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fixKafkaIdleRequestQueues } from './kafkajs-idle-fix';

/** KafkaJS's own request queue class, the one the fix changes. */
interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  maybeThrottle(ms: number): void;
  push(request: { entry: { correlationId: number; apiName: string; apiKey: number; apiVersion: number; resolve(): void; reject(): void }; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
}
const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as new (options: object) => Queue;
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

function queue(maxInFlightRequests: number | null = null): Queue {
  return new RequestQueue({ maxInFlightRequests, requestTimeout: 30000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:1', logger: quietLogger });
}

function request(correlationId: number, sent: number[]) {
  return { entry: { correlationId, apiName: 'Fetch', apiKey: 1, apiVersion: 11, resolve: () => undefined, reject: () => undefined }, expectResponse: true, sendRequest: () => sent.push(correlationId) };
}

describe('fixKafkaIdleRequestQueues', () => {
  it('applies to the KafkaJS release this project pins', () => {
    assert.equal(fixKafkaIdleRequestQueues(), true);
    assert.equal(fixKafkaIdleRequestQueues(), true, 'a second call keeps it in effect');
  });

  it('arms no timer while nothing is pending (the release re-armed one on every check)', () => {
    fixKafkaIdleRequestQueues();
    const q = queue();
    q.checkPendingRequests();
    assert.equal(q.throttleCheckTimeoutId, null);
    const sent: number[] = [];
    q.push(request(1, sent));
    assert.deepEqual(sent, [1], 'an unthrottled request goes out at once');
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    assert.equal(q.throttleCheckTimeoutId, null, 'a completed request leaves no timer behind');
    q.destroy();
  });

  it('sends a request held back by a throttle once the throttle ends', async () => {
    fixKafkaIdleRequestQueues();
    const q = queue();
    const sent: number[] = [];
    q.maybeThrottle(60);
    q.push(request(7, sent));
    assert.deepEqual(sent, [], 'held while throttled');
    assert.notEqual(q.throttleCheckTimeoutId, null, 'a check is armed for the end of the throttle');
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(sent, [], 'still throttled after half the time');
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(sent, [7]);
    assert.equal(q.throttleCheckTimeoutId, null, 'nothing pending any more: no timer');
    q.destroy();
  });

  it('sends a request held back by the in-flight limit when an earlier one completes', async () => {
    fixKafkaIdleRequestQueues();
    const q = queue(1);
    const sent: number[] = [];
    q.push(request(1, sent));
    q.push(request(2, sent));
    assert.deepEqual(sent, [1]);
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    assert.deepEqual(sent, [1, 2]);
    q.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    // The check armed while request 2 waited runs once, finds nothing and arms no other.
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(q.throttleCheckTimeoutId, null);
    q.destroy();
  });
});
