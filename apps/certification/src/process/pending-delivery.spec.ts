import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@certhub/logging';
import { PendingDelivery } from './pending-delivery';

interface Row {
  id: string;
  version: number;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Pending cases as the database keeps them (id → version of the change): a case stays pending
 * until the version its delivery read was delivered. Deliveries wait for `release()`, so the test
 * decides when they end.
 */
class FakeDelivery extends PendingDelivery<Row> {
  protected readonly logger = new Logger('test', 'error');
  protected readonly notDelivered = 'not delivered';
  readonly pending = new Map<string, number>();
  /** `id@version` of every delivery made (or tried). */
  readonly calls: string[] = [];
  private gates: Array<() => void> = [];
  failNext = false;

  protected async pendingRow(id: string): Promise<Row | undefined> {
    const version = this.pending.get(id);
    return version === undefined ? undefined : { id, version };
  }

  protected async pendingIds(limit: number): Promise<string[]> {
    return [...this.pending.keys()].slice(0, limit);
  }

  protected async deliverRow(row: Row): Promise<void> {
    this.calls.push(`${row.id}@${row.version}`);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('temporal unavailable');
    }
    if (this.pending.get(row.id) === row.version) this.pending.delete(row.id);
  }

  /** Lets every delivery waiting so far finish. */
  async release(): Promise<void> {
    await tick();
    for (const open of this.gates.splice(0)) open();
    await tick();
  }
}

describe('pending delivery', () => {
  it('the loop waits for a request delivering the same case instead of delivering it again', async () => {
    const d = new FakeDelivery();
    d.pending.set('a', 1).set('b', 1);
    const request = d.deliver('a');
    await tick();
    const loop = d.deliverPending();
    await d.release();
    await d.release();
    assert.equal(await request, true);
    assert.equal(await loop, 1, 'the loop delivered only b');
    assert.deepEqual(d.calls.sort(), ['a@1', 'b@1']);
    assert.equal(d.pending.size, 0);
  });

  it('a case a request delivered after the loop read it is not delivered again', async () => {
    const d = new FakeDelivery();
    d.pending.set('a', 1).set('b', 1);
    const request = d.deliver('b');
    await tick();
    // The loop reads a and b (b still pending) and delivers a first; b's request ends meanwhile.
    const loop = d.deliverPending();
    await d.release();
    await d.release();
    await request;
    assert.equal(await loop, 1);
    assert.deepEqual(d.calls.sort(), ['a@1', 'b@1'], 'b delivered once');
  });

  it('a request for a case the loop is delivering answers once that delivery is done, without a second one', async () => {
    const d = new FakeDelivery();
    d.pending.set('a', 1);
    const loop = d.deliverPending();
    await tick();
    let answered = false;
    const request = d.deliver('a').then((ok) => {
      answered = true;
      return ok;
    });
    await tick();
    assert.equal(answered, false, 'waits for the delivery under way');
    await d.release();
    assert.equal(await request, true);
    assert.equal(await loop, 1);
    assert.deepEqual(d.calls, ['a@1']);
  });

  it('a change made while a delivery is under way goes out right after it', async () => {
    const d = new FakeDelivery();
    d.pending.set('a', 1);
    const start = d.deliver('a');
    await tick();
    // The applicant withdraws while the start is being delivered.
    d.pending.set('a', 2);
    const withdraw = d.deliver('a');
    await d.release();
    await d.release();
    assert.deepEqual([await start, await withdraw], [true, true]);
    assert.deepEqual(d.calls, ['a@1', 'a@2']);
    assert.equal(d.pending.size, 0);
  });

  it('a failed delivery stays pending and wakes the loop, whose next read delivers it', async () => {
    const d = new FakeDelivery();
    let woken = 0;
    d.onPending = () => (woken += 1);
    d.pending.set('a', 1);
    d.failNext = true;
    const request = d.deliver('a');
    await d.release();
    assert.equal(await request, false);
    assert.equal(woken, 1);
    const loop = d.deliverPending();
    await d.release();
    assert.equal(await loop, 1);
    assert.deepEqual(d.calls, ['a@1', 'a@1']);
    assert.equal(d.pending.size, 0);
  });
});
