import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { testEnvironment } from '@certhub/testing';
import { businessHour, nextBusinessNumber } from './business-number';
import { serviceDataSourceOptions } from './data-source';

describe('business numbers under concurrency (yyyyMMddHH + 4-digit sequence)', () => {
  const schema = `bn_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let ds: DataSource;

  before(async () => {
    const setup = new Client({ connectionString: testEnvironment().databaseUrl });
    await setup.connect();
    await setup.query(`CREATE SCHEMA "${schema}"`);
    await setup.end();
    ds = await new DataSource(serviceDataSourceOptions({ url: testEnvironment().databaseUrl, schema, entities: [], migrations: [], poolSize: 20 })).initialize();
    await ds.synchronize();
  });
  after(async () => {
    await ds?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await ds?.destroy();
  });

  it('issues 300 distinct, gap-free numbers to concurrent transactions in one hour', async () => {
    const at = new Date('2026-03-02T01:30:00Z');
    const numbers = await Promise.all(Array.from({ length: 300 }, () => ds.transaction((m) => nextBusinessNumber(m, at))));
    assert.equal(new Set(numbers).size, 300);
    for (const n of numbers) assert.match(n, /^2026030209\d{4}$/);
    const seqs = numbers.map((n) => Number(n.slice(10))).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('starts a new sequence in the next hour (China time) and keeps a rolled-back number unused', async () => {
    const next = await ds.transaction((m) => nextBusinessNumber(m, new Date('2026-03-02T02:00:00Z')));
    assert.equal(next, `${businessHour(new Date('2026-03-02T02:00:00Z'))}0001`);
    await assert.rejects(
      ds.transaction(async (m) => {
        await nextBusinessNumber(m, new Date('2026-03-02T02:10:00Z'));
        throw new Error('the surrounding change failed');
      }),
    );
    const after = await ds.transaction((m) => nextBusinessNumber(m, new Date('2026-03-02T02:20:00Z')));
    assert.equal(after, '20260302100002');
  });

  it('refuses to issue a fifth digit of sequence', async () => {
    const at = new Date('2026-03-03T03:00:00Z');
    await ds.query(`INSERT INTO business_number_counter (hour, seq) VALUES ($1, 9999)`, [businessHour(at)]);
    await assert.rejects(ds.transaction((m) => nextBusinessNumber(m, at)), /exhausted/);
  });
});
