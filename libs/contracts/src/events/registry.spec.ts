import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityTopics } from './identity';
import { CASE_DOMAINS, CaseTopics } from './cases';
import { WorkbenchTopics } from './workbench';
import { ExamTopics } from './exam';
import { PaymentTopics } from './payment';
import { CertificationTopics } from './certification';
import { dlqTopic, eventSchemas, isDateTime, isKnownTopic, validateEvent, type EventValidation } from './registry';

const REGISTERED = IdentityTopics.AccountRegistered;

function registeredEvent(): Record<string, unknown> & { data: Record<string, unknown> } {
  return {
    eventId: '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b',
    type: 'identity.account.registered.v1',
    occurredAt: '2024-05-01T08:00:00.000Z',
    producer: 'identity',
    subjectId: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
    actorId: null,
    correlationId: 'corr-1',
    data: {
      accountId: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
      username: 'zhangsan',
      accountType: 'personal',
      idType: 'resident',
      educationCount: 2,
      registeredAt: '2024-05-01T08:00:00.000Z',
    },
  };
}

function refused(result: EventValidation, pattern: RegExp): void {
  assert.equal(result.ok, false, 'expected a refusal');
  if (!result.ok) assert.match(result.error, pattern);
}

describe('validateEvent: identity.account.registered.v1', () => {
  it('accepts a valid envelope', () => {
    assert.deepEqual(validateEvent(REGISTERED, registeredEvent()), { ok: true });
  });

  it('accepts string actorId and null correlationId', () => {
    assert.deepEqual(validateEvent(REGISTERED, { ...registeredEvent(), actorId: 'acc-9', correlationId: null }), { ok: true });
  });

  it('does not modify the event', () => {
    const event = registeredEvent();
    validateEvent(REGISTERED, event);
    assert.deepEqual(event, registeredEvent());
  });
});

describe('validateEvent: envelope refusals', () => {
  it('refuses a missing eventId', () => {
    const event = registeredEvent();
    delete event.eventId;
    refused(validateEvent(REGISTERED, event), /^envelope .*required property 'eventId'/);
  });

  it('refuses an eventId that is not a uuid', () => {
    refused(validateEvent(REGISTERED, { ...registeredEvent(), eventId: '12345' }), /^envelope .*eventId must match format "uuid"/);
    refused(validateEvent(REGISTERED, { ...registeredEvent(), eventId: 42 }), /^envelope .*eventId/);
  });

  it('refuses every other missing envelope field', () => {
    for (const field of ['type', 'occurredAt', 'producer', 'subjectId', 'actorId', 'correlationId', 'data']) {
      const event = registeredEvent();
      delete event[field];
      refused(validateEvent(REGISTERED, event), new RegExp(`^envelope .*required property '${field}'`));
    }
  });

  it('refuses an extra envelope field', () => {
    refused(validateEvent(REGISTERED, { ...registeredEvent(), partition: 3 }), /^envelope .*must NOT have additional properties/);
  });

  it('refuses a malformed type, occurredAt, producer, subjectId or actorId', () => {
    refused(validateEvent(REGISTERED, { ...registeredEvent(), type: 'AccountRegistered' }), /^envelope .*type must match pattern/);
    refused(validateEvent(REGISTERED, { ...registeredEvent(), occurredAt: 'yesterday' }), /^envelope .*occurredAt must match format "date-time"/);
    refused(validateEvent(REGISTERED, { ...registeredEvent(), producer: '' }), /^envelope .*producer/);
    refused(validateEvent(REGISTERED, { ...registeredEvent(), subjectId: '' }), /^envelope .*subjectId/);
    refused(validateEvent(REGISTERED, { ...registeredEvent(), subjectId: 'x'.repeat(101) }), /^envelope .*subjectId/);
    refused(validateEvent(REGISTERED, { ...registeredEvent(), actorId: 5 }), /^envelope .*actorId/);
  });

  it('checks date-times as RFC 3339 on days that exist', () => {
    for (const ok of ['2026-11-24T08:00:00.000Z', '2026-11-24T16:00:00+08:00', '2024-02-29T00:00:00Z', '2000-02-29T23:59:59.123456Z', '2026-12-31T23:59:59-05:30']) {
      assert.equal(isDateTime(ok), true, ok);
      assert.deepEqual(validateEvent(REGISTERED, { ...registeredEvent(), occurredAt: ok }), { ok: true });
    }
    for (const bad of ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z',
      '2026-11-24T24:00:00Z', '2026-11-24T08:60:00Z', '2026-11-24T08:00:00', '2026-11-24 08:00:00Z', '2026-11-24T08:00:00.Z', '2026-11-24']) {
      assert.equal(isDateTime(bad), false, bad);
      refused(validateEvent(REGISTERED, { ...registeredEvent(), occurredAt: bad }), /^envelope .*occurredAt must match format "date-time"/);
    }
  });

  it('refuses something that is not an object', () => {
    for (const value of [null, undefined, 'event', 42, []]) refused(validateEvent(REGISTERED, value), /^envelope /);
  });

  it('refuses data that is not an object', () => {
    refused(validateEvent(REGISTERED, { ...registeredEvent(), data: 'x' }), /^envelope .*data must be object/);
  });
});

