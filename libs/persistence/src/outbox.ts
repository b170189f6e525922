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

  /** Builds and validates the envelope of an entry without writing it. */
  envelope<T extends Topic>(entry: OutboxEntry<T>): EventEnvelope<EventDataMap[T]> {
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

  async append<T extends Topic>(manager: EntityManager, entry: OutboxEntry<T>): Promise<EventEnvelope<EventDataMap[T]>> {
    const [envelope] = await this.appendAll(manager, [entry]);
    return envelope as EventEnvelope<EventDataMap[T]>;
  }

  /**
   * Appends several events in one statement (in the given order: the relay publishes by
   * sequence) and wakes the relay in the same round trip.
   */
  async appendAll(manager: EntityManager, entries: Array<OutboxEntry<Topic>>): Promise<Array<EventEnvelope<unknown>>> {
    const envelopes = entries.map((e) => this.envelope(e));
    if (envelopes.length === 0) return envelopes;
    await manager.query(
      `WITH written AS (
         INSERT INTO outbox_message (event_id, topic, message_key, payload)
         SELECT u.event_id, u.topic, u.message_key, u.payload
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS u(event_id, topic, message_key, payload, n)
          ORDER BY u.n
         RETURNING 1)
       SELECT pg_notify($5, '') FROM (SELECT count(*) FROM written) w`,
      [
        envelopes.map((e) => e.eventId),
        envelopes.map((e) => e.type),
        envelopes.map((e) => e.subjectId),
        envelopes.map((e) => JSON.stringify(e)),
        outboxChannel(this.schema),
      ],
    );
    return envelopes;
  }
}
