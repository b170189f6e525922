import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionControl, type Admission } from './admission';
import { isAdmissionControlled } from './proxy';

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function admitted(entry: Admission | Promise<Admission>): Promise<() => void> {
  const a = await entry;
  assert.equal(a.admitted, true);
  return (a as Extract<Admission, { admitted: true }>).release;
}

describe('admission control (ST-6)', () => {
  it('admits up to the concurrency at once, queues the next ones, refuses beyond the queue at once', async () => {
    const ac = new AdmissionControl({ concurrency: 2, queueLimit: 2, maxWaitMs: 10_000 });
    const r1 = await admitted(ac.enter());
    const r2 = await admitted(ac.enter());
    const q1 = ac.enter();
    const q2 = ac.enter();
    assert.ok(q1 instanceof Promise && q2 instanceof Promise, 'the third and fourth wait in line');
    const refused = ac.enter();
    assert.ok(!(refused instanceof Promise), 'the fifth is answered synchronously');
    assert.equal(refused.admitted, false);
    assert.equal((refused as Extract<Admission, { admitted: false }>).reason, 'queue-full');
    assert.ok((refused as Extract<Admission, { admitted: false }>).retryAfterSeconds >= 1);
    assert.deepEqual(ac.load, { inFlight: 2, queued: 2 });

    // Releasing hands the slot to the first in line, in order.
    const order: string[] = [];
    void q1.then(() => order.push('q1'));
    void q2.then(() => order.push('q2'));
    r1();
    await settle();
    assert.deepEqual(order, ['q1']);
    r1(); // a second release of the same slot changes nothing
    await settle();
    assert.deepEqual(order, ['q1']);
    r2();
    await settle();
    assert.deepEqual(order, ['q1', 'q2']);
    assert.deepEqual(ac.load, { inFlight: 2, queued: 0 });
    (await admitted(q1))();
    (await admitted(q2))();
    assert.deepEqual(ac.load, { inFlight: 0, queued: 0 });
    await admitted(ac.enter());
  });

  it('a newcomer does not overtake those in line', async () => {
    const ac = new AdmissionControl({ concurrency: 1, queueLimit: 5, maxWaitMs: 10_000 });
    const r1 = await admitted(ac.enter());
    const queued = ac.enter();
    r1();
    // The slot went to the waiter: a newcomer now has to queue too.
    const newcomer = ac.enter();
    assert.ok(newcomer instanceof Promise);
    (await admitted(queued))();
    (await admitted(newcomer))();
  });

  it('refuses a request still in line after the give-up time (services stalled), with a Retry-After, and forgets it', async () => {
    const ac = new AdmissionControl({ concurrency: 1, queueLimit: 5, maxWaitMs: 10, giveUpMs: 30 });
    const r1 = await admitted(ac.enter());
    const started = performance.now();
    const late = await ac.enter();
    assert.equal(late.admitted, false);
    assert.equal((late as Extract<Admission, { admitted: false }>).reason, 'waited-too-long');
    assert.ok(performance.now() - started >= 25);
    assert.deepEqual(ac.load, { inFlight: 1, queued: 0 });
    r1();
    assert.deepEqual(ac.load, { inFlight: 0, queued: 0 }, 'the slot is not handed to the request that left');
    assert.deepEqual(ac.stats, { admitted: 1, queued: 1, refusedQueueFull: 0, refusedWaitedTooLong: 1 });
  });

  it('estimates Retry-After from the recent completion rate and the requests ahead', async () => {
    const ac = new AdmissionControl({ concurrency: 1, queueLimit: 1000, maxWaitMs: 60_000 });
    assert.equal(ac.retryAfterSeconds(), 1, 'no history: one second');
    // 11 completions over about 100 ms: about 100 per second.
    for (let i = 0; i < 11; i++) {
      (await admitted(ac.enter()))();
      await new Promise((r) => setTimeout(r, 10));
    }
    const hold = await admitted(ac.enter());
    const line = Array.from({ length: 400 }, () => ac.enter());
    const seconds = ac.retryAfterSeconds();
    assert.ok(seconds >= 2 && seconds <= 8, `401 ahead at ~100/s → about 4 s, got ${seconds}`);
    hold();
    for (const entry of line) (await admitted(entry))();
    assert.deepEqual(ac.load, { inFlight: 0, queued: 0 });
  });

  it('applies to registration changes, not to reads, streams or admin paths', () => {
    assert.equal(isAdmissionControlled('POST', '/api/v1/exam/registrations/1/order'), true);
    assert.equal(isAdmissionControlled('PUT', '/api/v1/exam/registrations/1/city'), true);
    assert.equal(isAdmissionControlled('POST', '/api/v1/exam/periods/p/registrations'), true);
    assert.equal(isAdmissionControlled('POST', '/api/v1/payment/orders/o/payments'), true);
    assert.equal(isAdmissionControlled('GET', '/api/v1/exam/periods/p/availability/stream'), false);
    assert.equal(isAdmissionControlled('GET', '/api/v1/exam/registrations/1'), false);
    assert.equal(isAdmissionControlled('POST', '/api/v1/exam/admin/periods'), false);
    assert.equal(isAdmissionControlled('POST', '/api/v1/identity/sessions'), false);
    assert.equal(isAdmissionControlled('POST', '/api/v1/payment/notifications/sandbox'), false);
  });
});

describe('admission control: refusals never wait', () => {
  it('refuses at once a place in line that would not come up within the longest wait', async () => {
    const ac = new AdmissionControl({ concurrency: 1, queueLimit: 1000, maxWaitMs: 100 });
    // About 100 completions per second: a slot every ~10 ms.
    for (let i = 0; i < 12; i++) {
      const a = await ac.enter();
      assert.equal(a.admitted, true);
      await new Promise((r) => setTimeout(r, 10));
      (a as Extract<Admission, { admitted: true }>).release();
    }
    const hold = await ac.enter();
    assert.equal(hold.admitted, true);
    const line: Array<Promise<Admission>> = [];
    let refusedAt = -1;
    for (let i = 0; i < 50; i++) {
      const entry = ac.enter();
      if (!(entry instanceof Promise)) {
        assert.equal(entry.admitted, false);
        refusedAt = i;
        break;
      }
      line.push(entry);
    }
    // 100 ms at ~10 ms per slot: roughly the 10th in line is the first one refused, synchronously.
    assert.ok(refusedAt >= 5 && refusedAt <= 15, `refused from place ${refusedAt + 1}`);
    (hold as Extract<Admission, { admitted: true }>).release();
    for (const entry of line) {
      const a = await entry;
      if (a.admitted) a.release();
    }
  });
});
