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
  async appendAll(manager: EntityManager, entries: Array<OutboxEntry<Topic>>, also: AlsoWrite = {}): Promise<Array<EventEnvelope<unknown>>> {
    const envelopes = entries.map((e) => this.envelope(e));
    if (envelopes.length === 0 && !also.writes?.length && !also.notify?.length) return envelopes;
    // The caller's other writes of the change ride in the same statement: one round trip.
    const params: unknown[] = [
      envelopes.map((e) => e.eventId),
      envelopes.map((e) => e.type),
      envelopes.map((e) => e.subjectId),
      envelopes.map((e) => JSON.stringify(e)),
      outboxChannel(this.schema),
    ];
    const ctes = (also.writes ?? []).map((w, i) => `also_${i} AS (${renumber(w.sql, params.length)})`);
    for (const w of also.writes ?? []) params.push(...w.params);
    const notifies = (also.notify ?? []).map((n) => {
      params.push(n.channel, n.payload);
      return `, pg_notify($${params.length - 1}, $${params.length})`;
    });
    await manager.query(
      `WITH ${ctes.map((c) => `${c}, `).join('')}written AS (
         INSERT INTO outbox_message (event_id, topic, message_key, payload)
         SELECT u.event_id, u.topic, u.message_key, u.payload
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS u(event_id, topic, message_key, payload, n)
          ORDER BY u.n
         RETURNING 1)
       SELECT CASE WHEN w.n > 0 THEN pg_notify($5, '') END${notifies.join('')} FROM (SELECT count(*) AS n FROM written) w`,
      params,
    );
    return envelopes;
  }
}

/** Writes of the same change that go to the database with the events (see {@link OutboxWriter.appendAll}). */
export interface AlsoWrite {
  /** Data-modifying statements (INSERT/UPDATE/DELETE without RETURNING), their parameters numbered from $1 each. */
  writes?: Array<{ sql: string; params: unknown[] }>;
  /** Notifications sent when the transaction commits. */
  notify?: Array<{ channel: string; payload: string }>;
}

/** Shifts a statement's `$n` parameters by `offset` (the statements here hold no literal `$`). */
function renumber(sql: string, offset: number): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}
