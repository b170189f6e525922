/**
 * Phase 2 of `npm run bench:inbox`: throughput of the my-items projection against a bare KafkaJS
 * consumer reading the same topics in the same run, and the lag from an event's publication to
 * its row being visible.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { logLevel, Partitioners, type Kafka } from 'kafkajs';
import { CaseTopics, type CaseChangedV1, type EventEnvelope } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, SerializedProducer } from '@certhub/messaging';
import { testEnvironment } from '@certhub/testing';
import type { DataSource } from 'typeorm';
import { CaseProjection } from '../apps/workbench/src/items/case-projection';
import { WorkbenchConfig } from '../apps/workbench/src/workbench.config';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const LAG_EVENTS = Number(process.env.BENCH_LAG_EVENTS ?? 2000);
const LAG_RATE = Number(process.env.BENCH_LAG_RATE ?? 200);
/** What the events are (their type and schema) … */
const LOGICAL = CaseTopics.training;
/** … and where this run puts them: a private topic, deleted afterwards, so nobody else reads them. */
const TOPIC = `bench.case-changed.${randomUUID().slice(0, 8)}`;

function event(i: number, runId: string, version: number): EventEnvelope<CaseChangedV1> {
  const caseId = `bench-${runId}-${i}`;
  const applicant = `00000000-0000-4000-8000-${String(i % 10_000).padStart(12, '0')}`;
  const milestone = version === 1 && i % 10 === 0 ? 'submitted' : null;
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    type: LOGICAL,
    occurredAt: now,
    producer: 'bench',
    subjectId: caseId,
    actorId: applicant,
    correlationId: null,
    data: {
      domain: 'training',
      caseType: 'course-filing',
      caseId,
      businessNo: `2097${String((Date.now() % 100_000) * 100_000 + i).padStart(10, '0')}`,
      itemName: '课程备案',
      itemNameEn: 'Course filing',
      applicantId: applicant,
      institutionId: null,
      stage: version === 1 ? 'teacher-confirmation' : 'association-review',
      stageName: version === 1 ? '教师确认' : '协会审核',
      stageNameEn: version === 1 ? 'Teacher confirmation' : 'Association review',
      status: 'active',
      result: null,
      milestone,
      opinion: null,
      version,
      changedAt: now,
      submittedAt: now,
      dueAt: null,
      clockPaused: false,
      workflowId: null,
      link: `/api/v1/training/courses/${caseId}`,
    },
  };
}

async function highWatermarks(kafka: Kafka): Promise<Map<string, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, bigint>();
    for (const topic of [TOPIC]) {
      for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) out.set(`${topic}:${p.partition}`, BigInt(p.high));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Messages below the high watermarks (what both consumers have to read). */
async function backlog(kafka: Kafka): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let n = 0;
    for (const p of await admin.fetchTopicOffsets(TOPIC)) n += Number(BigInt(p.high) - BigInt(p.low));
    return n;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Removes what earlier runs of this phase left in the database (items, history entries and
 * messages of the `bench-` training cases, whose business numbers start with 2097), so that every
 * run writes into the same tables: the seed, nothing more. Without this each run would find the
 * previous runs' rows, and the projection's indexes, and so its figures, would change from run to
 * run.
 */
async function removeEarlierRuns(dataSource: DataSource): Promise<void> {
  await dataSource.query(`DELETE FROM audit_entry WHERE domain = 'training' AND business_no LIKE '2097%' AND dedupe_key LIKE 'case-event:%'`);
  await dataSource.query(`DELETE FROM message WHERE domain = 'training' AND business_no LIKE '2097%' AND dedupe_key LIKE 'case-message:%'`);
  await dataSource.query(`DELETE FROM my_item WHERE domain = 'training' AND case_id LIKE 'bench-%'`);
  await dataSource.query(`DELETE FROM processed_event WHERE consumer_group LIKE 'bench.%'`);
  for (const table of ['audit_entry', 'message', 'my_item', 'processed_event']) await dataSource.query(`VACUUM (ANALYZE) ${table}`);
}

