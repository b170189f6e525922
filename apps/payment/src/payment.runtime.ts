import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { ExamTopics } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, IdempotentConsumer, OutboxRelay, SerializedProducer } from '@certhub/messaging';
import type { OutboxWriter } from '@certhub/persistence';
import { startDomainWorker, type RunningDomainWorker } from '@certhub/temporal';
import { BackgroundJobs } from '@certhub/service-kit';
import { PAYMENT_TASK_QUEUE } from '@certhub/workflows-payment';
import { PAYMENT_SCHEMA } from './database';
import { createFeeActivities } from './fees/fee.activities';
import type { FeeService } from './fees/fee.service';
import type { DeadlinePass } from './orders/deadline-pass';
import type { OrderService } from './orders/order.service';
import type { PaymentConfig } from './payment.config';
import type { PaymentProvider } from './provider/payment-provider';
import type { ReconciliationService } from './reconciliation/reconciliation.service';
import { createPaymentActivities } from './refunds/refund.activities';
import { SandboxPaymentProvider } from './sandbox/sandbox-provider';

export interface PaymentRuntimeDeps {
  config: PaymentConfig;
  logger: Logger;
  dataSource: DataSource;
  outbox: OutboxWriter;
  provider: PaymentProvider;
  temporal: Client;
  orders: OrderService;
  deadlines: DeadlinePass;
  reconciliation: ReconciliationService;
  fees: FeeService;
  bundleDir: string;
}

/**
 * The payment service's background parts: the outbox relay, the consumer of placed orders and
 * refund requests, the Temporal worker (queue `payment`), the sandbox's notification sender and
 * the reconciliation of pending payments.
 */
@Injectable()
export class PaymentRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer?: SerializedProducer;
  private relay?: OutboxRelay;
  private consumer?: IdempotentConsumer;
  private worker?: RunningDomainWorker;
  private readonly jobs: BackgroundJobs;

  constructor(private readonly deps: PaymentRuntimeDeps) {
    this.jobs = new BackgroundJobs(deps.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { config, logger, dataSource, orders } = this.deps;
    const kafka = createKafka({ clientId: 'payment', brokers: config.KAFKA_BROKERS, logger: logger.child('kafka') });
    await ensureTopics(kafka);
    this.producer = new SerializedProducer(kafka);
    await this.producer.connect();
    this.relay = new OutboxRelay({
      connection: { connectionString: config.DATABASE_URL },
      schema: PAYMENT_SCHEMA,
      producer: this.producer,
      logger: logger.child('outbox-relay'),
    });
    await this.relay.start();

    this.consumer = new IdempotentConsumer({
      kafka,
      groupId: `payment.orders${config.KAFKA_GROUP_SUFFIX}`,
      dataSource,
      producer: this.producer,
      logger: logger.child('consumer'),
    })
      .on(ExamTopics.OrderPlaced, (event, manager) => orders.project(event, manager))
      .on(ExamTopics.RefundRequested, (event, manager) => orders.refundRequested(event, manager));
    await this.consumer.start();

    if (config.RUN_WORKER === 'true') await this.startWorker();

    const provider = this.deps.provider;
    if (provider instanceof SandboxPaymentProvider) {
      this.jobs.every('sandbox notification sender', config.PAYMENT_SANDBOX_SEND_INTERVAL_MS, () => provider.sendDue(logger.child('sandbox')));
    }
    this.jobs.every('reconciliation of pending payments', config.PAYMENT_RECONCILE_INTERVAL_MS, () => this.deps.reconciliation.reconcilePending());
    // Deadline workflows of projected orders: woken by each projected order, and every 5 s.
    const starter = this.jobs.loop('deadline workflow starter', 5000, async () => (await orders.startMissingWorkflows(200, config.PAYMENT_WORKFLOW_START_CONCURRENCY)) > 0);
    orders.onProjected = starter;
    // Due orders expired from the database on time, whatever the Temporal server's backlog (ADR 0014).
    if (config.PAYMENT_DEADLINE_PASS_INTERVAL_MS > 0) this.jobs.loop('deadline pass', config.PAYMENT_DEADLINE_PASS_INTERVAL_MS, () => this.deps.deadlines.run());
    this.jobs.every('daily statement comparison', 10 * 60_000, () => this.deps.reconciliation.runDueStatement());
  }

  async startWorker(): Promise<void> {
    const { config, logger } = this.deps;
    this.worker = await startDomainWorker(
      {
        address: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: PAYMENT_TASK_QUEUE,
        domain: 'payment',
        bundleDir: this.deps.bundleDir,
        activities: {
          ...createPaymentActivities({
            dataSource: this.deps.dataSource,
            outbox: this.deps.outbox,
            provider: this.deps.provider,
            orders: this.deps.orders,
            logger: logger.child('activities'),
          }),
          ...createFeeActivities(this.deps.fees),
        },
      },
      logger,
    );
  }

  /** Health: the worker (when this process runs one) must be running. */
  assertRunning(): void {
    if (this.deps.config.RUN_WORKER === 'true') {
      if (!this.worker) throw new Error('worker is not started');
      this.worker.assertRunning();
    }
    if (!this.producer) throw new Error('kafka producer not connected');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.jobs.stop();
    await this.deps.deadlines.idle();
    await this.worker?.stop();
    await this.consumer?.stop();
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.deps.temporal.connection.close().catch(() => undefined);
    await this.deps.dataSource.destroy().catch(() => undefined);
  }
}
