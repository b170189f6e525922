import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { dlqTopic } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import type { SerializedProducer } from '@certhub/messaging';
import { applyCaseEvents, CASE_TOPICS, parseCaseMessage, type CaseEvent } from './case-events';

/** Kafka consumer group of the projection, and the `processed_event` group of its dedupe marks. */
export const CASE_PROJECTION_GROUP = 'workbench.case-projection';

export interface CaseProjectionOptions {
  kafka: Kafka;
  dataSource: DataSource;
  /** Sends dead letters (serialised; shared with the outbox relay). */
  producer: SerializedProducer;
  logger: Logger;
  /** Most events handled in one transaction. */
  batchSize: number;
  /** Kafka consumer group (committed offsets); a rebuild uses a fresh one. */
  groupId?: string;
  /**
   * Appended to the live group id: deployments sharing one broker (the test run beside the
   * embedded default) must not share a consumer group, or each would miss the other's events.
   */
  groupSuffix?: string;
  /** `processed_event.consumer_group` of the dedupe marks; shared by the live projection and a rebuild. */
  dedupeGroup?: string;
  /** Attempts of a chunk's transaction before its events are tried one by one. */
  maxAttempts?: number;
  /** Partitions handled at once (a case lives in one partition, so they never touch the same rows). */
  partitionsConsumedConcurrently?: number;
  /** How long dedupe marks are kept (default 30 days). */
  retainProcessedMs?: number;
  /**
   * Physical topic → the case topic it carries (validation, schema). Default: the case topics
   * themselves. The benchmark reads a private copy of a topic this way.
   */
  topics?: Record<string, string>;
  /** Called once a partition's messages up to `offset` (inclusive) are handled. */
  onProgress?: (topic: string, partition: number, offset: string) => void;
}

export interface ProjectionStats {
  /** Events processed successfully (new ones and duplicates). */
  handled: number;
  /** Events that were new and were applied. */
  applied: number;
  deadLettered: number;
}

interface Rejected {
  topic: string;
  message: KafkaMessage;
  reason: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The projection of every `<domain>.case.changed.v1` into my items, the case history and the
 * applicant's messages (WB-2, WB-3, WB-4). Consumes whole fetched batches: a chunk of up to
 * `batchSize` events is applied in one transaction (dedupe marks, one multi-row upsert of the
 * items, audit entries, messages), then its offsets are resolved and committed.
 *
 * Invalid events go to `<topic>.dlq`. A chunk whose transaction keeps failing is retried with
 * backoff, then its events are applied one by one so that only an event that fails on its own
 * (a poison message) is dead-lettered; when the database itself is unreachable the batch fails
 * and Kafka redelivers it instead.
 */
export class CaseProjection {
  readonly stats: ProjectionStats = { handled: 0, applied: 0, deadLettered: 0 };
  private consumer?: Consumer;
  private purgeTimer?: NodeJS.Timeout;

  constructor(readonly options: CaseProjectionOptions) {}

  get groupId(): string {
    return this.options.groupId ?? `${CASE_PROJECTION_GROUP}${this.options.groupSuffix ?? ''}`;
  }

  get dedupeGroup(): string {
    return this.options.dedupeGroup ?? CASE_PROJECTION_GROUP;
  }

