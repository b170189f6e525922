import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@certhub/logging';
import { PendingDelivery } from './pending-delivery';

interface Row {
  id: string;
}

/**
 * A store of pending cases as the database keeps them: a case stays pending until its delivery
 * finished. Deliveries wait for `release()` so the test decides when they end.
 */
class FakeDelivery extends PendingDelivery<Row> {
  protected readonly logger = new Logger('test', 'error');
  protected readonly notDelivered = 'not delivered';
  readonly pending = new Set<string>();
  readonly calls: string[] = [];
  private gates: Array<() => void> = [];
  failNext = false;

  protected async pendingRow(id: string): Promise<Row | undefined> {
    return this.pending.has(id) ? { id } : undefined;
  }

  protected async pendingRows(limit: number): Promise<Row[]> {
    return [...this.pending].slice(0, limit).map((id) => ({ id }));
  }

  protected async deliverRow(row: Row): Promise<void> {
    this.calls.push(row.id);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('temporal unavailable');
    }
    this.pending.delete(row.id);
  }

  /** Lets every delivery waiting so far finish. */
  async release(): Promise<void> {
    // Let the deliveries started just before reach their gate.
    await new Promise((resolve) => setImmediate(resolve));
    for (const open of this.gates.splice(0)) open();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('pending delivery', () => {
  it('the loop passes by a case a request is delivering: one delivery, not two', async () => {
    const d = new FakeDelivery();
    d.pending.add('a');
    d.pending.add('b');
    const request = d.deliver('a');
    await new Promise((resolve) => setImmediate(resolve));
    const loop = d.deliverPending();
    await d.release();
    await d.release();
    assert.equal(await request, true);
    assert.equal(await loop, 1, 'the loop delivered only b');
    assert.deepEqual(d.calls.sort(), ['a', 'b']);
    assert.equal(d.pending.size, 0);
  });

  it('a case whose delivery ended after the loop read it is not delivered again', async () => {
    const d = new FakeDelivery();
    d.pending.add('a');
    d.pending.add('b');
    const request = d.deliver('b');
    await new Promise((resolve) => setImmediate(resolve));
    // The loop reads a and b (b still pending), delivers a first; b's request ends meanwhile.
    const loop = d.deliverPending();
    await d.release();
    await d.release();
    await request;
    assert.equal(await loop, 1);
    assert.deepEqual(d.calls.filter((id) => id === 'b'), ['b'], 'b delivered once');
  });

  it('a request for a case the loop is delivering wakes the loop instead of delivering it twice', async () => {
    const d = new FakeDelivery();
    let woken = 0;
    d.onPending = () => (woken += 1);
    d.pending.add('a');
    const loop = d.deliverPending();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await d.deliver('a'), true);
    await d.release();
    assert.equal(await loop, 1);
    assert.deepEqual(d.calls, ['a']);
    assert.equal(woken, 1);
  });

  it('a failed delivery stays pending: the next read delivers it', async () => {
    const d = new FakeDelivery();
    let woken = 0;
    d.onPending = () => (woken += 1);
    d.pending.add('a');
    d.failNext = true;
    const request = d.deliver('a');
    await d.release();
    assert.equal(await request, false);
    assert.equal(woken, 1);
    const loop = d.deliverPending();
    await d.release();
    assert.equal(await loop, 1);
    assert.deepEqual(d.calls, ['a', 'a']);
    assert.equal(d.pending.size, 0);
  });
});
