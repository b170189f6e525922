import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { migrate, pendingSchemaChanges } from '@certhub/persistence';
import { testEnvironment } from '@certhub/testing';
import { database } from './database';

describe('certification schema: entities and migrations agree', () => {
  let ds: DataSource;
  before(async () => {
    ds = await database.create(testEnvironment().databaseUrl, 2).initialize();
    await migrate(ds, database.schema);
  });
  after(() => ds?.destroy());

  it('has no pending schema change after all migrations (generate one with npm run db:generate)', async () => {
    const { up } = await pendingSchemaChanges(ds);
    assert.deepEqual(up, [], `entities drifted from migrations; run: npm run db:generate -- certification <Name>\n${up.join('\n')}`);
  });

  it('keeps its tables in its own schema', async () => {
    const rows: Array<{ table_schema: string }> = await ds.query(
      `SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name IN ('application', 'application_record', 'outbox_message')`,
    );
    assert.ok(rows.some((r) => r.table_schema === 'certification'));
  });

  it('refuses a status outside the modelled ones', async () => {
    await assert.rejects(
      ds.query(
        `INSERT INTO application (id, applicant_id, business_no, status, stage) VALUES (gen_random_uuid(), gen_random_uuid(), '20000101000001', 'paused', 'draft')`,
      ),
      /ck_application_status/,
    );
  });
});