describe('validateEvent: topic refusals', () => {
  it('refuses an event whose type is not the topic it is on', () => {
    assert.deepEqual(validateEvent(IdentityTopics.AccountChanged, registeredEvent()), {
      ok: false,
      error: 'type identity.account.registered.v1 does not match topic identity.account.changed.v1',
    });
  });

  it('refuses an unknown topic even when type and topic agree', () => {
    const topic = 'identity.account.deleted.v1';
    assert.deepEqual(validateEvent(topic, { ...registeredEvent(), type: topic }), { ok: false, error: `unknown topic ${topic}` });
  });

  it('refuses another version of a known topic', () => {
    const topic = 'identity.account.registered.v2';
    assert.deepEqual(validateEvent(topic, { ...registeredEvent(), type: topic }), { ok: false, error: `unknown topic ${topic}` });
  });
});

describe('validateEvent: data refusals', () => {
  it('refuses an extra data field (e.g. a document number that must not travel)', () => {
    const event = registeredEvent();
    event.data.idNumber = '11010519491231002X';
    refused(validateEvent(REGISTERED, event), /^data .*must NOT have additional properties/);
  });

  it('refuses an accountType outside the enum', () => {
    const event = registeredEvent();
    event.data.accountType = 'admin';
    refused(validateEvent(REGISTERED, event), /^data .*accountType must be equal to one of the allowed values/);
  });

  it('refuses each missing data field', () => {
    for (const field of ['accountId', 'username', 'accountType', 'idType', 'educationCount', 'registeredAt']) {
      const event = registeredEvent();
      delete event.data[field];
      refused(validateEvent(REGISTERED, event), new RegExp(`^data .*required property '${field}'`));
    }
  });

  it('refuses a non-uuid accountId, a negative or fractional educationCount and a bad registeredAt', () => {
    const variants: Array<[Record<string, unknown>, RegExp]> = [
      [{ accountId: 'acc-1' }, /accountId must match format "uuid"/],
      [{ educationCount: -1 }, /educationCount must be >= 0/],
      [{ educationCount: 1.5 }, /educationCount must be integer/],
      [{ educationCount: '2' }, /educationCount must be integer/],
      [{ registeredAt: '2024-05-01' }, /registeredAt must match format "date-time"/],
    ];
    for (const [patch, pattern] of variants) {
      const event = registeredEvent();
      Object.assign(event.data, patch);
      refused(validateEvent(REGISTERED, event), pattern);
    }
  });
});

