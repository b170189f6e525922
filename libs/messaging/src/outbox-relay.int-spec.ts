import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dlqTopic, IdentityTopics } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { OutboxWriter, serviceDataSourceOptions } from '@certhub/persistence';
import { eventually, KafkaProbe, testEnvironment } from '@certhub/testing';
import { createKafka, ensureTopics, SerializedProducer } from './kafka';
import { IdempotentConsumer } from './idempotent-consumer';
import { OutboxRelay } from './outbox-relay';

const TOPIC = IdentityTopics.AccountChanged;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = new Logger('messaging-test', 'error', { write: () => undefined });

describe('outbox relay and idempotent consumer against the real PostgreSQL and Kafka', () => {
  const schema = `mt_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let ds: DataSource;
  let producer: SerializedProducer;
  let probe: KafkaProbe;
  const kafka = () => createKafka({ clientId: 'messaging-test', brokers: testEnvironment().kafkaBrokers, logger: quiet });

  before(async () => {
    const env = testEnvironment();
    const setup = new Client({ connectionString: env.databaseUrl });
    await setup.connect();
    await setup.query(`CREATE SCHEMA "${schema}"`);
    await setup.end();
    ds = await new DataSource(serviceDataSourceOptions({ url: env.databaseUrl, schema, entities: [], migrations: [] })).initialize();
    await ds.synchronize();
    await ds.query('CREATE TABLE handled (event_id uuid PRIMARY KEY, subject text NOT NULL, seq int NOT NULL)');
    await ensureTopics(kafka());
    producer = new SerializedProducer(kafka());
    await producer.connect();
    probe = await new KafkaProbe(env.kafkaBrokers).start([TOPIC, dlqTopic(TOPIC)]);
  });
  after(async () => {
    await probe?.stop();
    await producer?.disconnect();
    await ds?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await ds?.destroy();
  });

  const keys: string[] = [randomUUID(), randomUUID(), randomUUID()];
  const writer = () => new OutboxWriter('messaging-test', schema);

  async function writeEvents(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const key = keys[i % keys.length]!;
      await ds.transaction((m) => writer().append(m, { topic: TOPIC, subjectId: key, data: { accountId: key, changed: [String(i)] } }));
    }
  }

  const seqOf = (value: unknown) => Number((value as { data: { changed: string[] } }).data.changed[0]);

  it('publishes every event, in order per key, even when the relay crashes between sending and marking', async () => {
    await writeEvents(30);
    // Relay 1 sends the first batch, then "crashes" before it can mark the rows sent.
    const crashing = new OutboxRelay({
      connection: { connectionString: testEnvironment().databaseUrl },
      schema,
      producer: {
        sendBatch: async (topicMessages: Parameters<SerializedProducer['sendBatch']>[0]) => {
          await producer.sendBatch(topicMessages);
          throw new Error('simulated crash after send');
        },
      } as unknown as SerializedProducer,
      logger: quiet,
      batchSize: 10,
    });
    const client = new Client({ connectionString: testEnvironment().databaseUrl });
    await client.connect();
    await client.query(`SET search_path TO "${schema}"`);
    await assert.rejects(crashing.publishBatch(client), /simulated crash/);
    await client.end();
    const unsentAfterCrash: Array<{ n: number }> = await ds.query('SELECT count(*)::int AS n FROM outbox_message WHERE sent_at IS NULL');
    assert.equal(unsentAfterCrash[0]!.n, 30, 'nothing was marked sent by the crashed relay');

    // Relay 2 (after restart) publishes everything.
    const relay = new OutboxRelay({ connection: { connectionString: testEnvironment().databaseUrl }, schema, producer, logger: quiet, batchSize: 10, pollIntervalMs: 100 });
    await relay.start();
    try {
      await eventually(async () => {
        const rows: Array<{ n: number }> = await ds.query('SELECT count(*)::int AS n FROM outbox_message WHERE sent_at IS NULL');
        return rows[0]!.n === 0;
      }, { what: 'all outbox rows sent' });
    } finally {
      await relay.stop();
    }
    for (const key of keys) {
      const received = await eventually(async () => {
        const got = probe.matching((m) => m.topic === TOPIC && m.key === key);
        return got.length >= 10 ? got : undefined;
      });
      // Deduplicated by event id, each key's events arrive in the order they were written.
      const seen = new Set<string>();
      const firstSeen = received.filter((m) => {
        const id = (m.value as { eventId: string }).eventId;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      const seqs = firstSeen.map((m) => seqOf(m.value));
      assert.equal(seqs.length, 10);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    }
    // The crashed batch was delivered twice: at-least-once, never lost.
    const all = probe.matching((m) => m.topic === TOPIC && keys.includes(m.key ?? ''));
    assert.equal(all.length, 40);
  });

  it('commits that land while the relay lingers after an announcement go out in one batch', async () => {
    const sends: number[] = [];
    const counting = {
      sendBatch: async (topicMessages: Parameters<SerializedProducer['sendBatch']>[0]) => {
        sends.push(topicMessages.reduce((n, t) => n + t.messages.length, 0));
        await producer.sendBatch(topicMessages);
      },
    } as unknown as SerializedProducer;
    // A poll interval far beyond the test: only the announcements can wake the relay in time.
    const relay = new OutboxRelay({ connection: { connectionString: testEnvironment().databaseUrl }, schema, producer: counting, logger: quiet, pollIntervalMs: 60_000, lingerMs: 300 });
    await relay.start();
    try {
      await sleep(500);
      // 12 commits, one every 10 ms: the first wakes the relay, the others arrive while it lingers
      // (a key of their own: the consumer test below counts the events of its keys).
      const burst = randomUUID();
      const started = Date.now();
      for (let i = 0; i < 12; i++) {
        await ds.transaction((m) => writer().append(m, { topic: TOPIC, subjectId: burst, data: { accountId: burst, changed: [String(i)] } }));
        await sleep(10);
      }
      await eventually(async () => {
        const rows: Array<{ n: number }> = await ds.query('SELECT count(*)::int AS n FROM outbox_message WHERE sent_at IS NULL');
        return rows[0]!.n === 0;
      }, { what: 'the burst sent', timeoutMs: 10_000 });
      assert.ok(Date.now() - started < 5_000, 'sent on the announcements, not on the poll');
      assert.equal(sends.reduce((a, b) => a + b, 0), 12);
      assert.ok(sends.length <= 2, `12 commits went out in ${sends.length} Kafka requests (${sends.join(', ')})`);
    } finally {
      await relay.stop();
    }
  });

  it('rows of several topics read together go out in one Kafka request, each topic in id order', async () => {
    const requests: Array<Parameters<SerializedProducer['sendBatch']>[0]> = [];
    const counting = {
      sendBatch: async (topicMessages: Parameters<SerializedProducer['sendBatch']>[0]) => {
        requests.push(topicMessages);
        await producer.sendBatch(topicMessages);
      },
    } as unknown as SerializedProducer;
    const relay = new OutboxRelay({ connection: { connectionString: testEnvironment().databaseUrl }, schema, producer: counting, logger: quiet, batchSize: 100 });
    const client = new Client({ connectionString: testEnvironment().databaseUrl });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${schema}"`);
      while ((await relay.publishBatch(client)) > 0); // rows earlier tests left unsent
      requests.length = 0;
      const subject = randomUUID();
      const REVOKED = IdentityTopics.SessionRevoked;
      // Interleaved topics, each commit on its own: account 0, revoked 0, account 1, revoked 1, …
      for (let i = 0; i < 3; i++) {
        await ds.transaction((m) => writer().append(m, { topic: TOPIC, subjectId: subject, data: { accountId: subject, changed: [String(i)] } }));
        await ds.transaction((m) =>
          writer().append(m, { topic: REVOKED, subjectId: subject, data: { accountId: subject, sessionIds: [`s${i}`], reason: 'logout', revokedAt: new Date().toISOString() } }),
        );
      }
      assert.equal(await relay.publishBatch(client), 6);
      assert.equal(requests.length, 1, 'one Kafka request for the whole read');
      const valuesOf = (topic: string) =>
        requests[0]!.filter((t) => t.topic === topic).flatMap((t) => t.messages.map((msg) => JSON.parse(String(msg.value)) as { data: Record<string, unknown> }));
      assert.deepEqual(valuesOf(TOPIC).map((e) => (e.data.changed as string[])[0]), ['0', '1', '2']);
      assert.deepEqual(valuesOf(REVOKED).map((e) => (e.data.sessionIds as string[])[0]), ['s0', 's1', 's2']);
    } finally {
      await client.end();
    }
  });

  it('purges sent rows after the retention, never unsent ones', async () => {
    const relay = new OutboxRelay({ connection: { connectionString: testEnvironment().databaseUrl }, schema, producer, logger: quiet, retainSentMs: 3600_000 });
    await ds.query(`UPDATE outbox_message SET sent_at = now() - interval '2 hours' WHERE id IN (SELECT id FROM outbox_message ORDER BY id LIMIT 5)`);
    await writeEvents(1);
    const before: Array<{ sent: number; unsent: number }> = await ds.query(
      `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent, count(*) FILTER (WHERE sent_at IS NULL)::int AS unsent FROM outbox_message`,
    );
    const client = new Client({ connectionString: testEnvironment().databaseUrl });
    await client.connect();
    await client.query(`SET search_path TO "${schema}"`);
    try {
      assert.equal(await relay.purgeSent(client), 5);
    } finally {
      await client.end();
    }
    const after: Array<{ sent: number; unsent: number }> = await ds.query(
      `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent, count(*) FILTER (WHERE sent_at IS NULL)::int AS unsent FROM outbox_message`,
    );
    assert.equal(after[0]!.sent, before[0]!.sent - 5);
    assert.equal(after[0]!.unsent, before[0]!.unsent);
    assert.equal(after[0]!.unsent, 1);
  });

  it('an idempotent consumer handles each event exactly once despite duplicates', async () => {
    const group = `mt-consumer-${randomUUID()}`;
    const consumer = new IdempotentConsumer({ kafka: kafka(), groupId: group, dataSource: ds, producer, logger: quiet }).on(TOPIC, async (event, manager) => {
      if (!keys.includes(event.subjectId)) return;
      await manager.query('INSERT INTO handled (event_id, subject, seq) VALUES ($1, $2, $3)', [event.eventId, event.subjectId, Number(event.data.changed[0])]);
    });
    await consumer.start();
    try {
      await eventually(async () => {
        const rows: Array<{ n: number }> = await ds.query('SELECT count(*)::int AS n FROM handled');
        return rows[0]!.n >= 30;
      }, { what: '30 handled events', timeoutMs: 30_000 });
      // Give duplicates (the re-sent batch) time to arrive; none may be handled again.
      await new Promise((r) => setTimeout(r, 1000));
      const rows: Array<{ n: number }> = await ds.query('SELECT count(*)::int AS n FROM handled');
      assert.equal(rows[0]!.n, 30);
      const perKey: Array<{ subject: string; seqs: number[] }> = await ds.query('SELECT subject, array_agg(seq ORDER BY seq) AS seqs FROM handled GROUP BY subject');
      assert.equal(perKey.length, 3);
      // Re-delivering a message explicitly is also a no-op.
      const original = probe.matching((m) => m.topic === TOPIC && m.key === keys[0])[0]!;
      const again = await consumer.handle(TOPIC, {
        key: Buffer.from(original.key!),
        value: Buffer.from(JSON.stringify(original.value)),
        headers: {},
        offset: '0',
        timestamp: String(Date.now()),
        attributes: 0,
        size: undefined,
      });
      assert.equal(again, 'duplicate');
      // Marks older than the retention are forgotten; recent ones stay.
      const count = async () => ((await ds.query('SELECT count(*)::int AS n FROM processed_event WHERE consumer_group = $1', [group])) as Array<{ n: number }>)[0]!.n;
      const marks = await count();
      await ds.query(`UPDATE processed_event SET processed_at = now() - interval '40 days' WHERE consumer_group = $1 AND event_id IN (SELECT event_id FROM processed_event WHERE consumer_group = $1 LIMIT 4)`, [group]);
      assert.equal(await consumer.purgeProcessed(), 4);
      assert.equal(await count(), marks - 4);
    } finally {
      await consumer.stop();
    }
  });

  it('sends invalid events and events whose handler keeps failing to the dead-letter topic', async () => {
    const group = `mt-dlq-${randomUUID()}`;
    const poison: string = randomUUID();
    const consumer = new IdempotentConsumer({ kafka: kafka(), groupId: group, dataSource: ds, producer, logger: quiet, maxAttempts: 2 }).on(TOPIC, async (event) => {
      if (event.subjectId === poison) throw new Error('handler cannot cope');
    });
    const message = (value: string) => ({ key: Buffer.from(poison), value: Buffer.from(value), headers: {}, offset: '0', timestamp: '0', attributes: 0, size: undefined });
    assert.equal(await consumer.handle(TOPIC, message('{not json')), 'dead-lettered');
    assert.equal(await consumer.handle(TOPIC, message(JSON.stringify({ eventId: 'x', type: TOPIC }))), 'dead-lettered');
    const valid = {
      eventId: randomUUID(),
      type: TOPIC,
      occurredAt: new Date().toISOString(),
      producer: 'messaging-test',
      subjectId: poison,
      actorId: null,
      correlationId: null,
      data: { accountId: poison, changed: ['x'] },
    };
    assert.equal(await consumer.handle(TOPIC, message(JSON.stringify(valid))), 'dead-lettered');
    const dead = await eventually(async () => {
      const got = probe.matching((m) => m.topic === dlqTopic(TOPIC) && m.key === poison);
      return got.length >= 3 ? got : undefined;
    });
    assert.deepEqual(
      dead.map((m) => m.headers['dlq-reason']!.slice(0, 20)),
      ['value is not JSON', expect(dead[1]!.headers['dlq-reason']!), 'handler cannot cope'],
    );
    const handled: unknown[] = await ds.query('SELECT 1 FROM processed_event WHERE event_id = $1', [valid.eventId]);
    assert.equal(handled.length, 0, 'a failed handler leaves no processed mark');
  });
});

function expect(reason: string): string {
  assert.match(reason, /^envelope /);
  return reason.slice(0, 20);
}
