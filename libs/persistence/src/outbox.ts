import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { validateEvent, type EventDataMap, type EventEnvelope, type Topic } from '@certhub/contracts';
import { currentContext } from '@certhub/logging';

export class InvalidEventError extends Error {
  constructor(topic: string, reason: string) {
    super(`refusing to write an invalid ${topic} event: ${reason}`);
  }
}

export interface OutboxEntry<T extends Topic> {
  topic: T;
  /** Aggregate id: the Kafka key and the envelope's subjectId. */
  subjectId: string;
  data: EventDataMap[T];
  actorId?: string | null;
}

/** The channel the relay listens on to publish without waiting for its next poll. */
export function outboxChannel(schema: string): string {
  return `outbox_${schema}`;
}

/**
 * Appends events to the service's outbox inside the caller's transaction. The event is
 * validated against its topic's schema here, so an invalid event fails the state change
 * instead of reaching Kafka.
 */
export class OutboxWriter {
  constructor(
    private readonly producer: string,
    private readonly schema: string,
  ) {}

  async append<T extends Topic>(manager: EntityManager, entry: OutboxEntry<T>): Promise<EventEnvelope<EventDataMap[T]>> {
    const ctx = currentContext();
    const envelope: EventEnvelope<EventDataMap[T]> = {
      eventId: randomUUID(),
      type: entry.topic,
      occurredAt: new Date().toISOString(),
      producer: this.producer,
      subjectId: entry.subjectId,
      actorId: entry.actorId ?? ctx?.actorId ?? null,
      correlationId: ctx?.correlationId ?? null,
      data: entry.data,
    };
    const check = validateEvent(entry.topic, envelope);
    if (!check.ok) throw new InvalidEventError(entry.topic, check.error);
    await manager.query(
      `INSERT INTO outbox_message (event_id, topic, message_key, payload) VALUES ($1, $2, $3, $4)`,
      [envelope.eventId, entry.topic, entry.subjectId, JSON.stringify(envelope)],
    );
    await manager.query(`SELECT pg_notify($1, '')`, [outboxChannel(this.schema)]);
    return envelope;
  }
}
