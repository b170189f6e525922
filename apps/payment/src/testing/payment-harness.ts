import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '@certhub/config';
import { ExamTopics, type EventEnvelope, type OrderPlacedV1, type RefundRequestedV1 } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { createKafka, SerializedProducer } from '@certhub/messaging';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { eventually, freePort, serviceTestEnv, testEnvironment } from '@certhub/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createPaymentApp } from '../main';
import { PaymentConfig } from '../payment.config';
import { NOTIFY_HEADERS, signNotification } from '../provider/signature';

export interface Response<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** One secret for the whole test process, so a restarted service still verifies earlier notifications. */
const NOTIFY_SECRET = randomBytes(32).toString('base64url');

/**
 * The payment service in-process against the real PostgreSQL, Kafka and Temporal started by
 * `npm test`. It listens on a free loopback port: the sandbox's notifications come over HTTP.
 * Exam's events are published to Kafka as exam's outbox relay would.
 */
export class PaymentHarness {
  private producer?: SerializedProducer;

  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: PaymentConfig,
  ) {}

  static async start(overrides: Record<string, string> = {}): Promise<PaymentHarness> {
    const port = await freePort();
    const config = loadConfig(
      PaymentConfig,
      serviceTestEnv({
        PORT: String(port),
        PAYMENT_SANDBOX_NOTIFY_SECRET: NOTIFY_SECRET,
        // Reconciliation rounds are run by the tests themselves.
        PAYMENT_RECONCILE_INTERVAL_MS: '3600000',
        PAYMENT_SANDBOX_SEND_INTERVAL_MS: '100',
        ...overrides,
      }),
    );
    const app = await createPaymentApp(config, new Logger('payment', config.LOG_LEVEL));
    await app.listen({ port, host: '127.0.0.1' });
    return new PaymentHarness(app, config);
  }

  get secret(): string {
    return NOTIFY_SECRET;
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    await this.app.close();
  }

  token(sub: string = randomUUID(), roles: string[] = [], accountType: Caller['accountType'] = 'personal'): string {
    return signAccessToken({ sub, username: `u${sub.slice(0, 8)}`, accountType, roles, institutionId: null, sid: randomUUID() }, this.config.CERTHUB_JWT_SECRET, 900);
  }

  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; text?: string } = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.text !== undefined) {
      payload = options.text;
      headers['content-type'] = 'text/plain; charset=utf-8';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.app.getHttpAdapter().getInstance().inject({ method, url, headers, payload });
    let body: unknown = res.body;
    if ((res.headers['content-type'] ?? '').toString().includes('json') && res.body.length > 0) body = JSON.parse(res.body);
    return { status: res.statusCode, body: body as T, headers: res.headers as Record<string, unknown> };
  }

  /** Publishes an exam event to Kafka, as exam's outbox relay does (key = order id). */
  async publish<T extends OrderPlacedV1 | RefundRequestedV1>(topic: string, data: T): Promise<void> {
    if (!this.producer) {
      this.producer = new SerializedProducer(createKafka({ clientId: 'payment-test-exam', brokers: testEnvironment().kafkaBrokers }));
      await this.producer.connect();
    }
    const envelope: EventEnvelope<T> = {
      eventId: randomUUID(),
      type: topic,
      occurredAt: new Date().toISOString(),
      producer: 'exam',
      subjectId: data.orderId,
      actorId: null,
      correlationId: null,
      data,
    };
    await this.producer.send(topic, [{ key: data.orderId, value: JSON.stringify(envelope) }]);
  }

  newOrder(overrides: Partial<OrderPlacedV1> = {}): OrderPlacedV1 {
    const lines = [
      { offeringId: randomUUID(), code: 'QMS-1', subject: '质量管理体系基础', sessionCode: 'S1', feeFen: 30000 },
      { offeringId: randomUUID(), code: 'QMS-2', subject: '审核知识与技能', sessionCode: 'S2', feeFen: 25050 },
    ];
    return {
      orderId: randomUUID(),
      registrationId: randomUUID(),
      businessNo: `2026112410${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`,
      periodId: randomUUID(),
      periodName: '2026 年第二期',
      candidateId: randomUUID(),
      cityCode: '310000',
      amountFen: 55050,
      lines,
      invoice: { type: 'personal', title: '张伟', taxId: null },
      placedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      ...overrides,
    };
  }

  /** Places an order through Kafka and waits until it is projected; returns it with its payer's token. */
  async placeOrder(overrides: Partial<OrderPlacedV1> = {}) {
    const order = this.newOrder(overrides);
    await this.publish(ExamTopics.OrderPlaced, order);
    await eventually(async () => (await this.orderRow(order.orderId)) !== undefined, { what: `order ${order.orderId} projected`, timeoutMs: 30_000 });
    return { order, token: this.token(order.candidateId) };
  }

  async orderRow(orderId: string): Promise<{ status: string; paid_payment_id: string | null } | undefined> {
    const rows: Array<{ status: string; paid_payment_id: string | null }> = await this.dataSource.query(`SELECT * FROM payment_order WHERE id = $1`, [orderId]);
    return rows[0];
  }

  async waitForStatus(orderId: string, status: string, timeoutMs = 20_000): Promise<void> {
    await eventually(async () => (await this.orderRow(orderId))?.status === status, { what: `order ${orderId} ${status}`, timeoutMs });
  }

  async outboxTopics(orderId: string): Promise<string[]> {
    const rows: Array<{ topic: string }> = await this.dataSource.query(`SELECT topic FROM outbox_message WHERE message_key = $1 ORDER BY id`, [orderId]);
    return rows.map((r) => r.topic);
  }

  /** A signed notification as the sandbox would send it (for forged/replayed/stale tests). */
  signed(body: string, options: { timestamp?: number; nonce?: string; secret?: string } = {}) {
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const nonce = options.nonce ?? randomBytes(16).toString('hex');
    return {
      [NOTIFY_HEADERS.timestamp]: timestamp,
      [NOTIFY_HEADERS.nonce]: nonce,
      [NOTIFY_HEADERS.signature]: signNotification(options.secret ?? NOTIFY_SECRET, timestamp, nonce, body),
    };
  }
}
