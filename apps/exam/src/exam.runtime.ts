import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { IdentityTopics, PaymentTopics } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, IdempotentConsumer, OutboxRelay, SerializedProducer } from '@certhub/messaging';
import { EXAM_SCHEMA } from './database';
import type { ExamConfig } from './exam.config';
import type { OrderService } from './orders/order.service';

export interface ExamRuntimeDeps {
  config: ExamConfig;
  logger: Logger;
  dataSource: DataSource;
  orders: OrderService;
}

/**
 * The exam service's background parts: the outbox relay, the consumer of the payment service's
 * order events (seats follow the order: paid, expired, cancelled, refunded) and the projection of
 * accepted ID photos (PH-3, asked when a registration starts).
 */
@Injectable()
export class ExamRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer?: SerializedProducer;
  private relay?: OutboxRelay;
  private paymentEvents?: IdempotentConsumer;
  private photos?: IdempotentConsumer;

  constructor(private readonly deps: ExamRuntimeDeps) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, logger, dataSource, orders } = this.deps;
    const kafka = createKafka({ clientId: 'exam', brokers: config.KAFKA_BROKERS, logger: logger.child('kafka') });
    await ensureTopics(kafka);
    this.producer = new SerializedProducer(kafka);
    await this.producer.connect();
    this.relay = new OutboxRelay({
      connection: { connectionString: config.DATABASE_URL },
      schema: EXAM_SCHEMA,
      producer: this.producer,
      logger: logger.child('outbox-relay'),
    });
    await this.relay.start();

    this.paymentEvents = new IdempotentConsumer({
      kafka,
      groupId: `exam.payment-events${config.KAFKA_GROUP_SUFFIX}`,
      dataSource,
      producer: this.producer,
      logger: logger.child('payment-events'),
    })
      .on(PaymentTopics.OrderPaid, (event, manager) => orders.onPaid(manager, event))
      .on(PaymentTopics.OrderExpired, (event, manager) => orders.onExpired(manager, event))
      .on(PaymentTopics.OrderCancelled, (event, manager) => orders.onCancelled(manager, event))
      .on(PaymentTopics.OrderRefunded, (event, manager) => orders.onRefunded(manager, event));
    await this.paymentEvents.start();

    this.photos = new IdempotentConsumer({
      kafka,
      groupId: `exam.accepted-photos${config.KAFKA_GROUP_SUFFIX}`,
      dataSource,
      producer: this.producer,
      logger: logger.child('accepted-photos'),
    }).on(IdentityTopics.PhotoAccepted, async (event, manager) => {
      await manager.query(
        `INSERT INTO accepted_photo (account_id, accepted_at) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE SET accepted_at = GREATEST(accepted_photo.accepted_at, EXCLUDED.accepted_at)`,
        [event.data.accountId, new Date(event.occurredAt)],
      );
    });
    await this.photos.start();
  }

  /** The payment-event consumer, for tests that drive it message by message. */
  get paymentConsumer(): IdempotentConsumer | undefined {
    return this.paymentEvents;
  }

  assertRunning(): void {
    if (!this.producer) throw new Error('kafka producer not connected');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.photos?.stop();
    await this.paymentEvents?.stop();
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.deps.dataSource.destroy().catch(() => undefined);
  }
}
