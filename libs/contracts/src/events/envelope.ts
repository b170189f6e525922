/** The envelope of every event on Kafka (docs/architecture.md, "Events"). */
export interface EventEnvelope<T = unknown> {
  eventId: string;
  type: string;
  occurredAt: string;
  producer: string;
  subjectId: string;
  actorId: string | null;
  correlationId: string | null;
  data: T;
}

export const envelopeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'type', 'occurredAt', 'producer', 'subjectId', 'actorId', 'correlationId', 'data'],
  properties: {
    eventId: { type: 'string', format: 'uuid' },
    type: { type: 'string', pattern: '^[a-z]+\\.[a-z-]+\\.[a-z-]+\\.v[0-9]+$' },
    occurredAt: { type: 'string', format: 'date-time' },
    producer: { type: 'string', minLength: 1 },
    subjectId: { type: 'string', minLength: 1, maxLength: 100 },
    actorId: { type: ['string', 'null'] },
    correlationId: { type: ['string', 'null'] },
    data: { type: 'object' },
  },
} as const;
