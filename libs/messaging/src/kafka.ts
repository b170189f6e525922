import { Kafka, logLevel, Partitioners, type KafkaConfig, type Producer, type Message, type RecordMetadata } from 'kafkajs';
import { dlqTopic, eventSchemas } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import { fixKafkaIdleRequestQueues } from './kafkajs-idle-fix';

export function createKafka(options: { clientId: string; brokers: string[]; logger?: Logger }): Kafka {
  fixKafkaIdleRequestQueues();
  const log = options.logger;
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        if (!log) return;
        const { message, ...rest } = entry;
        if (level === logLevel.ERROR) log.error(`kafka: ${message}`, rest);
        else if (level === logLevel.WARN) log.warn(`kafka: ${message}`, rest);
      },
  };
  return new Kafka(config);
}

/**
 * An idempotent producer whose sends run one after another. KafkaJS can lose or reorder
 * messages when one idempotent producer has concurrent `send()` calls in flight, so every
 * send of this producer waits for the previous one.
 */
export class SerializedProducer {
  private readonly producer: Producer;
  private tail: Promise<unknown> = Promise.resolve();
  private connected = false;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    await this.tail.catch(() => undefined);
    if (this.connected) await this.producer.disconnect();
    this.connected = false;
  }

  send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    return this.enqueue(() => this.producer.send({ topic, messages, acks: -1 }));
  }

  sendBatch(topicMessages: Array<{ topic: string; messages: Message[] }>): Promise<RecordMetadata[]> {
    return this.enqueue(() => this.producer.sendBatch({ topicMessages, acks: -1 }));
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * Creates every topic of the platform (and its dead-letter topic) when missing, so producers and
 * consumers never race the broker's auto-creation on a fresh cluster. Idempotent.
 */
export async function ensureTopics(kafka: Kafka, options: { partitions?: number; topics?: string[] } = {}): Promise<void> {
  const wanted = options.topics ?? Object.keys(eventSchemas).flatMap((t) => [t, dlqTopic(t)]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions ?? 3,
          replicationFactor: 1,
          // A case's latest state is all a consumer needs: keep the newest event per case key.
          ...(topic.endsWith('.case.changed.v1') ? { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] } : {}),
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
