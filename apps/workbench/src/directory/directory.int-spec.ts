import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Partitioners, type Producer } from 'kafkajs';
import { IdentityTopics } from '@certhub/contracts';
import { createKafka } from '@certhub/messaging';
import { eventually, testEnvironment } from '@certhub/testing';
import { WorkbenchHarness } from '../testing/workbench-harness';
import { mayHold } from './account-directory';

/** The account directory the workbench hands tasks by, fed by identity's events through Kafka. */
describe('account directory from identity events', () => {
  let h: WorkbenchHarness;
  let producer: Producer;

  before(async () => {
    h = await WorkbenchHarness.start({ RUN_WORKER: 'false' });
    producer = createKafka({ clientId: 'directory-test', brokers: testEnvironment().kafkaBrokers }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });
  after(async () => {
    await producer?.disconnect();
    await h?.stop();
  });

  const send = (topic: string, subjectId: string, data: unknown, occurredAt: string) =>
    producer.send({
      topic,
      messages: [{ key: subjectId, value: JSON.stringify({ eventId: randomUUID(), type: topic, occurredAt, producer: 'identity', subjectId, actorId: null, correlationId: null, data }) }],
    });

  it('keeps the newest roles whatever the order of delivery', async () => {
    const accountId = randomUUID();
    const institutionId = randomUUID();
    // The roles change (newer) arrives before the registration (older).
    await send(IdentityTopics.RolesChanged, accountId, { accountId, roles: ['personal', 'expert'], institutionId }, '2026-11-24T10:00:00.000Z');
    await send(IdentityTopics.AccountRegistered, accountId, { accountId, username: 'dir_test', accountType: 'personal', idType: 'resident-id', educationCount: 1, registeredAt: '2026-11-24T09:00:00.000Z' }, '2026-11-24T09:00:00.000Z');
    const row = await eventually(async () => {
      const rows: Array<{ account_type: string; roles: string[]; institution_id: string }> = await h.dataSource.query('SELECT account_type, roles, institution_id FROM directory_account WHERE account_id = $1', [accountId]);
      return rows[0]?.account_type === 'personal' && rows[0].roles.includes('expert') ? rows[0] : undefined;
    }, { what: 'directory entry', timeoutMs: 60_000 });
    assert.deepEqual(row.roles, ['personal', 'expert']);
    assert.equal(row.institution_id, institutionId);
    // An older roles event delivered late does not take the role away again.
    await send(IdentityTopics.RolesChanged, accountId, { accountId, roles: ['personal'], institutionId }, '2026-11-24T09:30:00.000Z');
    const revoked = randomUUID();
    await send(IdentityTopics.RolesChanged, revoked, { accountId: revoked, roles: ['staff'], institutionId: null }, '2026-11-24T09:30:00.000Z');
    await eventually(async () => (await h.dataSource.query('SELECT 1 FROM directory_account WHERE account_id = $1', [revoked])).length === 1, { what: 'later event handled' });
    const after: Array<{ roles: string[] }> = await h.dataSource.query('SELECT roles FROM directory_account WHERE account_id = $1', [accountId]);
    assert.deepEqual(after[0]!.roles, ['personal', 'expert']);
  });

  it('follows a person to another institution: identity announces a transfer (CE-5) as a roles change with the same roles', async () => {
    const accountId = randomUUID();
    const from = randomUUID();
    const to = randomUUID();
    await send(IdentityTopics.RolesChanged, accountId, { accountId, roles: ['personal', 'certified'], institutionId: from }, '2026-11-24T10:00:00.000Z');
    await send(IdentityTopics.RolesChanged, accountId, { accountId, roles: ['personal', 'certified'], institutionId: to }, '2026-11-24T11:00:00.000Z');
    const row = await eventually(async () => {
      const rows: Array<{ roles: string[]; institution_id: string }> = await h.dataSource.query('SELECT roles, institution_id FROM directory_account WHERE account_id = $1', [accountId]);
      return rows[0]?.institution_id === to ? rows[0] : undefined;
    }, { what: 'directory entry at the new institution', timeoutMs: 60_000 });
    assert.deepEqual(row.roles, ['personal', 'certified']);
    // The person now holds institution-scoped tasks of the new institution, not of the old one.
    const entry = { accountId, accountType: 'personal' as const, roles: row.roles, institutionId: row.institution_id, changedAt: new Date() };
    assert.equal(mayHold(entry, { candidateRole: 'certified', candidateInstitutionId: to }), true);
    assert.equal(mayHold(entry, { candidateRole: 'certified', candidateInstitutionId: from }), false);
  });
});
