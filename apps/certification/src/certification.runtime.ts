import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, OutboxRelay, SerializedProducer } from '@certhub/messaging';
import { startDomainWorker, type RunningDomainWorker } from '@certhub/temporal';
import { BackgroundJobs } from '@certhub/service-kit';
import { CERTIFICATION_TASK_QUEUE } from '@certhub/workflows-certification';
import { ATTACHMENT_PURGE_BATCH, type AttachmentService } from './attachments/attachment.service';
import type { CertificationConfig } from './certification.config';
import { CERTIFICATION_SCHEMA } from './database';
import type { ApplicationActivities } from './process/application.activities';
import type { ApplicationWorkflowStarter } from './process/workflow-starter';
import type { ReviewCaseActivitiesImpl } from './reviews/review.activities';
import type { ReviewCaseStarter } from './reviews/review-starter';

export interface CertificationRuntimeDeps {
  config: CertificationConfig;
  logger: Logger;
  dataSource: DataSource;
  temporal: Client;
  starter: ApplicationWorkflowStarter;
  activities: ApplicationActivities;
  reviewStarter: ReviewCaseStarter;
  reviewActivities: ReviewCaseActivitiesImpl;
  attachments: AttachmentService;
  bundleDir: string;
}

/**
 * The certification service's background parts: the outbox relay that publishes its events
 * (`certification.case.changed.v1`, `certification.certificate.issued.v1`), the starter that
 * delivers submits to the application workflow, and the Temporal worker of task queue
 * `certification` (the application workflow and its activities).
 */
@Injectable()
export class CertificationRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer?: SerializedProducer;
  private relay?: OutboxRelay;
  private worker?: RunningDomainWorker;
  private jobs?: BackgroundJobs;

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

    if (config.RUN_WORKER === 'true') await this.startWorker();

    // Submits Temporal did not take at once (down, restarting): delivered every 5 s, or when woken.
    this.jobs = new BackgroundJobs(logger);
    const deliver = this.jobs.loop(
      'application workflow starter',
      5000,
      async () => {
        await this.deps.starter.deliverPending();
        return false;
      },
      { wakeDelayMs: 1000, runNow: true },
    );
    this.deps.starter.onPending = deliver;
    // The same for the review cases (CE-4 … CE-8): opened, resubmitted or withdrawn.
    this.deps.reviewStarter.onPending = this.jobs.loop(
      'review case workflow starter',
      5000,
      async () => {
        await this.deps.reviewStarter.deliverPending();
        return false;
      },
      { wakeDelayMs: 1000, runNow: true },
    );
    // Uploads no form named (personal files kept for nothing): deleted hourly once they are old.
    this.jobs.loop('unused attachment purge', 3600_000, async () => (await this.deps.attachments.purgeUnused(config.ATTACHMENT_UNUSED_DAYS)) === ATTACHMENT_PURGE_BATCH, { runNow: true });
  }

  async startWorker(): Promise<void> {
    const { config, logger } = this.deps;
    this.worker = await startDomainWorker(
      {
        address: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: CERTIFICATION_TASK_QUEUE,
        domain: 'certification',
        bundleDir: this.deps.bundleDir,
        activities: { ...this.deps.activities.asActivities(), ...this.deps.reviewActivities.asActivities() },
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
    await this.jobs?.stop();
    await this.worker?.stop();
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.deps.temporal.connection.close().catch(() => undefined);
    await this.deps.dataSource.destroy().catch(() => undefined);
  }
}
