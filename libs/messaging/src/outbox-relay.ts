import { Client, type ClientConfig } from 'pg';
import type { Logger } from '@certhub/logging';
import { outboxChannel } from '@certhub/persistence';
import type { SerializedProducer } from './kafka';

export interface OutboxRelayOptions {
  /** Connection settings of the service's database (the relay uses its own connection). */
  connection: ClientConfig;
  schema: string;
  producer: SerializedProducer;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  /**
   * After a commit wakes the relay it waits this long (default 50 ms) before reading, so that the
   * commits of those milliseconds go out in the same batch: under load one read, one Kafka
   * request and one stamp for many rows instead of one each (consumers then fetch fewer, larger
   * batches too). It is the most an event waits for company.
   */
  lingerMs?: number;
  /** Sent rows older than this are deleted (default 7 days); the log of record is Kafka. */
  retainSentMs?: number;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  payload: Record<string, unknown>;
}

/**
 * Publishes a service's outbox to Kafka in id order.
 *
 * - One relay per schema is active: it holds a session advisory lock; others wait as standbys.
 * - Rows are read in id order, sent as one batch through the serialised idempotent producer, and
 *   stamped `sent_at` only after Kafka acknowledged. A crash between the two re-sends the same
 *   rows in the same order on restart; consumers drop the duplicates by event id, so nothing is
 *   lost and no key sees its events reordered.
 * - LISTEN/NOTIFY wakes the relay right after a commit; a poll covers missed notifications.
 */
export class OutboxRelay {
  private client?: Client;
  private running = false;
  private wake?: () => void;
  /** A commit was announced since the last read began. */
  private notified = false;
  private loop?: Promise<void>;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly lingerMs: number;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.lingerMs = options.lingerMs ?? 50;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async connect(): Promise<Client> {
    const client = new Client({ ...this.options.connection, application_name: `${this.options.schema}-outbox-relay` });
    await client.connect();
    client.on('error', (err) => this.options.logger.warn('outbox relay connection error', { err }));
    client.on('notification', () => {
      this.notified = true;
      this.wake?.();
    });
    await client.query(`SET search_path TO "${this.options.schema}"`);
    return client;
  }

  private async run(): Promise<void> {
    const log = this.options.logger;
    while (this.running) {
      try {
        this.client = await this.connect();
        // Leader election: only the holder of the lock publishes, so order is kept across replicas.
        const lockKey = `outbox-relay:${this.options.schema}`;
        while (this.running) {
          const { rows } = await this.client.query<{ locked: boolean }>(
            'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
            [lockKey],
          );
          if (rows[0]?.locked) break;
          await this.sleep(this.pollIntervalMs * 2);
        }
        await this.client.query(`LISTEN "${outboxChannel(this.options.schema)}"`);
        let lastPurge = 0;
        while (this.running) {
          // A commit announced from here on is read by the next round at the latest.
          this.notified = false;
          const sent = await this.publishBatch(this.client);
          if (Date.now() - lastPurge > 10 * 60_000) {
            lastPurge = Date.now();
            await this.purgeSent(this.client);
          }
          if (sent < this.batchSize) {
            if (!this.notified) await this.sleep(this.pollIntervalMs);
            // Woken by a commit: the commits of the next few milliseconds join its batch.
            if (this.notified && this.running && this.lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
          }
        }
      } catch (err) {
        if (this.running) {
          log.warn('outbox relay failed; retrying', { err });
          await this.sleep(1000);
        }
      } finally {
        await this.client?.end().catch(() => undefined);
        this.client = undefined;
      }
    }
  }

  /** Publishes the oldest unsent rows; returns how many were sent. */
  async publishBatch(client: Client): Promise<number> {
    const { rows } = await client.query<OutboxRow>(
      `SELECT id, topic, message_key, payload FROM outbox_message WHERE sent_at IS NULL ORDER BY id LIMIT $1`,
      [this.batchSize],
    );
    if (rows.length === 0) return 0;
    // Every topic's rows in id order (so per-key order is the id order), all in one produce request.
    const byTopic = new Map<string, Array<{ key: string; value: string; headers: Record<string, string> }>>();
    for (const row of rows) {
      const message = {
        key: row.message_key,
        value: JSON.stringify(row.payload),
        headers: { 'event-type': row.topic, 'event-id': String(row.payload.eventId) },
      };
      const messages = byTopic.get(row.topic);
      if (messages) messages.push(message);
      else byTopic.set(row.topic, [message]);
    }
    await this.options.producer.sendBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    await client.query(`UPDATE outbox_message SET sent_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
    return rows.length;
  }

  /** Deletes rows that were sent longer ago than the retention; returns how many. */
  async purgeSent(client: Client): Promise<number> {
    const retainMs = this.options.retainSentMs ?? 7 * 24 * 3600_000;
    const result = await client.query(
      `DELETE FROM outbox_message WHERE id IN (
         SELECT id FROM outbox_message WHERE sent_at IS NOT NULL AND sent_at < now() - make_interval(secs => $1) LIMIT 10000)`,
      [retainMs / 1000],
    );
    return result.rowCount ?? 0;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
