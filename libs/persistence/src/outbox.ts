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
    const envelope = this.envelope(entry);
    await manager.query(
      `INSERT INTO outbox_message (event_id, topic, message_key, payload) VALUES ($1, $2, $3, $4)`,
      [envelope.eventId, entry.topic, entry.subjectId, JSON.stringify(envelope)],
    );
    await manager.query(`SELECT pg_notify($1, '')`, [outboxChannel(this.schema)]);
    return envelope;
  }

  /**
   * Appends many events in one statement (and one notification), for state changes made in
   * batches. Every event is validated as in {@link append}; one invalid event fails them all.
   */
  async appendMany<T extends Topic>(manager: EntityManager, entries: Array<OutboxEntry<T>>): Promise<Array<EventEnvelope<EventDataMap[T]>>> {
    if (entries.length === 0) return [];
    const envelopes = entries.map((entry) => this.envelope(entry));
    await manager.query(
      `INSERT INTO outbox_message (event_id, topic, message_key, payload)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])`,
      [envelopes.map((e) => e.eventId), envelopes.map((e) => e.type), entries.map((e) => e.subjectId), envelopes.map((e) => JSON.stringify(e))],
    );
    await manager.query(`SELECT pg_notify($1, '')`, [outboxChannel(this.schema)]);
    return envelopes;
  }

  private envelope<T extends Topic>(entry: OutboxEntry<T>): EventEnvelope<EventDataMap[T]> {
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
    return envelope;
  }
}
