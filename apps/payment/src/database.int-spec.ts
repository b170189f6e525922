import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeServiceSchema } from '@certhub/testing';
import { database } from './database';

describeServiceSchema('payment', database, ['payment_order', 'payment', 'outbox_message', 'processed_event'], (ds) => {
  it('allows one open payment per order (partial unique index)', async () => {
    const order = '00000000-0000-4000-8000-' + String(Date.now()).padStart(12, '0').slice(-12);
    const insert = (id: string) =>
      ds().query(`INSERT INTO payment (id, order_id, provider, amount_fen, status, pay_url) VALUES ($1, $2, 'sandbox', 1, 'open', '')`, [id, order]);
    await insert(crypto.randomUUID());
    await assert.rejects(insert(crypto.randomUUID()), /ux_payment_open_per_order/);
    await ds().query(`DELETE FROM payment WHERE order_id = $1`, [order]);
  });
});
