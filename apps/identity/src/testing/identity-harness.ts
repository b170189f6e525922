import { randomUUID } from 'node:crypto';
import { generateResidentId } from '@certhub/cn-id';
import { loadConfig } from '@certhub/config';
import { Logger } from '@certhub/logging';
import { serviceTestEnv, unique } from '@certhub/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { IdentityConfig } from '../identity.config';
import { createIdentityApp } from '../main';
import { PasswordHasher } from '../sessions/password-hasher';

export interface Response<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/**
 * The identity service in-process against the real PostgreSQL, Kafka and Temporal started by
 * `npm test`; requests go through Fastify's injection (the full HTTP pipeline, no socket).
 */
export class IdentityHarness {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: IdentityConfig,
  ) {}

  static async start(overrides: Record<string, string> = {}): Promise<IdentityHarness> {
    const config = loadConfig(IdentityConfig, serviceTestEnv({ PASSWORD_HASH_COST: '12', ...overrides }));
    const app = await createIdentityApp(config, new Logger('identity', config.LOG_LEVEL));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new IdentityHarness(app, config);
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  async stop(): Promise<void> {
    await this.app.close();
  }

  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: Buffer; contentType?: string } = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | Buffer | undefined;
    if (options.raw) {
      payload = options.raw;
      headers['content-type'] = options.contentType ?? 'image/jpeg';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.app.getHttpAdapter().getInstance().inject({ method, url, headers, payload });
    let body: unknown = res.body;
    if ((res.headers['content-type'] ?? '').toString().includes('json') && res.body.length > 0) body = JSON.parse(res.body);
    else if ((res.headers['content-type'] ?? '').toString().startsWith('image/')) body = res.rawPayload;
    return { status: res.statusCode, body: body as T, headers: res.headers as Record<string, unknown> };
  }

  async captcha(): Promise<{ captchaId: string; captchaText: string }> {
    const created = await this.request<{ captchaId: string }>('POST', '/api/v1/identity/captchas');
    const answer = await this.request<{ answer: string }>('GET', `/api/v1/sandbox/captchas/${created.body.captchaId}`);
    return { captchaId: created.body.captchaId, captchaText: answer.body.answer };
  }

  /** Requests a code and reads it from the sandbox SMS provider. */
  async smsCode(phone: string, purpose = 'register'): Promise<string> {
    const sent = await this.request('POST', '/api/v1/identity/sms-codes', { body: { phone, purpose } });
    if (sent.status !== 202) throw new Error(`sms-codes answered ${sent.status}: ${JSON.stringify(sent.body)}`);
    return this.lastSmsCode(phone);
  }

  /** Moves the phone's last code 2 minutes into the past, as if the resend interval had passed. */
  async passSmsInterval(phone: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE sms_code SET sent_at = sent_at - interval '121 seconds', expires_at = expires_at - interval '121 seconds' WHERE phone = $1`,
      [phone],
    );
  }

  async lastSmsCode(phone: string): Promise<string> {
    const inbox = await this.request<{ messages: Array<{ text: string }> }>('GET', `/api/v1/sandbox/sms?phone=${phone}`);
    const code = /(\d{6})/.exec(inbox.body.messages[0]?.text ?? '')?.[1];
    if (!code) throw new Error(`no SMS code for ${phone}`);
    return code;
  }

  /** A complete, valid registration body with fresh unique data. */
  newApplicant(overrides: Record<string, unknown> = {}) {
    const { birthDate, sequence } = unique.birth();
    const idNumber = generateResidentId({ region: '310104', birthDate, sequence });
    const realName = '张伟';
    return {
      username: unique.username('p'),
      password: 'Secret123',
      realName,
      idType: 'resident-id',
      idNumber,
      phone: unique.phone(),
      smsCode: '000000',
      email: unique.email(),
      educations: [{ school: '复旦大学', major: '管理科学', level: 'bachelor', startDate: '2005-09-01', endDate: '2009-07-01' }],
      confirm: { realName, idType: 'resident-id', idNumber },
      ...overrides,
      birthDate,
      sequence,
    };
  }

  /** Registers with a real SMS code; returns the account id, token pair and the body used. */
  async registerAndLogin(overrides: Record<string, unknown> = {}) {
    const { birthDate: _b, sequence: _s, ...body } = this.newApplicant(overrides);
    body.smsCode = await this.smsCode(body.phone as string);
    const registered = await this.request<{ id: string }>('POST', '/api/v1/identity/accounts', { body });
    if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${JSON.stringify(registered.body)}`);
    const tokens = await this.login(body.username as string, body.password as string);
    return { id: registered.body.id, body, ...tokens };
  }

  async login(username: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
    const res = await this.request<{ accessToken: string; refreshToken: string }>('POST', '/api/v1/identity/sessions', {
      body: { username, password, ...(await this.captcha()) },
    });
    if (res.status !== 201) throw new Error(`login answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Creates a staff or admin account directly (the admin exists only through seeding). */
  async staffToken(roles: string[] = ['staff']): Promise<{ id: string; accessToken: string }> {
    const username = unique.username('s');
    const id = randomUUID();
    await this.dataSource.query(
      `INSERT INTO account (id, username, username_key, password_hash, account_type, roles, real_name, phone, verification_status, version)
       VALUES ($1, $2, $2, $3, 'staff', $4, '协会工作人员', $5, 'verified', 1)`,
      [id, username, await new PasswordHasher(12).hash('Staff12345'), roles, unique.phone()],
    );
    const { accessToken } = await this.login(username, 'Staff12345');
    return { id, accessToken };
  }
}
