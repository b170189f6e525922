import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { CertificationTopics, IdentityTopics } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, IdempotentConsumer, OutboxRelay, SerializedProducer } from '@certhub/messaging';
import type { OutboxWriter } from '@certhub/persistence';
import { startDomainWorker, type RunningDomainWorker } from '@certhub/temporal';
import { loadCalendarDirectory, WorkCalendar } from '@certhub/workdays';
import { IDENTITY_TASK_QUEUE } from '@certhub/workflows-identity';
import { IDENTITY_SCHEMA } from './database';
import type { IdentityConfig } from './identity.config';
import type { InstitutionService } from './institutions/institution.service';
import { createIdentityActivities } from './verification/verification.activities';
import type { VerificationProvider } from './verification/verification-provider';
import type { VerificationService } from './verification/verification.service';

export interface IdentityRuntimeDeps {
  config: IdentityConfig;
  logger: Logger;
  dataSource: DataSource;
  outbox: OutboxWriter;
  provider: VerificationProvider;
  temporal: Client;
  verification: VerificationService;
  institutions: InstitutionService;
  bundleDir: string;
}

/**
 * The identity service's background parts: the outbox relay, the consumer that starts the
 * verification workflow of every registered account, the consumer of roles and institution
 * changes other domains decide (ADR 0016), and the domain's Temporal worker.
 */
@Injectable()
export class IdentityRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer?: SerializedProducer;
  private relay?: OutboxRelay;
  private consumer?: IdempotentConsumer;
  private rolesConsumer?: IdempotentConsumer;
  private worker?: RunningDomainWorker;

  constructor(private readonly deps: IdentityRuntimeDeps) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, logger, dataSource } = this.deps;
    const kafka = createKafka({ clientId: 'identity', brokers: config.KAFKA_BROKERS, logger: logger.child('kafka') });
    await ensureTopics(kafka);
    this.producer = new SerializedProducer(kafka);
    await this.producer.connect();
    this.relay = new OutboxRelay({
      connection: { connectionString: config.DATABASE_URL },
      schema: IDENTITY_SCHEMA,
      producer: this.producer,
      logger: logger.child('outbox-relay'),
    });
    await this.relay.start();

    this.consumer = new IdempotentConsumer({
      kafka,
      groupId: `identity.verification-starter${config.KAFKA_GROUP_SUFFIX}`,
      dataSource,
      producer: this.producer,
      logger: logger.child('consumer'),
    }).on(IdentityTopics.AccountRegistered, async (event, manager) => {
      if (event.data.accountType !== 'personal') return;
      // Another deployment sharing the broker (e.g. `npm test` beside `npm start`) is not ours.
      const known: unknown[] = await manager.query('SELECT 1 FROM account WHERE id = $1', [event.data.accountId]);
      if (known.length === 0) {
        logger.warn('account-registered event for an unknown account; ignored', { accountId: event.data.accountId });
        return;
      }
      const { alreadyStarted, workflowId } = await this.deps.verification.start(event.data.accountId);
      logger.info('verification workflow started', { workflowId, alreadyStarted });
    });
    await this.consumer.start();

    // What other domains decide about a person (ADR 0016): a registration certificate makes them
    // `certified` and its cancellation may take that away, an approved expert application makes
    // them `expert`, an approved transfer moves them to another institution. Logs carry ids only.
    const institutions = this.deps.institutions;
    const rolesLog = logger.child('roles-consumer');
    this.rolesConsumer = new IdempotentConsumer({
      kafka,
      groupId: `identity.earned-roles${config.KAFKA_GROUP_SUFFIX}`,
      dataSource,
      producer: this.producer,
      logger: rolesLog,
    })
      .on(CertificationTopics.CertificateIssued, async (event, manager) => {
        const result = await institutions.certificateIssued(manager, event.data.personId, new Date(event.occurredAt));
        if (result === 'unknown') rolesLog.warn('certificate issued to an account this service does not know, or not a personal one; ignored', { certificateId: event.data.certificateId, eventId: event.eventId });
        else rolesLog.info('certified role after a certificate was issued', { certificateId: event.data.certificateId, result });
      })
      .on(CertificationTopics.CertificateCancelled, async (event, manager) => {
        const result = await institutions.certificateCancelled(manager, event.data.personId, new Date(event.occurredAt), event.data.stillCertified);
        if (result === 'unknown') rolesLog.warn('certificate cancelled for an account this service does not know, or not a personal one; ignored', { certificateId: event.data.certificateId, eventId: event.eventId });
        else rolesLog.info('certified role after a certificate was cancelled', { certificateId: event.data.certificateId, stillCertified: event.data.stillCertified, result });
      })
      .on(CertificationTopics.ExpertAppointed, async (event, manager) => {
        const result = await institutions.expertAppointed(manager, event.data.personId);
        if (result === 'unknown') rolesLog.warn('expert appointed for an account this service does not know, or not a personal one; ignored', { caseId: event.data.caseId, eventId: event.eventId });
        else rolesLog.info('expert role after an appointment', { caseId: event.data.caseId, result });
      })
      .on(CertificationTopics.PersonTransferred, async (event, manager) => {
        const result = await institutions.personTransferred(manager, event.data.personId, event.data.toInstitutionId);
        if (result === 'unknown') rolesLog.warn('transfer of an account this service does not know, or not a personal one; ignored', { caseId: event.data.caseId, eventId: event.eventId });
        else if (result === 'unknown-institution') rolesLog.warn('transfer to an institution this service does not know; the account stays where it was', { caseId: event.data.caseId, institutionId: event.data.toInstitutionId, eventId: event.eventId });
        else rolesLog.info('practising institution after a transfer', { caseId: event.data.caseId, institutionId: event.data.toInstitutionId, result });
      });
    await this.rolesConsumer.start();

    if (config.RUN_WORKER === 'true') await this.startWorker();
  }

  async startWorker(): Promise<void> {
    const { config, logger } = this.deps;
    this.worker = await startDomainWorker(
      {
        address: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: IDENTITY_TASK_QUEUE,
        domain: 'identity',
        bundleDir: this.deps.bundleDir,
        activities: createIdentityActivities({
          dataSource: this.deps.dataSource,
          provider: this.deps.provider,
          outbox: this.deps.outbox,
          logger: logger.child('activities'),
          calendar: config.WORKDAYS_CALENDAR_DIR ? WorkCalendar.builtIn().withYears(loadCalendarDirectory(config.WORKDAYS_CALENDAR_DIR)) : WorkCalendar.builtIn(),
          deadlineWorkingDays: config.VERIFICATION_DEADLINE_WORKING_DAYS,
        }),
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
    await this.worker?.stop();
    await this.consumer?.stop();
    await this.rolesConsumer?.stop();
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.deps.temporal.connection.close().catch(() => undefined);
    await this.deps.dataSource.destroy().catch(() => undefined);
  }
}