async function bareConsumer(kafka: Kafka, targets: Map<string, bigint>): Promise<{ seconds: number; messages: number }> {
  const consumer = kafka.consumer({ groupId: `bench.bare.${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  const reached = new Map<string, bigint>();
  let messages = 0;
  let started = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (started === 0) started = performance.now();
        for (const m of batch.messages) {
          // The least a consumer does with an event: decode it (the topics hold a few
          // deliberately invalid events from the dead-letter tests).
          try {
            JSON.parse(m.value?.toString('utf8') ?? 'null');
          } catch {
            /* counted all the same */
          }
          messages += 1;
        }
        reached.set(`${batch.topic}:${batch.partition}`, BigInt(batch.lastOffset()) + 1n);
        if ([...targets].every(([k, high]) => (reached.get(k) ?? 0n) >= high)) resolve();
      },
    });
  });
  const watch = setInterval(() => {
    const missing = [...targets].filter(([k, high]) => (reached.get(k) ?? 0n) < high).map(([k, high]) => `${k} at ${reached.get(k) ?? 'none'} of ${high}`);
    process.stdout.write(`bare consumer still waiting for: ${missing.join(', ')}\n`);
  }, 10_000);
  await done;
  clearInterval(watch);
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return { seconds, messages };
}

async function projectionRun(
  kafka: Kafka,
  dataSource: DataSource,
  producer: SerializedProducer,
  targets: Map<string, bigint>,
  logger: Logger,
): Promise<{ seconds: number; applied: number; projection: CaseProjection; progress: (cb: (topic: string, partition: number, offset: bigint) => void) => void }> {
  const reached = new Map<string, bigint>();
  let started = 0;
  let listener: ((topic: string, partition: number, offset: bigint) => void) | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const runId = randomUUID();
  const projection = new CaseProjection({
    kafka,
    dataSource,
    producer,
    logger,
    // The service's default chunk size.
    batchSize: new WorkbenchConfig().PROJECTION_BATCH_SIZE,
    groupId: `bench.projection.${runId}`,
    topics: { [TOPIC]: LOGICAL },
    onProgress: (topic, partition, offset) => {
      if (started === 0) started = performance.now();
      reached.set(`${topic}:${partition}`, BigInt(offset) + 1n);
      listener?.(topic, partition, BigInt(offset));
      if ([...targets].every(([k, high]) => (reached.get(k) ?? 0n) >= high)) resolveDone();
    },
  });
  const t0 = performance.now();
  await projection.start();
  await done;
  // Time from the first handled batch (like the bare consumer: from its first batch).
  const seconds = (performance.now() - (started || t0)) / 1000;
  return { seconds, applied: projection.stats.applied, projection, progress: (cb) => (listener = cb) };
}

export interface ProjectionFigures {
  backlog: number;
  bare: { seconds: number; perSecond: number };
  projection: { seconds: number; perSecond: number; applied: number };
  ratio: number;
  lag: { events: number; p50: number; p95: number; p99: number; max: number };
}

export async function projectionBench(dataSource: DataSource): Promise<ProjectionFigures> {
  const env = testEnvironment();
  const logger = new Logger('bench', 'error');
  const kafka = createKafka({ clientId: 'bench', brokers: env.kafkaBrokers });
  const raw = createKafka({ clientId: 'bench-producer', brokers: env.kafkaBrokers });
  const producer = raw.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const dlq = new SerializedProducer(kafka);
  await dlq.connect();
  await ensureTopics(kafka, { topics: [TOPIC], partitions: 3 });
  try {
    await removeEarlierRuns(dataSource);
    const runId = randomUUID().slice(0, 8);
    const t0 = performance.now();
    for (let from = 0; from < EVENTS; from += 2000) {
      const messages = [];
      for (let i = from; i < Math.min(EVENTS, from + 2000); i++) {
        // Two versions per case for half of them: the projection has real upserts to do.
        const e = event(i, runId, 1);
        messages.push({ key: e.subjectId, value: JSON.stringify(e) });
        if (i % 2 === 0) {
          const e2 = event(i, runId, 2);
          messages.push({ key: e2.subjectId, value: JSON.stringify({ ...e2, data: { ...e2.data, businessNo: e.data.businessNo } }) });
        }
      }
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
    process.stdout.write(`projection: produced ${Math.round(EVENTS * 1.5)} events to ${TOPIC} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const targets = await highWatermarks(kafka);
    const total = await backlog(kafka);

    // The bare consumer twice (the first warms the broker's page cache), the better one counts.
    process.stdout.write(`projection: ${total} events on ${targets.size} partitions to read\n`);
    const bare1 = await bareConsumer(kafka, targets);
    process.stdout.write(`bare consumer 1: ${bare1.messages} in ${bare1.seconds.toFixed(2)} s\n`);
    const bare2 = await bareConsumer(kafka, targets);
    process.stdout.write(`bare consumer 2: ${bare2.messages} in ${bare2.seconds.toFixed(2)} s\n`);
    const bare = bare1.seconds < bare2.seconds ? bare1 : bare2;
    const proj = await projectionRun(kafka, dataSource, dlq, targets, logger);
    process.stdout.write(`projection: caught up in ${proj.seconds.toFixed(2)} s\n`);
    const barePerSecond = bare.messages / bare.seconds;
    const projPerSecond = total / proj.seconds;

    // Lag: events published one by one at a steady rate while the projection runs live.
    const sent = new Map<string, number>();
    const lags: number[] = [];
    proj.progress((topic, partition, offset) => {
      for (const [key, at] of sent) {
        const [t, p, o] = key.split(':');
        if (t === topic && Number(p) === partition && BigInt(o!) <= offset) {
          lags.push(performance.now() - at);
          sent.delete(key);
        }
      }
    });
    const lagRun = randomUUID().slice(0, 8);
    const interval = 1000 / LAG_RATE;
    const begin = performance.now();
    for (let i = 0; i < LAG_EVENTS; i++) {
      const wait = begin + i * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const e = event(i, lagRun, 1);
      const at = performance.now();
      const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: e.subjectId, value: JSON.stringify(e) }] });
      sent.set(`${meta!.topicName}:${meta!.partition}:${meta!.baseOffset}`, at);
    }
    const deadline = performance.now() + 30_000;
    while (sent.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await proj.projection.stop();
    const sorted = [...lags].sort((a, b) => a - b);
    const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
    if (sent.size > 0) process.stdout.write(`lag: ${sent.size} events not visible within 30 s\n`);
    return {
      backlog: total,
      bare: { seconds: Math.round(bare.seconds * 100) / 100, perSecond: Math.round(barePerSecond) },
      projection: { seconds: Math.round(proj.seconds * 100) / 100, perSecond: Math.round(projPerSecond), applied: proj.applied },
      ratio: Math.round((projPerSecond / barePerSecond) * 1000) / 1000,
      lag: { events: lags.length, p50: q(50), p95: q(95), p99: q(99), max: Math.round(sorted[sorted.length - 1]! * 10) / 10 },
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await dlq.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export const silenceKafka = logLevel.NOTHING;
