import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { IdentityTopics, PaymentTopics, type EventDataMap, type EventEnvelope, type Topic } from '@certhub/contracts';
import { loadConfig } from '@certhub/config';
import { Logger } from '@certhub/logging';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { eventually, freePort, serviceTestEnv, testEnvironment, unique } from '@certhub/testing';
import { ExamConfig } from '../exam.config';
import { createExamApp } from '../main';

export interface Response<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

export interface Candidate {
  id: string;
  token: string;
  realName: string;
}

/**
 * The identity and payment services as the exam service sees them over HTTP, as a tiny real
 * HTTP server. They are other services of this platform (not one of the three engines), built
 * and tested on their own; here they answer `GET /api/v1/identity/me` and
 * `POST /api/v1/payment/orders/{id}/cancel` the way their contracts say, and record the calls
 * (the forwarded Authorization header included).
 */
export class CollaboratorStub {
  readonly cancelCalls: Array<{ orderId: string; authorization: string | undefined }> = [];
  /** What the payment service answers to a cancel, per order (default: cancelled). */
  readonly cancelAnswers = new Map<string, 'cancelled' | 'paid' | 'unknown' | 'error'>();
  readonly names = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<CollaboratorStub> {
    const port = await freePort();
    const holder: { stub?: CollaboratorStub } = {};
    const server = createServer((req, res) => holder.stub!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    holder.stub = new CollaboratorStub(server, `http://127.0.0.1:${port}`);
    return holder.stub;
  }

  private caller(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return undefined;
    const payload = header.slice(7).split('.')[1];
    try {
      return (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { sub?: string }).sub;
    } catch {
      return undefined;
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    const sub = this.caller(req);
    if (req.method === 'GET' && req.url === '/api/v1/identity/me') {
      if (!sub) return send(401, { code: 'COMMON_UNAUTHENTICATED' });
      return send(200, { id: sub, realName: this.names.get(sub) ?? '张伟', idType: 'resident-id', gender: 'male', birthDate: '1985-06-01' });
    }
    const cancel = /^\/api\/v1\/payment\/orders\/([0-9a-f-]{36})\/cancel$/.exec(req.url ?? '');
    if (req.method === 'POST' && cancel) {
      const orderId = cancel[1]!;
      this.cancelCalls.push({ orderId, authorization: req.headers.authorization });
      const answer = this.cancelAnswers.get(orderId) ?? 'cancelled';
      if (answer === 'paid') return send(409, { code: 'PAYMENT_ORDER_PAID' });
      if (answer === 'unknown') return send(404, { code: 'PAYMENT_NOT_FOUND' });
      if (answer === 'error') return send(500, { code: 'COMMON_INTERNAL' });
      return send(200, { status: 'cancelled' });
    }
    send(404, { code: 'COMMON_NOT_FOUND' });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A period in the import format whose registration and refund windows are open now. */
export function openPeriod(overrides: Record<string, unknown> = {}, seats: { perOffering?: number; cities?: Array<{ code: string; name: string; seatsPerOffering: number; seats?: Record<string, number> }> } = {}) {
  const hour = 3600_000;
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  return {
    code: unique.username('T'),
    name: '测试考试批次',
    registrationOpensAt: at(-hour),
    registrationClosesAt: at(5 * 24 * hour),
    refundWindow: { opensAt: at(-hour), closesAt: at(5 * 24 * hour) },
    ticketPrintWindow: { opensAt: at(30 * 24 * hour), closesAt: at(31 * 24 * hour) },
    paymentTimeoutMinutes: 30,
    feeFenPerSubject: 8000,
    sessions: [
      { code: 'S1', startsAt: at(40 * 24 * hour), endsAt: at(40 * 24 * hour + 5400_000), offerings: [{ code: 'QMS-1', subject: '质量管理体系基础（场次1）' }, { code: 'FSMS', subject: '食品安全管理体系基础' }] },
      { code: 'S2', startsAt: at(40 * 24 * hour + 3 * hour), endsAt: at(40 * 24 * hour + 4 * hour), offerings: [{ code: 'QMS-2', subject: '质量管理体系基础（场次2）' }, { code: 'EMS', subject: '环境管理体系基础', feeFen: 9000 }] },
      { code: 'S3', startsAt: at(41 * 24 * hour), endsAt: at(41 * 24 * hour + 2 * hour), offerings: [{ code: 'GEN', subject: '认证通用基础' }] },
    ],
    cities: seats.cities ?? [
      { code: 'BJ', name: '北京', seatsPerOffering: seats.perOffering ?? 100 },
      { code: 'SH', name: '上海', seatsPerOffering: seats.perOffering ?? 100 },
    ],
    ...overrides,
  };
}

export const VALID_INFO = {
  nationality: '中国',
  ethnicity: '汉族',
  residenceCity: '北京市',
  education: '本科',
  workUnit: '某认证机构',
  address: '北京市朝阳区测试路1号',
  email: 'candidate@test.certhub.local',
  phone: '13912345678',
  invoice: { type: 'personal' },
};

/**
 * The exam service in-process against the real PostgreSQL and Kafka started by `npm test`;
 * requests go through Fastify's injection. Candidates get tokens signed with the test secret and
 * their accepted photos arrive as real `identity.photo.accepted.v1` events on Kafka; payment
 * events are published to Kafka the way the payment service publishes them.
 */
export class ExamHarness {
  private producer?: Producer;

  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: ExamConfig,
    readonly stub: CollaboratorStub,
  ) {}

  static async start(overrides: Record<string, string> = {}): Promise<ExamHarness> {
    const stub = await CollaboratorStub.start();
    const config = loadConfig(
      ExamConfig,
      serviceTestEnv({ PAYMENT_SERVICE_URL: stub.url, IDENTITY_SERVICE_URL: stub.url, DATABASE_POOL_SIZE: '30', ...overrides }),
    );
    const app = await createExamApp(config, new Logger('exam', config.LOG_LEVEL));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new ExamHarness(app, config, stub);
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await this.app.close();
    await this.stub.stop();
  }

  async request<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, options: { body?: unknown; token?: string } = {}): Promise<Response<T>> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.app.getHttpAdapter().getInstance().inject({ method, url, headers, payload });
    let body: unknown = res.body;
    if ((res.headers['content-type'] ?? '').toString().includes('json') && res.body.length > 0) body = JSON.parse(res.body);
    return { status: res.statusCode, body: body as T, headers: res.headers as Record<string, unknown> };
  }

  token(caller: Partial<Caller> & { sub: string }): string {
    return signAccessToken(
      { username: unique.username('c'), accountType: 'personal', roles: ['personal'], institutionId: null, sid: randomUUID(), ...caller },
      testEnvironment().jwtSecret,
      3600,
    );
  }

  adminToken(): string {
    return this.token({ sub: randomUUID(), accountType: 'staff', roles: ['admin', 'staff'] });
  }

  async importPeriod(body: Record<string, unknown>): Promise<string> {
    const res = await this.request<{ id: string }>('POST', '/api/v1/exam/admin/periods', { body, token: this.adminToken() });
    if (res.status !== 201) throw new Error(`import answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  async offerings(periodId: string): Promise<Record<string, string>> {
    const rows: Array<{ id: string; code: string }> = await this.dataSource.query(`SELECT id, code FROM offering WHERE period_id = $1`, [periodId]);
    return Object.fromEntries(rows.map((r) => [r.code, r.id]));
  }

  async publish<T extends Topic>(topic: T, subjectId: string, data: EventDataMap[T], eventId: string = randomUUID()): Promise<EventEnvelope<EventDataMap[T]>> {
    if (!this.producer) {
      const kafka = new Kafka({ clientId: 'exam-test', brokers: testEnvironment().kafkaBrokers, logLevel: logLevel.NOTHING });
      this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
      await this.producer.connect();
    }
    const envelope: EventEnvelope<EventDataMap[T]> = {
      eventId,
      type: topic,
      occurredAt: new Date().toISOString(),
      producer: topic.startsWith('payment.') ? 'payment' : 'identity',
      subjectId,
      actorId: null,
      correlationId: null,
      data,
    };
    await this.producer.send({ topic, messages: [{ key: subjectId, value: JSON.stringify(envelope) }], acks: -1 });
    return envelope;
  }

  /** Candidates whose ID photos identity accepted (the events are on Kafka and projected). */
  async candidates(n: number): Promise<Candidate[]> {
    const list = Array.from({ length: n }, () => {
      const id = randomUUID();
      return { id, token: this.token({ sub: id }), realName: '张伟' };
    });
    for (const c of list) await this.publish(IdentityTopics.PhotoAccepted, c.id, { accountId: c.id, bytes: 9000 });
    await eventually(
      async () => {
        const rows: Array<{ n: string }> = await this.dataSource.query(`SELECT count(*) AS n FROM accepted_photo WHERE account_id = ANY($1::uuid[])`, [list.map((c) => c.id)]);
        return Number(rows[0]!.n) === n;
      },
      { what: 'accepted photos projected', timeoutMs: 30_000 },
    );
    return list;
  }

  /** A registration with info, subjects and city done, ready to order. */
  async readyRegistration(c: Candidate, periodId: string, offeringIds: string[], cityCode: string): Promise<string> {
    const started = await this.request<{ id: string }>('POST', `/api/v1/exam/periods/${periodId}/registrations`, { token: c.token, body: { noticeAccepted: true } });
    if (started.status !== 201) throw new Error(`registration answered ${started.status}: ${JSON.stringify(started.body)}`);
    const id = started.body.id;
    for (const [path, body] of [
      ['info', VALID_INFO],
      ['subjects', { offeringIds }],
      ['city', { cityCode }],
    ] as const) {
      const res = await this.request('PUT', `/api/v1/exam/registrations/${id}/${path}`, { token: c.token, body });
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return id;
  }

  async order(c: Candidate, registrationId: string) {
    return this.request<{
      orderId: string;
      amountFen: number;
      expiresAt: string;
      code?: string;
      details?: { fullOfferings?: Array<{ code: string }>; citiesWithSeats?: Array<{ cityCode: string }> };
    }>(
      'POST',
      `/api/v1/exam/registrations/${registrationId}/order`,
      { token: c.token, body: { confirmed: true } },
    );
  }

  async pools(periodId: string): Promise<Array<{ code: string; city_code: string; quota: number; held: number; paid: number }>> {
    return this.dataSource.query(
      `SELECT o.code, p.city_code, p.quota, p.held, p.paid FROM seat_pool p JOIN offering o ON o.id = p.offering_id WHERE p.period_id = $1 ORDER BY o.code, p.city_code`,
      [periodId],
    );
  }

  async pool(periodId: string, code: string, cityCode: string) {
    return (await this.pools(periodId)).find((p) => p.code === code && p.city_code === cityCode)!;
  }

  /** Publishes `payment.order.paid.v1` for an order and waits until exam recorded it. */
  async pay(orderId: string, amountFen: number): Promise<void> {
    await this.publish(PaymentTopics.OrderPaid, orderId, { orderId, paymentId: randomUUID(), provider: 'sandbox', amountFen, paidAt: new Date().toISOString() });
    await this.orderStatus(orderId, 'paid');
  }

  /**
   * Waits until the payment-event consumer has handled everything published before under `key`:
   * a marker event (an expiry of an unknown order) goes to the same partition after them.
   */
  async settled(key: string): Promise<void> {
    const marker = randomUUID();
    const envelope = await this.publish(PaymentTopics.OrderExpired, key, { orderId: marker, expiredAt: new Date().toISOString() });
    await eventually(async () => (await this.dataSource.query(`SELECT 1 FROM processed_event WHERE event_id = $1`, [envelope.eventId])).length > 0, {
      what: 'payment events handled',
      timeoutMs: 30_000,
    });
  }

  async orderStatus(orderId: string, status: string): Promise<void> {
    await eventually(
      async () => {
        const rows: Array<{ status: string }> = await this.dataSource.query(`SELECT status FROM exam_order WHERE id = $1`, [orderId]);
        return rows[0]?.status === status;
      },
      { what: `order ${status}`, timeoutMs: 30_000 },
    );
  }
}
