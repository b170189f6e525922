import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Partitioners, type Producer } from 'kafkajs';
import { CertificationTopics, IdentityTopics } from '@certhub/contracts';
import { createKafka } from '@certhub/messaging';
import { eventually, KafkaProbe, testEnvironment } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';
import { InstitutionService } from './institution.service';

type CertificationTopic = (typeof CertificationTopics)[keyof typeof CertificationTopics];

/** 18-character unified social credit codes that pass the format check. */
const creditCode = () => `91310000${Array.from({ length: 9 }, () => 'ABCDEFGHJKLMNPQRTUWXY0123456789'[Math.floor(Math.random() * 31)]).join('')}X`;

/**
 * ADR 0016: what the certification service decides about a person reaches identity through its
 * events on the real Kafka: a certificate issued or cancelled (`certified`), an expert appointed
 * (`expert`), a transfer approved (the practising institution).
 */
describe('roles and institution earned in other domains (certificates, expert appointments, transfers)', () => {
  let h: IdentityHarness;
  let producer: Producer;
  let probe: KafkaProbe;

  before(async () => {
    h = await IdentityHarness.start();
    producer = createKafka({ clientId: 'earned-roles-test', brokers: testEnvironment().kafkaBrokers }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([IdentityTopics.RolesChanged, IdentityTopics.AccountChanged]);
  });
  after(async () => {
    await probe?.stop();
    await producer?.disconnect();
    await h?.stop();
  });

  interface Sent {
    eventId: string;
    /** Sends the very same message again: a redelivery. */
    redeliver: () => Promise<unknown>;
  }

  /** Publishes a certification event as the certification service's relay would (key: the person). */
  const publish = async (topic: CertificationTopic, personId: string, data: Record<string, unknown>, options: { key?: string; occurredAt?: Date } = {}): Promise<Sent> => {
    const eventId = randomUUID();
    const message = {
      key: options.key ?? personId,
      value: JSON.stringify({
        eventId,
        type: topic,
        occurredAt: (options.occurredAt ?? new Date()).toISOString(),
        producer: 'certification',
        subjectId: personId,
        actorId: null,
        correlationId: null,
        data: { personId, ...data },
      }),
    };
    const send = () => producer.send({ topic, messages: [message] });
    await send();
    return { eventId, redeliver: send };
  };

  const issued = (personId: string, options: { key?: string; occurredAt?: Date } = {}) =>
    publish(
      CertificationTopics.CertificateIssued,
      personId,
      {
        certificateId: randomUUID(),
        certificateNo: 'QMS-20261124300001',
        applicationId: randomUUID(),
        applicationType: 'system-auditor',
        grade: 'trainee',
        field: 'QMS',
        institutionId: null,
        issuedAt: '2026-11-24T10:00:00.000Z',
        validUntil: '2029-11-24T10:00:00.000Z',
      },
      options,
    );
  const cancelled = (personId: string, stillCertified: boolean, options: { key?: string; occurredAt?: Date } = {}) =>
    publish(
      CertificationTopics.CertificateCancelled,
      personId,
      { certificateId: randomUUID(), certificateNo: 'QMS-20261124300002', caseId: randomUUID(), cancelledAt: (options.occurredAt ?? new Date()).toISOString(), stillCertified },
      options,
    );
  const appointed = (personId: string, options: { key?: string } = {}) =>
    publish(CertificationTopics.ExpertAppointed, personId, { caseId: randomUUID(), fields: ['QMS', 'EMS'], appointedAt: new Date().toISOString() }, options);
  const transferred = (personId: string, toInstitutionId: string, fromInstitutionId: string | null = null, options: { key?: string } = {}) =>
    publish(
      CertificationTopics.PersonTransferred,
      personId,
      { caseId: randomUUID(), fromInstitutionId, toInstitutionId, certificateIds: [randomUUID()], transferredAt: new Date().toISOString() },
      options,
    );

  /** Waits until identity's roles consumer has handled (committed) the event. */
  const handled = (sent: Sent) =>
    eventually(async () => (await h.dataSource.query('SELECT 1 FROM processed_event WHERE event_id = $1', [sent.eventId])).length === 1, {
      what: `event ${sent.eventId} handled`,
      timeoutMs: 30_000,
    });
  const account = async (id: string): Promise<{ roles: string[]; institution_id: string | null }> =>
    (await h.dataSource.query(`SELECT roles, institution_id FROM account WHERE id = $1`, [id]))[0];
  const roles = async (id: string): Promise<string[]> => (await account(id)).roles;
  /** Identity's own events about the account, as written to its outbox (a redelivery must add none). */
  const outboxCount = async (topic: string, accountId: string): Promise<number> =>
    Number((await h.dataSource.query(`SELECT count(*)::int AS n FROM outbox_message WHERE topic = $1 AND message_key = $2`, [topic, accountId]))[0].n);
  const newInstitution = async () =>
    (await h.app.get(InstitutionService).create({ name: `转入机构${randomUUID().slice(0, 8)}`, creditCode: creditCode(), kind: 'certification' }, null)).id;

  it('grants certified once (a redelivery or a second certificate changes nothing) and announces the roles', async () => {
    const person = await h.registerAndLogin();
    assert.deepEqual(await roles(person.id), ['personal']);
    const first = await issued(person.id);
    await eventually(async () => (await roles(person.id)).includes('certified'), { what: 'certified role', timeoutMs: 30_000 });
    const event = await probe.waitFor((m) => m.topic === IdentityTopics.RolesChanged && m.key === person.id);
    assert.deepEqual((event.value as { data: { roles: string[] } }).data.roles, ['personal', 'certified']);
    await first.redeliver();
    await issued(person.id);
    const later = await h.registerAndLogin();
    await issued(later.id);
    await eventually(async () => (await roles(later.id)).includes('certified'), { what: 'second person certified', timeoutMs: 30_000 });
    await handled(await issued(randomUUID(), { key: person.id }));
    assert.deepEqual(await roles(person.id), ['personal', 'certified']);
    assert.equal(await outboxCount(IdentityTopics.RolesChanged, person.id), 1);
  });

  it('a cancelled certificate takes certified away unless another one is still valid; a redelivery does not repeat it', async () => {
    const person = await h.registerAndLogin();
    await handled(await issued(person.id));
    assert.deepEqual(await roles(person.id), ['personal', 'certified']);

    // The person holds another valid certificate: certified stays, nothing is announced.
    await handled(await cancelled(person.id, true));
    assert.deepEqual(await roles(person.id), ['personal', 'certified']);
    assert.equal(await outboxCount(IdentityTopics.RolesChanged, person.id), 1);

    // The last one cancelled: certified goes, and the change is announced.
    const last = await cancelled(person.id, false);
    await handled(last);
    assert.deepEqual(await roles(person.id), ['personal']);
    const dropped = await probe.waitFor((m) => m.topic === IdentityTopics.RolesChanged && m.key === person.id && !(m.value as { data: { roles: string[] } }).data.roles.includes('certified'));
    assert.deepEqual((dropped.value as { data: { roles: string[]; institutionId: string | null } }).data, { accountId: person.id, roles: ['personal'], institutionId: null });

    // A new certificate later; then the old cancellation is delivered again: it changes nothing.
    await handled(await issued(person.id));
    assert.deepEqual(await roles(person.id), ['personal', 'certified']);
    await last.redeliver();
    await handled(await cancelled(randomUUID(), false, { key: person.id }));
    assert.deepEqual(await roles(person.id), ['personal', 'certified']);
    assert.equal(await outboxCount(IdentityTopics.RolesChanged, person.id), 3);
  });

  it('a cancellation produced before the newest certificate but handled after it does not undo it (two topics, no order between them)', async () => {
    const person = await h.registerAndLogin();
    const issuedAt = new Date();
    await handled(await issued(person.id, { occurredAt: issuedAt }));
    await handled(await cancelled(person.id, false, { occurredAt: new Date(issuedAt.getTime() - 60_000) }));
    assert.deepEqual(await roles(person.id), ['personal', 'certified']);
    // Cancellations produced later do count.
    await handled(await cancelled(person.id, false, { occurredAt: new Date(issuedAt.getTime() + 1_000) }));
    assert.deepEqual(await roles(person.id), ['personal']);
  });

  it('an approved expert application grants expert once; one granted by the admin already stays as it is', async () => {
    const person = await h.registerAndLogin();
    const appointment = await appointed(person.id);
    await handled(appointment);
    assert.deepEqual(await roles(person.id), ['personal', 'expert']);
    const event = await probe.waitFor((m) => m.topic === IdentityTopics.RolesChanged && m.key === person.id);
    assert.deepEqual((event.value as { data: { roles: string[] } }).data.roles, ['personal', 'expert']);
    await appointment.redeliver();
    await handled(await appointed(person.id));
    await handled(await appointed(randomUUID(), { key: person.id }));
    assert.deepEqual(await roles(person.id), ['personal', 'expert']);
    assert.equal(await outboxCount(IdentityTopics.RolesChanged, person.id), 1);

    const byHand = await h.registerAndLogin();
    const admin = await h.staffToken(['admin', 'staff']);
    const granted = await h.request('POST', `/api/v1/identity/admin/accounts/${byHand.id}/roles`, { token: admin.accessToken, body: { role: 'expert' } });
    assert.ok(granted.status === 200 || granted.status === 201, JSON.stringify(granted.body));
    await handled(await appointed(byHand.id));
    assert.deepEqual(await roles(byHand.id), ['personal', 'expert']);
    assert.equal(await outboxCount(IdentityTopics.RolesChanged, byHand.id), 1);
  });

  it('an approved transfer moves the person to the new institution: profile, roles-changed (the workbench directory) and account-changed', async () => {
    const person = await h.registerAndLogin();
    await handled(await issued(person.id));
    const from = await newInstitution();
    const to = await newInstitution();
    await handled(await transferred(person.id, from));
    assert.equal((await account(person.id)).institution_id, from);

    const move = await transferred(person.id, to, from);
    await handled(move);
    assert.deepEqual(await account(person.id), { roles: ['personal', 'certified'], institution_id: to });
    const me = await h.request<{ institutionId: string | null; roles: string[] }>('GET', '/api/v1/identity/me', { token: person.accessToken });
    assert.equal(me.body.institutionId, to);
    const rolesEvent = await probe.waitFor((m) => m.topic === IdentityTopics.RolesChanged && m.key === person.id && (m.value as { data: { institutionId: string | null } }).data.institutionId === to);
    assert.deepEqual((rolesEvent.value as { data: unknown }).data, { accountId: person.id, roles: ['personal', 'certified'], institutionId: to });
    const changed = await probe.waitFor((m) => m.topic === IdentityTopics.AccountChanged && m.key === person.id);
    assert.deepEqual((changed.value as { data: unknown }).data, { accountId: person.id, changed: ['institutionId'] });

    // A token issued after the move carries the new institution.
    const fresh = await h.login(person.body.username as string, person.body.password as string);
    const claims = JSON.parse(Buffer.from(fresh.accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { institutionId: string | null };
    assert.equal(claims.institutionId, to);

    // A redelivery, and a transfer to an institution identity does not know, change nothing.
    const before = await outboxCount(IdentityTopics.RolesChanged, person.id);
    await move.redeliver();
    await handled(await transferred(person.id, randomUUID(), to));
    assert.equal((await account(person.id)).institution_id, to);
    assert.equal(await outboxCount(IdentityTopics.RolesChanged, person.id), before);
    assert.equal(await outboxCount(IdentityTopics.AccountChanged, person.id), 2);
  });

  it('an account identity does not know, or not a personal one, is skipped for every event', async () => {
    const staff = await h.staffToken(['staff']);
    const institution = await newInstitution();
    const marker = await h.registerAndLogin();
    // Same partition key: the marker's events are handled after the skipped ones.
    for (const personId of [staff.id, randomUUID()]) {
      await issued(personId, { key: marker.id });
      await appointed(personId, { key: marker.id });
      await transferred(personId, institution, null, { key: marker.id });
      await cancelled(personId, false, { key: marker.id });
    }
    await handled(await issued(marker.id));
    await handled(await appointed(marker.id));
    await handled(await transferred(marker.id, institution));
    await handled(await cancelled(marker.id, true));
    assert.deepEqual(await account(marker.id), { roles: ['personal', 'certified', 'expert'], institution_id: institution });
    assert.deepEqual(await roles(staff.id), ['staff']);
    assert.equal((await account(staff.id)).institution_id, null);
  });
});
