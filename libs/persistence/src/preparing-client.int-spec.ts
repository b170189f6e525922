import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { testEnvironment } from '@certhub/testing';
import { serviceDataSourceOptions } from './data-source';
import { PREPARED_PER_CONNECTION, PreparingClient, statementName } from './preparing-client';

describe('prepared statements per connection against the real PostgreSQL', () => {
  const schema = `pc_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let client: PreparingClient;

  before(async () => {
    client = new PreparingClient({ connectionString: testEnvironment().databaseUrl });
    await client.connect();
    await client.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"; CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)`);
  });
  after(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await client?.end();
  });

  const prepared = async (): Promise<Array<{ name: string; statement: string }>> =>
    (await client.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements')).rows;

  it('prepares a parameterised statement once and runs it again by name, with the right rows', async () => {
    const insert = 'INSERT INTO item (id, name) VALUES ($1, $2) RETURNING name';
    for (let i = 1; i <= 3; i++) assert.deepEqual((await client.query(insert, [i, `n${i}`])).rows, [{ name: `n${i}` }]);
    const mine = (await prepared()).filter((p) => p.statement === insert);
    assert.deepEqual(mine.map((p) => p.name), [statementName(insert)], 'one prepared statement for three calls');
    assert.deepEqual((await client.query('SELECT name FROM item WHERE id = ANY($1::int[]) ORDER BY id', [[1, 3]])).rows, [{ name: 'n1' }, { name: 'n3' }]);
  });

  it('a statement that fails to parse leaves nothing behind; one that fails when run stays usable', async () => {
    const broken = 'SELECT nme FROM item WHERE id = $1';
    await assert.rejects(client.query(broken, [1]), /column "nme" does not exist/);
    await assert.rejects(client.query(broken, [1]), /column "nme" does not exist/, 'parsed again, not "does not exist" as a prepared statement');
    assert.equal((await prepared()).some((p) => p.statement === broken), false);
    const insert = 'INSERT INTO item (id, name) VALUES ($1, $2)';
    await client.query(insert, [10, 'a']);
    await assert.rejects(client.query(insert, [10, 'b']), /duplicate key/);
    await client.query(insert, [11, 'c']);
    assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM item WHERE id >= $1', [10])).rows, [{ n: 2 }]);
  });

  it('statements without parameters go unprepared (several in one text still work)', async () => {
    const before = (await prepared()).length;
    const results = (await client.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as Array<{ rows: unknown[] }>;
    assert.deepEqual(results.map((r) => r.rows), [[{ a: 1 }], [{ b: 2 }]]);
    assert.equal((await prepared()).length, before);
  });

  it(`keeps at most ${PREPARED_PER_CONNECTION} statements per connection; beyond them statements run unnamed`, async () => {
    for (let i = 0; i < PREPARED_PER_CONNECTION + 20; i++) {
      const { rows } = await client.query(`SELECT $1::int + ${i} AS n`, [1]);
      assert.deepEqual(rows, [{ n: 1 + i }]);
    }
    assert.equal((await prepared()).length, PREPARED_PER_CONNECTION);
    // One prepared before the cap is still run by name.
    assert.deepEqual((await client.query('SELECT name FROM item WHERE id = ANY($1::int[]) ORDER BY id', [[2]])).rows, [{ name: 'n2' }]);
    assert.equal((await prepared()).length, PREPARED_PER_CONNECTION);
  });

  it("the services' data sources use it: TypeORM's queries are prepared on the pool's connections", async () => {
    const ds = await new DataSource(serviceDataSourceOptions({ url: testEnvironment().databaseUrl, schema, entities: [], migrations: [] })).initialize();
    try {
      await ds.transaction(async (m) => {
        assert.deepEqual(await m.query('SELECT name FROM item WHERE id = $1', [1]), [{ name: 'n1' }]);
        const names: Array<{ name: string }> = await m.query('SELECT name FROM pg_prepared_statements');
        assert.ok(names.some((n) => n.name === statementName('SELECT name FROM item WHERE id = $1')));
      });
    } finally {
      await ds.destroy();
    }
  });
});
