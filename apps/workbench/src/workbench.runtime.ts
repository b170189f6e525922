import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { WORKBENCH_TASK_QUEUE } from '@certhub/human-tasks';
import type { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, IdempotentConsumer, OutboxRelay, SerializedProducer } from '@certhub/messaging';
import { IdentityTopics } from '@certhub/contracts';
import { onAccountRegistered, onRolesChanged } from './directory/account-directory';
import { startDomainWorker, type RunningDomainWorker } from '@certhub/temporal';
import { WORKBENCH_SCHEMA } from './database';
import { CaseProjection } from './items/case-projection';
import { createTaskActivities } from './tasks/task.activities';
import type { TaskService } from './tasks/task.service';
import type { WorkbenchConfig } from './workbench.config';

export interface WorkbenchRuntimeDeps {
  config: WorkbenchConfig;
  logger: Logger;
  dataSource: DataSource;
  temporal: Client;
  tasks: TaskService;
  bundleDir: string;
}

/**
 * The workbench's background parts: the outbox relay (task changes to Kafka), the projection of
 * every `<domain>.case.changed.v1` into my items, audit and messages, and the worker serving the
 * human-task activities on the workbench task queue.
 */
@Injectable()
export class WorkbenchRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer?: SerializedProducer;
  private relay?: OutboxRelay;
  private projection?: CaseProjection;
  private directory?: IdempotentConsumer;
  private worker?: RunningDomainWorker;

  constructor(private readonly deps: WorkbenchRuntimeDeps) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, logger, dataSource } = this.deps;
    const kafka = createKafka({ clientId: 'workbench', brokers: config.KAFKA_BROKERS, logger: logger.child('kafka') });
    await ensureTopics(kafka);
    this.producer = new SerializedProducer(kafka);
    await this.producer.connect();
    this.relay = new OutboxRelay({
      connection: { connectionString: config.DATABASE_URL },
      schema: WORKBENCH_SCHEMA,
      producer: this.producer,
      logger: logger.child('outbox-relay'),
    });
    await this.relay.start();
    if (config.RUN_PROJECTION === 'true') {
      this.projection = new CaseProjection({ kafka, dataSource, producer: this.producer, logger: logger.child('projection'), batchSize: config.PROJECTION_BATCH_SIZE, groupSuffix: config.KAFKA_GROUP_SUFFIX });
      await this.projection.start();
      this.directory = new IdempotentConsumer({
        kafka,
        groupId: `workbench.directory${config.KAFKA_GROUP_SUFFIX}`,
        dataSource,
        producer: this.producer,
        logger: logger.child('directory'),
      })
        .on(IdentityTopics.AccountRegistered, (event, manager) => onAccountRegistered(manager, event))
        .on(IdentityTopics.RolesChanged, (event, manager) => onRolesChanged(manager, event));
      await this.directory.start();
    }
    if (config.RUN_WORKER === 'true') await this.startWorker();
  }

  async startWorker(): Promise<void> {
    const { config, logger } = this.deps;
    this.worker = await startDomainWorker(
      {
        address: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: WORKBENCH_TASK_QUEUE,
        domain: null,
        bundleDir: this.deps.bundleDir,
        activities: createTaskActivities(this.deps.tasks),
      },
      logger,
    );
  }

  assertRunning(): void {
    if (this.deps.config.RUN_WORKER === 'true') {
      if (!this.worker) throw new Error('worker is not started');
      this.worker.assertRunning();
    }
    if (!this.producer) throw new Error('kafka producer not connected');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
    await this.directory?.stop();
    await this.projection?.stop();
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.deps.temporal.connection.close().catch(() => undefined);
    await this.deps.dataSource.destroy().catch(() => undefined);
  }
}
