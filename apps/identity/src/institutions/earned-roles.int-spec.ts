import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Partitioners, type Producer } from 'kafkajs';
import { CertificationTopics, IdentityTopics } from '@certhub/contracts';
import { createKafka } from '@certhub/messaging';
import { eventually, KafkaProbe, testEnvironment } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';

/** ADR 0016: a registration certificate issued by the certification service makes the person `certified`. */
describe('roles earned in other domains: certified by a registration certificate', () => {
  let h: IdentityHarness;
  let producer: Producer;
  let probe: KafkaProbe;

  before(async () => {
    h = await IdentityHarness.start();
    producer = createKafka({ clientId: 'earned-roles-test', brokers: testEnvironment().kafkaBrokers }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([IdentityTopics.RolesChanged]);
  });
  after(async () => {
    await probe?.stop();
    await producer?.disconnect();
    await h?.stop();
  });

  const issued = (personId: string, key = personId) =>
    producer.send({
      topic: CertificationTopics.CertificateIssued,
      messages: [
        {
          key,
          value: JSON.stringify({
            eventId: randomUUID(),
            type: CertificationTopics.CertificateIssued,
            occurredAt: new Date().toISOString(),
            producer: 'certification',
            subjectId: personId,
            actorId: null,
            correlationId: null,
            data: {
              certificateId: randomUUID(),
              certificateNo: 'QMS-20261124300001',
              personId,
              applicationId: randomUUID(),
              applicationType: 'system-auditor',
              grade: 'trainee',
              field: 'QMS',
              institutionId: null,
              issuedAt: '2026-11-24T10:00:00.000Z',
              validUntil: '2029-11-24T10:00:00.000Z',
            },
          }),
        },
      ],
    });

  const roles = async (id: string): Promise<string[]> => (await h.dataSource.query(`SELECT roles FROM account WHERE id = $1`, [id]))[0].roles;

  it('grants certified once (a redelivery or a second certificate changes nothing) and announces the roles', async () => {
    const person = await h.registerAndLogin();
    assert.deepEqual(await roles(person.id), ['personal']);
    await issued(person.id);
    await eventually(async () => (await roles(person.id)).includes('certified'), { what: 'certified role', timeoutMs: 30_000 });
    const event = await probe.waitFor((m) => m.topic === IdentityTopics.RolesChanged && m.key === person.id);
    assert.deepEqual((event.value as { data: { roles: string[] } }).data.roles, ['personal', 'certified']);
    await issued(person.id);
    const later = await h.registerAndLogin();
    await issued(later.id);
    await eventually(async () => (await roles(later.id)).includes('certified'), { what: 'second person certified', timeoutMs: 30_000 });
    assert.deepEqual(await roles(person.id), ['personal', 'certified']);
  });

  it('an account identity does not know, or not a personal one, is skipped', async () => {
    const staff = await h.staffToken(['staff']);
    const marker = await h.registerAndLogin();
    // Same partition key: the marker's event is handled after the staff account's.
    await issued(staff.id, marker.id);
    await issued(randomUUID(), marker.id);
    await issued(marker.id);
    await eventually(async () => (await roles(marker.id)).includes('certified'), { what: 'marker certified', timeoutMs: 30_000 });
    assert.deepEqual(await roles(staff.id), ['staff']);
  });
});