  async start(): Promise<void> {
    const consumer = this.options.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: true,
      // Larger fetches, fewer and larger transactions (events are about 1 KB).
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(this.options.topics ?? Object.fromEntries(CASE_TOPICS.map((t) => [t, t]))), fromBeginning: true });
    const { onProgress } = this.options;
    if (onProgress) {
      // Batches KafkaJS filtered to nothing (compaction, control records) never reach eachBatch.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize === 0) onProgress(payload.topic, payload.partition, payload.lastOffset);
      });
    }
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 5000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    if (!this.options.groupId) {
      this.purgeTimer = setInterval(() => {
        this.purgeProcessed().catch((err: unknown) => this.options.logger.warn('purging processed case events failed', { err }));
      }, 3600_000);
      this.purgeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }

  /** Forgets dedupe marks older than the retention (items, audit and messages stay idempotent without them). */
  async purgeProcessed(): Promise<number> {
    const retainMs = this.options.retainProcessedMs ?? 30 * 24 * 3600_000;
    const result: unknown = await this.options.dataSource.query(
      `DELETE FROM processed_event WHERE consumer_group = $1 AND processed_at < now() - make_interval(secs => $2)`,
      [this.dedupeGroup, retainMs / 1000],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const size = Math.max(1, this.options.batchSize);
    for (let i = 0; i < batch.messages.length; i += size) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + size);
      await this.handleMessages(batch.topic, chunk, heartbeat);
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      this.options.onProgress?.(batch.topic, batch.partition, last);
      await heartbeat();
      await commitOffsetsIfNecessary();
    }
  }

  /**
   * Handles messages of one topic partition: the valid ones in one transaction, the invalid
   * ones to the dead-letter topic. Exposed for tests that drive it without a broker loop.
   */
  async handleMessages(topic: string, messages: KafkaMessage[], heartbeat: () => Promise<void> = async () => undefined): Promise<void> {
    const events: CaseEvent[] = [];
    const sources = new Map<CaseEvent, KafkaMessage>();
    const rejected: Rejected[] = [];
    for (const message of messages) {
      const parsed = parseCaseMessage(this.options.topics?.[topic] ?? topic, message);
      if (parsed.ok) {
        events.push(parsed.event);
        sources.set(parsed.event, message);
      } else {
        rejected.push({ topic, message, reason: parsed.reason });
      }
    }
    if (events.length > 0) {
      const failed = await this.applyWithRetry(events, heartbeat);
      for (const { event, reason } of failed) rejected.push({ topic, message: sources.get(event)!, reason });
    }
    if (rejected.length > 0) await this.deadLetter(topic, rejected);
  }

  /** Returns the events that could not be applied even on their own. */
  private async applyWithRetry(events: CaseEvent[], heartbeat: () => Promise<void>): Promise<Array<{ event: CaseEvent; reason: string }>> {
    const { logger } = this.options;
    const attempts = Math.max(1, this.options.maxAttempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.apply(events);
        return [];
      } catch (err) {
        if (attempt >= attempts) {
          logger.warn('a chunk of case events keeps failing; applying them one by one', { count: events.length, err });
          break;
        }
        await sleep(Math.min(200 * 2 ** (attempt - 1), 5000));
        await heartbeat();
      }
    }
    if (events.length === 1) return this.isolateFailure(events[0]!, 1);
    const failed: Array<{ event: CaseEvent; reason: string }> = [];
    for (const event of events) {
      failed.push(...(await this.isolateFailure(event, 2)));
      // Stay in the group while a long chunk is worked through event by event.
      await heartbeat();
    }
    return failed;
  }

  private async isolateFailure(event: CaseEvent, attempts: number): Promise<Array<{ event: CaseEvent; reason: string }>> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.apply([event]);
        return [];
      } catch (err) {
        lastError = err;
        if (attempt < attempts) await sleep(200);
      }
    }
    // A database that does not answer is no reason to dead-letter: fail the batch, Kafka redelivers it.
    await this.options.dataSource.query('SELECT 1');
    this.options.logger.error('a case event fails on its own; dead-lettering it', { topic: event.topic, eventId: event.envelope.eventId, err: lastError });
    return [{ event, reason: lastError instanceof Error ? lastError.message : String(lastError) }];
  }

  private async apply(events: CaseEvent[]): Promise<void> {
    const applied = await this.options.dataSource.transaction((manager) => applyCaseEvents(manager, this.dedupeGroup, events));
    this.stats.handled += events.length;
    this.stats.applied += applied.length;
  }

  private async deadLetter(topic: string, rejected: Rejected[]): Promise<void> {
    this.options.logger.warn('dead-lettering case events', { topic, count: rejected.length, reason: rejected[0]!.reason });
    await this.options.producer.send(
      dlqTopic(topic),
      rejected.map(({ message, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...(message.headers ?? {}),
          'dlq-reason': reason.slice(0, 1000),
          'dlq-consumer-group': this.groupId,
          'dlq-original-topic': topic,
        },
      })),
    );
    this.stats.deadLettered += rejected.length;
  }

  /** See {@link rebuildMyItems}. */
  static rebuild(options: RebuildOptions): Promise<RebuildResult> {
    return rebuildMyItems(options);
  }
}

