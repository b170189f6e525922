import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { testEnvironment } from './test-env';

/** A service's `database.ts` export (`ServiceDatabase` of @certhub/persistence, which tests of that lib use this lib for). */
export interface SchemaUnderTest {
  schema: string;
  create(url: string, poolSize?: number): DataSource;
}

/**
 * The schema test every service has: after all its migrations the entities need no change (a
 * drift fails with the command that generates the missing migration), and the given tables live
 * in the service's own schema. `more` adds the service's own checks on the migrated database.
 */
export function describeServiceSchema(service: string, database: SchemaUnderTest, tables: string[], more?: (ds: () => DataSource) => void): void {
  describe(`${service} schema: entities and migrations agree`, () => {
    let ds: DataSource;
    before(async () => {
      ds = await database.create(testEnvironment().databaseUrl, 2).initialize();
      await ds.query(`CREATE SCHEMA IF NOT EXISTS "${database.schema}"`);
      await ds.runMigrations({ transaction: 'each' });
    });
    after(() => ds?.destroy());

    it('has no pending schema change after all migrations (generate one with npm run db:generate)', async () => {
      const up = (await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
      assert.deepEqual(up, [], `entities drifted from migrations; run: npm run db:generate -- ${service} <Name>\n${up.join('\n')}`);
    });

    it('keeps its tables in its own schema', async () => {
      const rows: Array<{ table_name: string }> = await ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2::text[]) ORDER BY table_name`,
        [database.schema, tables],
      );
      assert.deepEqual(rows.map((r) => r.table_name), [...tables].sort());
    });

    more?.(() => ds);
  });
}
