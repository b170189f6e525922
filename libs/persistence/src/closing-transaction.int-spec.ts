import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { testEnvironment } from '@certhub/testing';
import { transactionClosingWith } from './closing-transaction';
import { serviceDataSourceOptions } from './data-source';
import { OutboxWriter } from './outbox';

describe('a transaction whose last statement travels with COMMIT; outbox entries in one statement', () => {
  const schema = `ct_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let ds: DataSource;

  before(async () => {
    const setup = new Client({ connectionString: testEnvironment().databaseUrl });
    await setup.connect();
    await setup.query(`CREATE SCHEMA "${schema}"`);
    await setup.end();
    ds = await new DataSource(serviceDataSourceOptions({ url: testEnvironment().databaseUrl, schema, entities: [], migrations: [], poolSize: 2 })).initialize();
    await ds.query(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL CHECK (n <= 3))`);
    await ds.query(`CREATE TABLE note (id serial PRIMARY KEY, text text NOT NULL)`);
    await ds.query(`INSERT INTO counter VALUES (1, 0)`);
  });
  after(async () => {
    await ds?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await ds?.destroy();
  });

  it('commits the body and the closing statement together', async () => {
    const result = await transactionClosingWith(ds, async (m) => {
      await m.query(`INSERT INTO note (text) VALUES ($1)`, ['first']);
      return { closing: `UPDATE counter SET n = n + 1 WHERE id = 1`, result: 'done' };
    });
    assert.equal(result, 'done');
    assert.deepEqual(await ds.query(`SELECT n FROM counter`), [{ n: 1 }]);
    assert.deepEqual(await ds.query(`SELECT text FROM note`), [{ text: 'first' }]);
  });

  it('rolls everything back when the closing statement fails, and the connections stay usable', async () => {
    for (let i = 0; i < 4; i++) {
      await assert.rejects(
        transactionClosingWith(ds, async (m) => {
          await m.query(`INSERT INTO note (text) VALUES ($1)`, [`lost ${i}`]);
          return { closing: `UPDATE counter SET n = n + 3 WHERE id = 1`, result: null };
        }),
        (err: { driverError?: { code?: string } }) => err.driverError?.code === '23514',
      );
    }
    assert.deepEqual(await ds.query(`SELECT n FROM counter`), [{ n: 1 }]);
    assert.deepEqual(await ds.query(`SELECT text FROM note ORDER BY id`), [{ text: 'first' }]);
    // Both pooled connections were used by failed transactions: neither is left inside one.
    const states = await Promise.all([ds.query(`SELECT now() = statement_timestamp() AS fresh`), ds.query(`SELECT now() = statement_timestamp() AS fresh`)]);
    for (const [row] of states) assert.equal(row.fresh, true);
  });

  it('rolls back when the body throws, without running the closing statement', async () => {
    await assert.rejects(
      transactionClosingWith(ds, async (m) => {
        await m.query(`INSERT INTO note (text) VALUES ($1)`, ['also lost']);
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.deepEqual(await ds.query(`SELECT count(*)::int AS n FROM note`), [{ n: 1 }]);
  });

  it('appends several outbox entries in order in one statement', async () => {
    await ds.query(
      `CREATE TABLE outbox_message (id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, topic text NOT NULL, message_key text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)`,
    );
    const writer = new OutboxWriter('test', schema);
    const listener = new Client({ connectionString: testEnvironment().databaseUrl });
    await listener.connect();
    const woken: string[] = [];
    listener.on('notification', (n) => woken.push(n.channel));
    await listener.query(`LISTEN "outbox_${schema}"`);
    const subjects = Array.from({ length: 5 }, () => randomUUID());
    const envelopes = await ds.transaction((m) =>
      writer.appendAll(
        m,
        subjects.map((accountId) => ({
          topic: 'identity.session.revoked.v1' as const,
          subjectId: accountId,
          data: { accountId, sessionIds: [randomUUID()], reason: 'logout' as const, revokedAt: new Date().toISOString() },
        })),
      ),
    );
    const rows = await ds.query(`SELECT event_id, message_key, payload FROM outbox_message ORDER BY id`);
    assert.deepEqual(rows.map((r: { message_key: string }) => r.message_key), subjects);
    assert.deepEqual(rows.map((r: { event_id: string }) => r.event_id), envelopes.map((e) => e.eventId));
    assert.equal(rows[0].payload.type, 'identity.session.revoked.v1');
    // The relay is woken once, at commit.
    for (let i = 0; i < 50 && woken.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(woken, [`outbox_${schema}`]);
    await listener.end();
    await assert.rejects(
      ds.transaction((m) => writer.appendAll(m, [{ topic: 'identity.session.revoked.v1', subjectId: 'x', data: { accountId: 'not-a-uuid' } as never }])),
      /refusing to write an invalid/,
    );
    assert.equal((await ds.query(`SELECT count(*)::int AS n FROM outbox_message`))[0].n, 5);
  });
});