describe('validateEvent: the other identity topics', () => {
  const uuid = 'a3bb189e-8bf9-4888-9912-ace4e6543002';
  const valid: Record<string, Record<string, unknown>> = {
    [IdentityTopics.AccountChanged]: { accountId: uuid, changed: ['phone', 'email'] },
    [IdentityTopics.RolesChanged]: { accountId: uuid, roles: ['auditor'], institutionId: null },
    [IdentityTopics.PhotoAccepted]: { accountId: uuid, bytes: 20480 },
    [IdentityTopics.VerificationChanged]: {
      accountId: uuid,
      status: 'awaiting-staff',
      previousStatus: null,
      workflowId: 'verification-1',
      reason: null,
    },
    [IdentityTopics.InstitutionCreated]: { institutionId: uuid, name: 'CQC', kind: 'certification' },
  };
  const envelope = (topic: string, data: Record<string, unknown>) => ({ ...registeredEvent(), type: topic, data });

  for (const [topic, data] of Object.entries(valid)) {
    it(`accepts a valid ${topic}`, () => {
      assert.deepEqual(validateEvent(topic, envelope(topic, data)), { ok: true });
    });
  }

  it('refuses invalid data of those topics', () => {
    refused(validateEvent(IdentityTopics.PhotoAccepted, envelope(IdentityTopics.PhotoAccepted, { accountId: uuid, bytes: 0 })), /bytes must be >= 1/);
    refused(
      validateEvent(
        IdentityTopics.VerificationChanged,
        envelope(IdentityTopics.VerificationChanged, { ...valid[IdentityTopics.VerificationChanged], status: 'approved' }),
      ),
      /status must be equal to one of the allowed values/,
    );
    refused(
      validateEvent(IdentityTopics.InstitutionCreated, envelope(IdentityTopics.InstitutionCreated, { institutionId: uuid, name: 'X', kind: 'exam' })),
      /kind must be equal to one of the allowed values/,
    );
    refused(
      validateEvent(IdentityTopics.RolesChanged, envelope(IdentityTopics.RolesChanged, { accountId: uuid, roles: ['auditor'] })),
      /required property 'institutionId'/,
    );
  });
});

describe('topics', () => {
  it('every topic of the platform is known and has a schema, and nothing else is', () => {
    const all = [...Object.values(IdentityTopics), ...Object.values(CaseTopics), ...Object.values(WorkbenchTopics), ...Object.values(ExamTopics), ...Object.values(PaymentTopics), ...Object.values(CertificationTopics)];
    for (const topic of all) {
      assert.equal(isKnownTopic(topic), true, topic);
      assert.ok(topic in eventSchemas, topic);
    }
    assert.deepEqual(Object.keys(eventSchemas).sort(), [...all].sort());
    // Every domain that owns cases has its case.changed topic.
    for (const domain of CASE_DOMAINS) assert.ok(isKnownTopic(`${domain}.case.changed.v1`), domain);
  });

  it('isKnownTopic refuses unknown names and Object.prototype keys', () => {
    assert.equal(isKnownTopic('identity.account.deleted.v1'), false);
    assert.equal(isKnownTopic('toString'), false);
    assert.equal(isKnownTopic('__proto__'), false);
  });

  it('dlqTopic appends .dlq', () => {
    assert.equal(dlqTopic('identity.account.registered.v1'), 'identity.account.registered.v1.dlq');
    assert.equal(dlqTopic(IdentityTopics.PhotoAccepted), 'identity.photo.accepted.v1.dlq');
  });
});

describe('certification.certificate.issued.v1', () => {
  const issued = (data: Record<string, unknown>) => ({
    eventId: '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5c',
    type: CertificationTopics.CertificateIssued,
    occurredAt: '2026-11-24T08:00:00.000Z',
    producer: 'certification',
    subjectId: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
    actorId: null,
    correlationId: null,
    data: {
      certificateId: '0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d',
      certificateNo: 'QMS-20261124300001',
      personId: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
      applicationId: '7d1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b',
      applicationType: 'system-auditor',
      grade: 'trainee',
      field: 'QMS',
      institutionId: null,
      issuedAt: '2026-11-24T08:00:00.000Z',
      validUntil: '2029-11-24T08:00:00.000Z',
      ...data,
    },
  });

  it('takes a certificate with or without an institution, refuses personal data and a missing person', () => {
    assert.deepEqual(validateEvent(CertificationTopics.CertificateIssued, issued({})), { ok: true });
    assert.deepEqual(validateEvent(CertificationTopics.CertificateIssued, issued({ institutionId: '0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3e' })), { ok: true });
    assert.equal(validateEvent(CertificationTopics.CertificateIssued, issued({ realName: '张伟' })).ok, false);
    assert.equal(validateEvent(CertificationTopics.CertificateIssued, issued({ personId: 'someone' })).ok, false);
  });
});

