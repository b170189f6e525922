import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { dlqTopic, validateEvent, type EventDataMap, type EventEnvelope, type Topic } from '@certhub/contracts';
import { runWithContext, type Logger } from '@certhub/logging';
import type { SerializedProducer } from './kafka';

export type EventHandler<T extends Topic> = (event: EventEnvelope<EventDataMap[T]>, manager: EntityManager) => Promise<void>;

export interface IdempotentConsumerOptions {
  kafka: Kafka;
  groupId: string;
  dataSource: DataSource;
  /** Produces dead letters; shared with the service's relay is fine (it is serialised). */
  producer: SerializedProducer;
  logger: Logger;
  /** Attempts before a failing event goes to the dead-letter topic. */
  maxAttempts?: number;
  fromBeginning?: boolean;
  /**
   * How long handled event ids are kept for deduplication (default 30 days, well beyond the
   * broker's 7-day retention, so a redelivery always finds its mark).
   */
  retainProcessedMs?: number;
}

/**
 * Consumes events exactly once in effect: each event's handler runs in a transaction that also
 * records (group, eventId) in `processed_event`; a duplicate finds the row and is skipped.
 * Invalid events, and events whose handler keeps failing, go to `<topic>.dlq` with the reason.
 */
export class IdempotentConsumer {
  private readonly handlers = new Map<string, EventHandler<Topic>>();
  private consumer?: Consumer;
  private purgeTimer?: NodeJS.Timeout;

  constructor(private readonly options: IdempotentConsumerOptions) {}

  on<T extends Topic>(topic: T, handler: EventHandler<T>): this {
    this.handlers.set(topic, handler as unknown as EventHandler<Topic>);
    return this;
  }

  async start(): Promise<void> {
    const { kafka, groupId } = this.options;
    this.consumer = kafka.consumer({ groupId, sessionTimeout: 30000, heartbeatInterval: 3000, allowAutoTopicCreation: true });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.handlers.keys()], fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: true,
      eachMessage: async ({ topic, message }) => {
        await this.handle(topic, message);
      },
    });
    this.purgeTimer = setInterval(() => {
      this.purgeProcessed().catch((err: unknown) => this.options.logger.warn('purging processed events failed', { err }));
    }, 3600_000);
    this.purgeTimer.unref();
  }

  /** Forgets handled event ids older than the retention; returns how many. */
  async purgeProcessed(): Promise<number> {
    const retainMs = this.options.retainProcessedMs ?? 30 * 24 * 3600_000;
    const result: unknown = await this.options.dataSource.query(
      `DELETE FROM processed_event WHERE consumer_group = $1 AND processed_at < now() - make_interval(secs => $2)`,
      [this.options.groupId, retainMs / 1000],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }

  async stop(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }

  /** Handles one message; exported for tests that drive the consumer without a broker loop. */
  async handle(topic: string, message: KafkaMessage): Promise<'processed' | 'duplicate' | 'dead-lettered'> {
    const { logger } = this.options;
    let event: unknown;
    try {
      event = JSON.parse(message.value?.toString('utf8') ?? 'null');
    } catch {
      await this.deadLetter(topic, message, 'value is not JSON');
      return 'dead-lettered';
    }
    const check = validateEvent(topic, event);
    if (!check.ok) {
      await this.deadLetter(topic, message, check.error);
      return 'dead-lettered';
    }
    const envelope = event as EventEnvelope<EventDataMap[Topic]>;
    const handler = this.handlers.get(topic);
    if (!handler) return 'processed';
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await runWithContext(
          { correlationId: envelope.correlationId ?? envelope.eventId, actorId: envelope.actorId ?? undefined },
          () =>
            this.options.dataSource.transaction(async (manager) => {
              const inserted: unknown[] = await manager.query(
                `INSERT INTO processed_event (consumer_group, event_id, topic) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING RETURNING event_id`,
                [this.options.groupId, envelope.eventId, topic],
              );
              if (inserted.length === 0) return 'duplicate' as const;
              await handler(envelope, manager);
              return 'processed' as const;
            }),
        );
      } catch (err) {
        if (attempt >= maxAttempts) {
          logger.error('event handler failed; dead-lettering', { topic, eventId: envelope.eventId, err });
          await this.deadLetter(topic, message, err instanceof Error ? err.message : String(err));
          return 'dead-lettered';
        }
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5000)));
      }
    }
  }

  private async deadLetter(topic: string, message: KafkaMessage, reason: string): Promise<void> {
    this.options.logger.warn('dead-lettering an event', { topic, reason });
    await this.options.producer.send(dlqTopic(topic), [
      {
        key: message.key,
        value: message.value,
        headers: {
          ...(message.headers ?? {}),
          'dlq-reason': reason.slice(0, 1000),
          'dlq-consumer-group': this.options.groupId,
          'dlq-original-topic': topic,
        },
      },
    ]);
  }
}
