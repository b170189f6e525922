import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { migrate, pendingSchemaChanges } from '@certhub/persistence';
import { testEnvironment } from '@certhub/testing';
import { database } from './database';

describe('payment schema: entities and migrations agree', () => {
  let ds: DataSource;
  before(async () => {
    ds = await database.create(testEnvironment().databaseUrl, 2).initialize();
    await migrate(ds, database.schema);
  });
  after(() => ds?.destroy());

  it('has no pending schema change after all migrations (generate one with npm run db:generate)', async () => {
    const { up } = await pendingSchemaChanges(ds);
    assert.deepEqual(up, [], `entities drifted from migrations; run: npm run db:generate -- payment <Name>\n${up.join('\n')}`);
  });

  it('allows one open payment per order (partial unique index)', async () => {
    const order = '00000000-0000-4000-8000-' + String(Date.now()).padStart(12, '0').slice(-12);
    const insert = (id: string) =>
      ds.query(`INSERT INTO payment (id, order_id, provider, amount_fen, status, pay_url) VALUES ($1, $2, 'sandbox', 1, 'open', '')`, [id, order]);
    await insert(crypto.randomUUID());
    await assert.rejects(insert(crypto.randomUUID()), /ux_payment_open_per_order/);
    await ds.query(`DELETE FROM payment WHERE order_id = $1`, [order]);
  });
});
