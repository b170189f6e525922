import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { ExamTopics } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, IdempotentConsumer, OutboxRelay, SerializedProducer } from '@certhub/messaging';
import type { OutboxWriter } from '@certhub/persistence';
import { startDomainWorker, type RunningDomainWorker } from '@certhub/temporal';
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
  private timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly deps: PaymentRuntimeDeps) {}

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
      this.every(config.PAYMENT_SANDBOX_SEND_INTERVAL_MS, () => provider.sendDue(logger.child('sandbox')));
    }
    this.every(config.PAYMENT_RECONCILE_INTERVAL_MS, () => this.deps.reconciliation.reconcilePending());
    // Deadline workflows of projected orders: woken by each projected order, and every 5 s.
    const starter = this.loop(5000, async () => (await orders.startMissingWorkflows(200, config.PAYMENT_WORKFLOW_START_CONCURRENCY)) > 0);
    orders.onProjected = starter;
    // Due orders expired from the database on time, whatever the Temporal server's backlog (ADR 0014).
    if (config.PAYMENT_DEADLINE_PASS_INTERVAL_MS > 0) this.loop(config.PAYMENT_DEADLINE_PASS_INTERVAL_MS, () => this.deps.deadlines.run());
    this.every(10 * 60_000, () => this.deps.reconciliation.runDueStatement());
  }

  /**
   * Runs `job` again and again while it reports more to do, then every `ms` or when woken;
   * never two at once, never after shutdown began. Returns the wake-up.
   */
  private loop(ms: number, job: () => Promise<boolean>): () => void {
    let busy = false;
    let again = false;
    const kick = () => {
      if (this.stopping) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      const run = (async () => {
        do {
          again = false;
          try {
            if (await job()) again = true;
          } catch (err) {
            this.deps.logger.warn('background job failed', { err });
            again = false;
          }
        } while (again && !this.stopping);
      })().finally(() => {
        busy = false;
        this.running.delete(run);
      });
      this.running.add(run);
    };
    this.timers.push(setInterval(kick, ms));
    // Woken from inside a transaction that has not committed yet: run a moment later, once for a burst.
    let pending: NodeJS.Timeout | undefined;
    return () => {
      if (pending || this.stopping) return;
      pending = setTimeout(() => {
        pending = undefined;
        kick();
      }, 50);
    };
  }

  /** Runs `job` every `ms`, never two at once, never after shutdown began. */
  private every(ms: number, job: () => Promise<unknown>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.stopping) return;
      busy = true;
      const run = job()
        .catch((err: unknown) => this.deps.logger.warn('background job failed', { err }))
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    }, ms);
    this.timers.push(timer);
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
      (err: unknown) => {
        logger.error('payment worker stopped with an error', { err });
        process.exitCode = 1;
        process.kill(process.pid, 'SIGTERM');
      },
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
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running]);
    await this.deps.deadlines.idle();
    await this.worker?.stop();
    await this.consumer?.stop();
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.deps.temporal.connection.close().catch(() => undefined);
    await this.deps.dataSource.destroy().catch(() => undefined);
  }
}
