import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { loadConfig } from '@certhub/config';
import { Logger } from '@certhub/logging';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { freePort, putInAccountDirectory, serviceTestEnv, testEnvironment, unique } from '@certhub/testing';
import { CertificationConfig } from '../certification.config';
import { createCertificationApp } from '../main';

export interface Response<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
  /** The body's bytes as sent (files). */
  raw: Buffer;
}

export interface Applicant {
  id: string;
  token: string;
}

export interface StubProfile {
  verificationStatus: string;
  photoAccepted: boolean;
  educations: Array<Record<string, unknown> & { id: string }>;
}

/**
 * The identity service as certification sees it over HTTP, as a tiny real HTTP server: it
 * answers `GET /api/v1/identity/me`, `GET /api/v1/identity/me/records` (the basic info library
 * of the token's account, 401 without a token) and `GET /api/v1/identity/institutions/{id}` the
 * way identity's contract says, and records the calls. Identity itself is built and tested on
 * its own; `down` makes it answer 503 as an unreachable identity would.
 */
export class IdentityStub {
  readonly profiles = new Map<string, StubProfile>();
  readonly records = new Map<string, Array<Record<string, unknown> & { id: string; kind: string }>>();
  readonly institutions = new Map<string, { id: string; name: string; kind: string }>();
  readonly calls: Array<{ path: string; authorization: string | undefined }> = [];
  down = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<IdentityStub> {
    const port = await freePort();
    const holder: { stub?: IdentityStub } = {};
    const server = createServer((req, res) => holder.stub!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    holder.stub = new IdentityStub(server, `http://127.0.0.1:${port}`);
    return holder.stub;
  }

  private caller(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return undefined;
    try {
      return (JSON.parse(Buffer.from(header.slice(7).split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string }).sub;
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
    this.calls.push({ path: req.url ?? '', authorization: req.headers.authorization });
    if (this.down) return send(503, { code: 'COMMON_UPSTREAM_UNAVAILABLE' });
    const institution = /^\/api\/v1\/identity\/institutions\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && institution) {
      const found = this.institutions.get(decodeURIComponent(institution[1]!));
      return found ? send(200, { ...found, creditCode: '91110000MA00TEST1X' }) : send(404, { code: 'IDENTITY_NOT_FOUND' });
    }
    const sub = this.caller(req);
    if (req.method === 'GET' && req.url === '/api/v1/identity/me') {
      if (!sub) return send(401, { code: 'COMMON_UNAUTHENTICATED' });
      const p = this.profiles.get(sub) ?? { verificationStatus: 'pending', photoAccepted: false, educations: [] };
      return send(200, {
        id: sub,
        realName: '张伟',
        idType: 'resident-id',
        idNumberMasked: '110***********47',
        verification: { status: p.verificationStatus },
        photo: { accepted: p.photoAccepted, updatedAt: null },
        educations: p.educations,
      });
    }
    if (req.method === 'GET' && req.url === '/api/v1/identity/me/records') {
      if (!sub) return send(401, { code: 'COMMON_UNAUTHENTICATED' });
      return send(200, this.records.get(sub) ?? []);
    }
    send(404, { code: 'COMMON_NOT_FOUND' });
  }

  /** A certification body in the directory. */
  institution(name = '华认质量认证中心（测试）', kind = 'certification'): string {
    const id = randomUUID();
    this.institutions.set(id, { id, name, kind });
    return id;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The certification service in-process against the real PostgreSQL and Kafka started by
 * `npm test`; requests go through Fastify's injection with tokens signed by the test secret.
 */
export class CertificationHarness {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: CertificationConfig,
    readonly identity: IdentityStub,
  ) {}

  static async start(overrides: Record<string, string> = {}): Promise<CertificationHarness> {
    const identity = await IdentityStub.start();
    const config = loadConfig(CertificationConfig, serviceTestEnv({ IDENTITY_SERVICE_URL: identity.url, ...overrides }));
    const app = await createCertificationApp(config, new Logger('certification', config.LOG_LEVEL));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new CertificationHarness(app, config, identity);
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.identity.stop();
  }

  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    options: { body?: unknown; rawBody?: string | Buffer; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | Buffer | undefined = options.rawBody;
    if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await this.app.getHttpAdapter().getInstance().inject({ method, url, headers, payload });
    let body: unknown = res.body;
    if ((res.headers['content-type'] ?? '').toString().includes('json') && res.body.length > 0) body = JSON.parse(res.body);
    return { status: res.statusCode, body: body as T, headers: res.headers as Record<string, unknown>, raw: res.rawPayload };
  }

  /** Uploads a file as a case attachment (raw body with its Content-Type). */
  async upload(token: string, file: Buffer, contentType: string, headers: Record<string, string> = {}) {
    return this.request<{ id: string; contentType: string; bytes: number; sha256: string; uploadedAt: string; code?: string; field?: string; details?: Record<string, unknown> }>(
      'POST',
      '/api/v1/certification/attachments',
      { token, rawBody: file, headers: { ...headers, 'content-type': contentType } },
    );
  }

  token(caller: Partial<Caller> & { sub: string }): string {
    return signAccessToken(
      { username: unique.username('c'), accountType: 'personal', roles: ['personal'], institutionId: null, sid: randomUUID(), ...caller },
      testEnvironment().jwtSecret,
      3600,
    );
  }

  applicant(): Applicant {
    const id = randomUUID();
    return { id, token: this.token({ sub: id }) };
  }

  /**
   * An expert as identity's events put them in workbench's account directory (the workbench
   * refuses to name anyone else the expert of a case); needs the workbench's schema migrated.
   */
  async expert(): Promise<Applicant> {
    const id = randomUUID();
    await putInAccountDirectory(this.dataSource, [{ accountId: id, accountType: 'personal', roles: ['personal', 'expert'] }]);
    return { id, token: this.token({ sub: id, roles: ['personal', 'expert'] }) };
  }

  /**
   * A registration certificate of the person as CE-3 issues it (QMS system auditor, holder 张伟),
   * written straight into the table: cases that need a certificate start from it.
   */
  async certificate(
    a: Applicant,
    options: { validUntil: Date; institutionId: string | null; institutionName: string | null; issuedYearsAgo: number; status?: string; certificateNo?: string },
  ): Promise<{ id: string; no: string }> {
    const id = randomUUID();
    const no = options.certificateNo ?? `QMS-${Date.now()}${Math.floor(Math.random() * 1000)}`;
    await this.dataSource.query(
      `INSERT INTO certificate (id, certificate_no, application_id, person_id, application_type, grade, field, institution_id, institution_name, holder_name, issued_at, valid_until, status)
       VALUES ($1, $2, $3, $4, 'system-auditor', 'auditor', 'QMS', $5, $6, '张伟', now() - make_interval(years => $7), $8, $9)`,
      [id, no, randomUUID(), a.id, options.institutionId, options.institutionName, options.issuedYearsAgo, options.validUntil, options.status ?? 'valid'],
    );
    return { id, no };
  }

  async create(a: Applicant, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    return this.request<{ id: string; businessNo: string; code?: string; field?: string; details?: Record<string, unknown> }>('POST', '/api/v1/certification/applications', {
      token: a.token,
      body,
      headers,
    });
  }

  async view(a: Applicant, id: string) {
    return this.request<ApplicationView>('GET', `/api/v1/certification/applications/${id}`, { token: a.token });
  }

  /** The rows of one application and its records, to prove that a refusal changed nothing. */
  async snapshot(id: string): Promise<unknown> {
    const [app] = await this.dataSource.query(`SELECT * FROM application WHERE id = $1`, [id]);
    const records = await this.dataSource.query(`SELECT id, kind, position, data, library_record_id, updated_at FROM application_record WHERE application_id = $1 ORDER BY kind, position`, [id]);
    const outbox = await this.dataSource.query(`SELECT count(*)::int AS n FROM outbox_message WHERE message_key = $1`, [id]);
    return { app, records, outbox };
  }
}

export interface ApplicationView {
  id: string;
  businessNo: string;
  itemName: string;
  status: string;
  stage: string;
  stageName: string;
  editable: boolean;
  form: Record<string, unknown> & { institution: { id: string; name: string } | null };
  records: Record<string, Array<Record<string, unknown> & { id: string; source: string; libraryRecordId: string | null }>>;
  readiness: { ready: boolean; missing: Array<{ field: string; code: string; recordId?: string; message: string; messageZh: string }> };
  history: Array<{ action: string; toStatus: string }>;
  workflowId: string | null;
  code?: string;
  field?: string;
}

/** A complete application form for a trainee QMS auditor (the institution comes from the stub). */
export function completeForm(institutionId: string) {
  return { applicationType: 'system-auditor', grade: 'trainee', field: 'QMS', kind: 'new', specialty: 'QMS建工', narrowScope: false, paymentBy: 'person', institutionId };
}

export const COMPLETE_RECORDS = {
  education: { school: '北京理工大学', major: '质量管理工程', level: 'bachelor', degree: '工学学士', startDate: '2008-09-01', endDate: '2012-07-01' },
  work: { employer: '某制造有限公司', department: '质量部', position: '质量工程师', startDate: '2012-08-01', refereeName: '李明', refereePhone: '13800000000' },
  'professional-work': {
    employer: '某制造有限公司', department: '质量部', position: '质量工程师', post: '体系内审员', startDate: '2014-01-01', endDate: '2020-12-31',
    content: '质量管理体系建立与内审', refereeName: '李明', refereePhone: '010-12345678',
  },
  audit: { auditee: '某电子有限公司', field: 'QMS', auditType: 'initial', startDate: '2021-03-01', endDate: '2021-03-03', onSiteDays: 2.5, role: '组员' },
  'continuing-education': { course: 'ISO 9001:2015 内审员', category: '体系课程', provider: '某培训机构', startDate: '2022-01-10', validUntil: '2025-01-10', hours: 16 },
} as const;
