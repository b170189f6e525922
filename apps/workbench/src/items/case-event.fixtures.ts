import { randomInt, randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { caseChangedTopic, type CaseChangedV1, type CaseDomain, type EventEnvelope } from '@certhub/contracts';

/**
 * Test support: case events as a domain service would publish them, sent straight to Kafka so
 * the workbench's projection picks them up like in production.
 */

/** A 14-digit business number unlikely to repeat across test runs. */
export function randomBusinessNo(): string {
  return Array.from({ length: 14 }, () => String(randomInt(0, 10))).join('');
}

export type CaseData = CaseChangedV1;

/** A valid `case.changed` payload; override what the test is about. */
export function caseData(overrides: Partial<CaseChangedV1> & Pick<CaseChangedV1, 'applicantId'>): CaseChangedV1 {
  const domain = overrides.domain ?? 'certification';
  const caseId = overrides.caseId ?? randomUUID();
  return {
    domain,
    caseType: 'cert-registration',
    caseId,
    businessNo: randomBusinessNo(),
    itemName: '人员注册申请',
    itemNameEn: 'Personnel registration application',
    institutionId: null,
    stage: 'institution-review',
    stageName: '机构初核',
    stageNameEn: 'Institution review',
    status: 'active',
    result: null,
    milestone: null,
    opinion: null,
    version: 1,
    changedAt: new Date().toISOString(),
    submittedAt: null,
    dueAt: null,
    clockPaused: false,
    workflowId: null,
    link: `/api/v1/${domain}/cases/${caseId}`,
    ...overrides,
  };
}

export function caseEnvelope(data: CaseChangedV1, overrides: Partial<EventEnvelope<CaseChangedV1>> = {}): EventEnvelope<CaseChangedV1> {
  return {
    eventId: randomUUID(),
    type: caseChangedTopic(data.domain),
    occurredAt: data.changedAt,
    producer: 'workbench-test',
    subjectId: data.caseId,
    actorId: data.applicantId,
    correlationId: randomUUID(),
    data,
    ...overrides,
  };
}

/** Sends case events (and deliberately broken ones) to the case topics. */
export class CaseEventSender {
  private constructor(private readonly producer: Producer) {}

  static async connect(brokers: string[]): Promise<CaseEventSender> {
    const kafka = new Kafka({ clientId: 'workbench-test-sender', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    await producer.connect();
    return new CaseEventSender(producer);
  }

  /** Sends the events in order (one send per topic keeps their order within a case). */
  async send(...events: Array<EventEnvelope<CaseChangedV1>>): Promise<void> {
    for (const e of events) {
      await this.producer.send({ topic: e.type, acks: -1, messages: [{ key: e.data.caseId, value: JSON.stringify(e) }] });
    }
  }

  /** Sends any value to a case topic under a key (compacted topics refuse messages without one). */
  async sendRaw(domain: CaseDomain, key: string, value: string): Promise<void> {
    await this.producer.send({ topic: caseChangedTopic(domain), acks: -1, messages: [{ key, value }] });
  }

  async stop(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
