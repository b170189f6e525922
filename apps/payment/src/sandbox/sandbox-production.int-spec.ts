import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PaymentHarness } from '../testing/payment-harness';

describe('sandbox endpoints in production', () => {
  let h: PaymentHarness;
  before(async () => {
    h = await PaymentHarness.start({ CERTHUB_PROFILE: 'production', RUN_WORKER: 'false' });
  });
  after(async () => {
    await h?.stop();
  });

  it('are not mounted (404), while the notify endpoint still refuses unsigned calls', async () => {
    assert.equal((await h.request('GET', '/api/v1/sandbox/payments/switches')).status, 404);
    assert.equal((await h.request('PUT', '/api/v1/sandbox/payments/switches', { body: { name: 'fail-refunds', remaining: 1 } })).status, 404);
    assert.equal((await h.request('POST', '/api/v1/payment/notifications/sandbox', { text: '{}' })).status, 400);
  });
});
