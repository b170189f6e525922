import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { dlqTopic } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import type { SerializedProducer } from '@certhub/messaging';
import { applyCaseEvents, CASE_TOPICS, parseCaseMessage, type CaseEvent } from './case-events';

/** Kafka consumer group of the projection (and `processed_event` group of the marks earlier versions wrote). */
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
  /** Attempts of a chunk's transaction before its events are tried one by one. */
  maxAttempts?: number;
  /**
   * Partitions handled at once, and so transactions of the projection at once (default 3; a case
   * lives in one partition, so they never touch the same rows).
   */
  partitionsConsumedConcurrently?: number;
  /** How long the `processed_event` marks of earlier versions are kept (default 30 days). */
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
  /** Events that were new: their history entries and messages were written. */
  applied: number;
  deadLettered: number;
}

interface Rejected {
  topic: string;
  message: KafkaMessage;
  reason: string;
}

/** Messages of one partition, parsed and validated. */
interface ParsedChunk {
  topic: string;
  first: string;
  last: string;
  events: CaseEvent[];
  sources: Map<CaseEvent, KafkaMessage>;
  rejected: Rejected[];
}

/** The batches of one partition, applied one after the other while the consumer fetches on. */
interface Lane {
  topic: string;
  partition: number;
  /** Settles when everything queued so far is done (never rejects). */
  tail: Promise<void>;
  /** Batches queued and not done. */
  pending: number;
  /** Woken whenever a batch is done. */
  waiters: Array<() => void>;
  /** Bumped to drop what is queued (a rewind after a failure, a new generation of the group). */
  epoch: number;
  /** Offset to commit next: every message before it is applied. */
  applied?: string;
  committed?: string;
}

