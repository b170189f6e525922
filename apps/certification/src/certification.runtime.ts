import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, OutboxRelay, SerializedProducer } from '@certhub/messaging';
import type { CertificationConfig } from './certification.config';
import { CERTIFICATION_SCHEMA } from './database';

export interface CertificationRuntimeDeps {
  config: CertificationConfig;
  logger: Logger;
  dataSource: DataSource;
}

/**
 * The certification service's background parts: so far the outbox relay that publishes its case
 * events (`certification.case.changed.v1`). The Temporal worker of task queue `certification`
 * joins it with the application workflow.
 */
@Injectable()
export class CertificationRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer?: SerializedProducer;
  private relay?: OutboxRelay;

  constructor(private readonly deps: CertificationRuntimeDeps) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, logger } = this.deps;
    const kafka = createKafka({ clientId: 'certification', brokers: config.KAFKA_BROKERS, logger: logger.child('kafka') });
    await ensureTopics(kafka);
    this.producer = new SerializedProducer(kafka);
    await this.producer.connect();
    this.relay = new OutboxRelay({
      connection: { connectionString: config.DATABASE_URL },
      schema: CERTIFICATION_SCHEMA,
      producer: this.producer,
      logger: logger.child('outbox-relay'),
    });
    await this.relay.start();
  }

  assertRunning(): void {
    if (!this.producer) throw new Error('kafka producer not connected');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.deps.dataSource.destroy().catch(() => undefined);
  }
}