export interface RebuildOptions {
  kafka: Kafka;
  dataSource: DataSource;
  producer: SerializedProducer;
  logger: Logger;
  batchSize: number;
  /** Gives up (and throws) when the replay has not caught up by then; default 30 minutes. */
  timeoutMs?: number;
}

export interface RebuildResult {
  groupId: string;
  /** Events applied by the replay. */
  applied: number;
  deadLettered: number;
  /** Rows of my_item afterwards. */
  items: number;
  durationMs: number;
}

/**
 * Rebuilds my items from the case topics: empties `my_item` and the projection's dedupe marks,
 * then replays every case topic from the beginning with a fresh consumer group until it reaches
 * the high watermarks taken after the reset. The topics are compacted, so the replay sees at
 * least the newest event of every case. Audit entries and messages are keyed by event and are
 * not written twice. The live projection may keep running: both keep the highest version.
 */
export async function rebuildMyItems(options: RebuildOptions): Promise<RebuildResult> {
  const started = Date.now();
  const { kafka, dataSource, logger } = options;
  await dataSource.transaction(async (manager) => {
    await manager.query('TRUNCATE my_item');
    await manager.query('DELETE FROM processed_event WHERE consumer_group = $1', [CASE_PROJECTION_GROUP]);
  });

  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${CASE_PROJECTION_GROUP}.rebuild.${Date.now()}.${randomBytes(4).toString('hex')}`;
  let projection: CaseProjection | undefined;
  try {
    // What has to be replayed: per partition, everything below the high watermark.
    const targets = new Map<string, bigint>();
    for (const topic of CASE_TOPICS) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) targets.set(`${topic}:${p.partition}`, BigInt(p.high));
      }
    }
    const reached = new Map<string, bigint>();
    const note = (topic: string, partition: number, next: bigint) => {
      const key = `${topic}:${partition}`;
      if (next > (reached.get(key) ?? -1n)) reached.set(key, next);
    };
    const caughtUp = () => [...targets].every(([key, high]) => (reached.get(key) ?? -1n) >= high);

    projection = new CaseProjection({
      ...options,
      logger: logger.child('rebuild'),
      groupId,
      dedupeGroup: CASE_PROJECTION_GROUP,
      onProgress: (topic, partition, offset) => note(topic, partition, BigInt(offset) + 1n),
    });
    await projection.start();
    const deadline = started + (options.timeoutMs ?? 30 * 60_000);
    let lastPoll = 0;
    while (!caughtUp()) {
      if (Date.now() > deadline) throw new Error(`rebuild of my items did not catch up within ${options.timeoutMs ?? 30 * 60_000} ms`);
      await sleep(200);
      if (Date.now() - lastPoll > 2000) {
        // Committed offsets cover partitions whose remaining records were all filtered out.
        lastPoll = Date.now();
        for (const t of await admin.fetchOffsets({ groupId, topics: [...CASE_TOPICS] })) {
          for (const p of t.partitions) if (BigInt(p.offset) >= 0n) note(t.topic, p.partition, BigInt(p.offset));
        }
      }
    }
    await projection.stop();
    const count: Array<{ n: string }> = await dataSource.query('SELECT count(*) AS n FROM my_item');
    const result: RebuildResult = {
      groupId,
      applied: projection.stats.applied,
      deadLettered: projection.stats.deadLettered,
      items: Number(count[0]?.n ?? 0),
      durationMs: Date.now() - started,
    };
    logger.info('my items rebuilt', { ...result });
    return result;
  } finally {
    await projection?.stop();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