/** Batches a lane holds: one being applied, one fetched and waiting. */
const LANE_DEPTH = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The projection of every `<domain>.case.changed.v1` into my items, the case history and the
 * applicant's messages (WB-2, WB-3, WB-4). Consumes whole fetched batches: a chunk of up to
 * `batchSize` events is applied in one transaction (one multi-row upsert of the items, the audit
 * entries, whose dedupe keys tell new events from those seen before, the new events' messages).
 * Each partition has a lane that applies its batches in order while the consumer already fetches
 * the next ones; a partition's offset is committed once everything before it is applied.
 *
 * Invalid events go to `<topic>.dlq`. A chunk whose transaction keeps failing is retried with
 * backoff, then its events are applied one by one so that only an event that fails on its own
 * (a poison message) is dead-lettered; when the database itself is unreachable the lane drops what
 * it holds and the partition is read again from that chunk on.
 */
export class CaseProjection {
  readonly stats: ProjectionStats = { handled: 0, applied: 0, deadLettered: 0 };
  private consumer?: Consumer;
  private purgeTimer?: NodeJS.Timeout;
  private readonly lanes = new Map<string, Lane>();
  private stopping = false;
  /** Chunks that may be applied at once (partitionsConsumedConcurrently), and the lanes waiting for one. */
  private slots = 0;
  private readonly slotWaiters: Array<() => void> = [];
  /** Keeps the member in its group while a lane works through a batch whose eachBatch call is over. */
  private heartbeat: () => Promise<void> = async () => undefined;

  constructor(readonly options: CaseProjectionOptions) {}

  get groupId(): string {
    return this.options.groupId ?? `${CASE_PROJECTION_GROUP}${this.options.groupSuffix ?? ''}`;
  }

  async start(): Promise<void> {
    const consumer = this.options.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: true,
      // Larger fetches, fewer and larger transactions (events are about 1 KB).
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 24 * 1024 * 1024,
    });
    this.consumer = consumer;
    this.stopping = false;
    this.slots = Math.max(1, this.options.partitionsConsumedConcurrently ?? 3);
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(this.options.topics ?? Object.fromEntries(CASE_TOPICS.map((t) => [t, t]))), fromBeginning: true });
    // Batches KafkaJS filtered to nothing (compaction, control records) never reach eachBatch;
    // their offsets count as applied once everything before them is.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) this.enqueue(payload.topic, payload.partition, (lane, epoch) => this.passOver(lane, epoch, payload.lastOffset));
    });
    // A new generation of the group starts from the committed offsets: what the lanes hold is fetched again.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const lane of this.lanes.values()) this.reset(lane);
    });
    await consumer.run({
      // The lanes commit, and only what is applied: the fetch position (resolved offsets) runs ahead.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.options.partitionsConsumedConcurrently ?? 3),
      eachBatch: (payload) => this.handleBatch(payload),
    });
    if (!this.options.groupId) {
      this.purgeTimer = setInterval(() => {
        this.purgeProcessed().catch((err: unknown) => this.options.logger.warn('purging processed case events failed', { err }));
      }, 3600_000);
      this.purgeTimer.unref();
    }
  }

  /** Lets the lanes finish the chunk they are applying (what they hold besides is fetched again later), commits, leaves. */
  async stop(): Promise<void> {
    clearInterval(this.purgeTimer);
    this.stopping = true;
    await Promise.all([...this.lanes.values()].map((lane) => lane.tail));
    await Promise.all([...this.lanes.values()].map((lane) => this.commit(lane, lane.epoch)));
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    this.lanes.clear();
  }

  /**
   * Forgets the `processed_event` marks that earlier versions of the projection wrote, once they
   * are older than the retention. The projection writes none any more: the audit entry of an event
   * is its mark, and that is never purged.
   */
  async purgeProcessed(): Promise<number> {
    const retainMs = this.options.retainProcessedMs ?? 30 * 24 * 3600_000;
    const result: unknown = await this.options.dataSource.query(
      `DELETE FROM processed_event WHERE consumer_group = $1 AND processed_at < now() - make_interval(secs => $2)`,
      [CASE_PROJECTION_GROUP, retainMs / 1000],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }

  /**
   * Hands the batch to its partition's lane and returns at once, so that KafkaJS fetches the next
   * batches while this one is applied: the fetch position moves on (resolveOffset), the committed
   * offset only once the batch is applied. A lane holds at most {@link LANE_DEPTH} batches; while
   * it is full, this waits (and so does the next fetch).
   */
  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    this.heartbeat = heartbeat;
    const lane = this.lane(batch.topic, batch.partition);
    while (lane.pending >= LANE_DEPTH) {
      if (!isRunning() || isStale() || this.stopping) return;
      await Promise.race([new Promise<void>((resolve) => lane.waiters.push(resolve)), sleep(1000)]);
      await heartbeat();
    }
    if (!isRunning() || isStale() || this.stopping || batch.messages.length === 0) return;
    const { topic, partition, messages } = batch;
    this.enqueue(topic, partition, (l, epoch) => this.applyBatch(l, epoch, messages));
    resolveOffset(messages[messages.length - 1]!.offset);
  }

  private lane(topic: string, partition: number): Lane {
    const key = `${topic}:${partition}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { topic, partition, tail: Promise.resolve(), pending: 0, waiters: [], epoch: 0 };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Runs `work` after everything queued on the partition's lane before it (unless the lane was reset meanwhile). */
  private enqueue(topic: string, partition: number, work: (lane: Lane, epoch: number) => Promise<void>): void {
    const lane = this.lane(topic, partition);
    const epoch = lane.epoch;
    lane.pending += 1;
    lane.tail = lane.tail
      .then(() => (lane.epoch === epoch && !this.stopping ? work(lane, epoch) : undefined))
      .catch((err: unknown) => this.options.logger.error('case projection lane failed', { topic, partition, err }))
      .finally(() => {
        lane.pending -= 1;
        for (const wake of lane.waiters.splice(0)) wake();
      });
  }

  /** Drops what the lane holds: queued batches are skipped, and nothing is committed for them. */
  private reset(lane: Lane): void {
    lane.epoch += 1;
    lane.applied = undefined;
    lane.committed = undefined;
  }

  private async applyBatch(lane: Lane, epoch: number, messages: KafkaMessage[]): Promise<void> {
    const { topic, partition } = lane;
    const size = Math.max(1, this.options.batchSize);
    const keepAlive = () => this.heartbeat().catch(() => undefined);
    for (let i = 0; i < messages.length; i += size) {
      if (lane.epoch !== epoch || this.stopping) return;
      const chunk = this.parseChunk(topic, messages.slice(i, i + size));
      await this.acquireSlot();
      if (lane.epoch !== epoch || this.stopping) {
        this.releaseSlot();
        return;
      }
      try {
        await this.applyChunk(chunk, keepAlive);
      } catch (err) {
        // The database (or the dead-letter topic) does not answer: the partition is read again
        // from this chunk on, after a pause; what the lane holds besides is dropped.
        this.options.logger.warn('applying case events failed; reading them again', { topic, partition, offset: chunk.first, err });
        this.reset(lane);
        if (!this.stopping) this.seek(topic, partition, chunk.first);
        this.releaseSlot();
        await sleep(1000);
        return;
      }
      this.releaseSlot();
      if (lane.epoch !== epoch) return;
      lane.applied = (BigInt(chunk.last) + 1n).toString();
      this.options.onProgress?.(topic, partition, chunk.last);
    }
    await this.commit(lane, epoch);
  }

  private async acquireSlot(): Promise<void> {
    if (this.slots > 0) {
      this.slots -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  /** Hands the slot to the next waiting lane, if any. */
  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.slots += 1;
  }

  private async passOver(lane: Lane, epoch: number, lastOffset: string): Promise<void> {
    lane.applied = (BigInt(lastOffset) + 1n).toString();
    this.options.onProgress?.(lane.topic, lane.partition, lastOffset);
    await this.commit(lane, epoch);
  }

  private seek(topic: string, partition: number, offset: string): void {
    try {
      this.consumer?.seek({ topic, partition, offset });
    } catch (err) {
      // Not running any more: the next consumer starts from the committed offset anyway.
      this.options.logger.warn('could not rewind the case projection', { topic, partition, offset, err });
    }
  }

  /** Commits the lane's applied offset: every message before it is in the database. */
  private async commit(lane: Lane, epoch: number): Promise<void> {
    const offset = lane.applied;
    if (!this.consumer || offset === undefined || offset === lane.committed || lane.epoch !== epoch) return;
    try {
      await this.consumer.commitOffsets([{ topic: lane.topic, partition: lane.partition, offset }]);
      if (lane.epoch === epoch) lane.committed = offset;
    } catch (err) {
      // A rebalance, or the coordinator moved: the events are applied, a later commit covers them.
      this.options.logger.warn('committing case projection offsets failed', { topic: lane.topic, partition: lane.partition, offset, err });
    }
  }

  /**
   * Handles messages of one topic partition: the valid ones in one transaction, the invalid
   * ones to the dead-letter topic. Exposed for tests that drive it without a broker loop.
   */
  async handleMessages(topic: string, messages: KafkaMessage[], heartbeat: () => Promise<void> = async () => undefined): Promise<void> {
    await this.applyChunk(this.parseChunk(topic, messages), heartbeat);
  }

  private parseChunk(topic: string, messages: KafkaMessage[]): ParsedChunk {
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
    return { topic, first: messages[0]!.offset, last: messages[messages.length - 1]!.offset, events, sources, rejected };
  }

  private async applyChunk({ topic, events, sources, rejected }: ParsedChunk, heartbeat: () => Promise<void>): Promise<void> {
    const dead = [...rejected];
    if (events.length > 0) {
      const failed = await this.applyWithRetry(events, heartbeat);
      for (const { event, reason } of failed) dead.push({ topic, message: sources.get(event)!, reason });
    }
    if (dead.length > 0) await this.deadLetter(topic, dead);
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
    const fresh = await this.options.dataSource.transaction((manager) => applyCaseEvents(manager, events));
    this.stats.handled += events.length;
    this.stats.applied += fresh.length;
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
  /** Events the replay applied to my_item (each moves its row forward unless the row is newer). */
  applied: number;
  deadLettered: number;
  /** Rows of my_item afterwards. */
  items: number;
  durationMs: number;
}

/**
 * Rebuilds my items from the case topics: empties `my_item`, then replays every case topic from
 * the beginning with a fresh consumer group until it reaches the high watermarks taken after the
 * reset. The topics are compacted, so the replay sees at least the newest event of every case.
 * Every replayed event takes part in the upsert of its item (seen before or not); audit entries
 * and messages are keyed by event and are not written twice. The live projection may keep
 * running: both keep the highest version.
 */
export async function rebuildMyItems(options: RebuildOptions): Promise<RebuildResult> {
  const started = Date.now();
  const { kafka, dataSource, logger } = options;
  await dataSource.query('TRUNCATE my_item');

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
      applied: projection.stats.handled,
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
