import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

export interface ReceivedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

/**
 * Reads topics from the beginning with a fresh consumer group, keeping every message, so a test
 * can wait for the events it caused (`await probe.waitFor(m => m.value.subjectId === id)`).
 */
export class KafkaProbe {
  readonly messages: ReceivedMessage[] = [];
  private consumer?: Consumer;
  private waiters: Array<() => void> = [];

  constructor(private readonly brokers: string[]) {}

  async start(topics: string[], fromBeginning = true): Promise<this> {
    const kafka = new Kafka({ clientId: 'test-probe', brokers: this.brokers, logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: `test-probe-${randomUUID()}`, allowAutoTopicCreation: true });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const text = message.value?.toString('utf8') ?? 'null';
        let value: unknown = text;
        try {
          value = JSON.parse(text);
        } catch {
          /* keep the raw text */
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
        this.messages.push({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value, headers });
        for (const w of this.waiters.splice(0)) w();
      },
    });
    return this;
  }

  async waitFor(predicate: (m: ReceivedMessage) => boolean, timeoutMs = 20_000): Promise<ReceivedMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching Kafka message within ${timeoutMs} ms (saw ${this.messages.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  matching(predicate: (m: ReceivedMessage) => boolean): ReceivedMessage[] {
    return this.messages.filter(predicate);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
