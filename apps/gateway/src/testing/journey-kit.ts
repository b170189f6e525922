/**
 * What the journey tests share: the gateway in-process in front of services started as their
 * own processes, a JSON call through it, and the people and institutions a journey needs, made
 * through the real APIs (registration with a real SMS code, login with a real captcha).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client as PgClient } from 'pg';
import { generateResidentId } from '@certhub/cn-id';
import { loadConfig } from '@certhub/config';
import { Logger } from '@certhub/logging';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { makePhoto, putInAccountDirectory, serviceTestEnv, testEnvironment, unique, type ServiceProcess } from '@certhub/testing';
import { GatewayConfig } from '../gateway.config';
import { createGatewayApp } from '../main';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Answer {
  status: number;
  body: Json;
  headers: Headers;
  /** The body's bytes as received (files). */
  bytes: Buffer;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** A raw body (a file): `image/jpeg` unless `headers` name another content type. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export class Journey {
  private constructor(
    readonly gateway: NestFastifyApplication,
    readonly base: string,
    readonly services: ServiceProcess[],
  ) {}

  /** The gateway routing to the given services (already started), with rate limits out of the way. */
  static async start(services: ServiceProcess[]): Promise<Journey> {
    const config = loadConfig(
      GatewayConfig,
      serviceTestEnv({ SERVICE_URLS: services.map((s) => `${s.name}=${s.url}`).join(','), RATE_LIMIT_BURST: '10000', RATE_LIMIT_PER_MINUTE: '100000' }),
    );
    const gateway = await createGatewayApp(config, new Logger('gateway', 'error'));
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    return new Journey(gateway, `http://127.0.0.1:${(gateway.getHttpServer().address() as { port: number }).port}`, services);
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    for (const s of [...this.services].reverse()) await s.stop();
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.raw) {
      body = options.raw;
      headers['content-type'] ??= 'image/jpeg';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, body });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, headers: res.headers, bytes };
  }

  async captcha(): Promise<{ captchaId: string; captchaText: string }> {
    const created = await this.call('POST', '/api/v1/identity/captchas');
    const answer = await this.call('GET', `/api/v1/sandbox/captchas/${created.body.captchaId}`);
    return { captchaId: created.body.captchaId as string, captchaText: answer.body.answer as string };
  }

  /** A new person registered (ID-1) with a real SMS code and an education record, logged in; optionally with an accepted ID photo. */
  async person(options: { realName: string; region?: string; photo?: boolean }): Promise<{ token: string; id: string; username: string }> {
    const { birthDate, sequence } = unique.birth();
    const idNumber = generateResidentId({ region: options.region ?? '110105', birthDate, sequence });
    const phone = unique.phone();
    assert.equal((await this.call('POST', '/api/v1/identity/sms-codes', { body: { phone, purpose: 'register' } })).status, 202);
    const inbox = await this.call('GET', `/api/v1/sandbox/sms?phone=${phone}`);
    const smsCode = /验证码为 (\d{6})/.exec(JSON.stringify(inbox.body))![1]!;
    const username = unique.username('p');
    const registered = await this.call('POST', '/api/v1/identity/accounts', {
      body: {
        username, password: 'Secret123', realName: options.realName, idType: 'resident-id', idNumber, phone, smsCode, email: unique.email(),
        educations: [{ school: '北京理工大学', major: '质量管理工程', level: 'bachelor', startDate: '2008-09-01', endDate: '2012-07-01' }],
        confirm: { realName: options.realName, idType: 'resident-id', idNumber },
      },
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const token = await this.login(username);
    if (options.photo) {
      const c = await this.captcha();
      const photo = await this.call('PUT', '/api/v1/identity/me/photo', { token, raw: await makePhoto(), headers: { 'x-captcha-id': c.captchaId, 'x-captcha-text': c.captchaText } });
      assert.equal(photo.status, 200, JSON.stringify(photo.body));
    }
    return { token, id: registered.body.id as string, username };
  }

  /** A fresh session (its token carries the account's roles and institution as they are now). */
  async login(username: string): Promise<string> {
    const login = await this.call('POST', '/api/v1/identity/sessions', { body: { username, password: 'Secret123', ...(await this.captcha()) } });
    assert.equal(login.status, 201, JSON.stringify(login.body));
    return login.body.accessToken as string;
  }

  /** A certification body in identity's directory (what an admin creates with POST /identity/admin/institutions). */
  async certificationBody(prefix = '旅程认证中心'): Promise<{ id: string; name: string }> {
    const id = randomUUID();
    const name = `${prefix}${randomBytes(3).toString('hex')}`;
    const pg = new PgClient({ connectionString: testEnvironment().databaseUrl });
    await pg.connect();
    try {
      await pg.query(`INSERT INTO identity.institution (id, name, credit_code, kind) VALUES ($1, $2, $3, 'certification')`, [
        id,
        name,
        `91110000${randomBytes(5).toString('hex').toUpperCase().slice(0, 9)}X`,
      ]);
    } finally {
      await pg.end();
    }
    return { id, name };
  }

  /**
   * An expert as identity's events put them in workbench's account directory (the workbench
   * refuses to name anyone else the expert of a case).
   */
  async expert(): Promise<{ id: string; token: string }> {
    const id = randomUUID();
    const pg = new PgClient({ connectionString: testEnvironment().databaseUrl });
    await pg.connect();
    try {
      await putInAccountDirectory(pg, [{ accountId: id, accountType: 'personal', roles: ['personal', 'expert'] }]);
    } finally {
      await pg.end();
    }
    return { id, token: this.token({ sub: id, accountType: 'personal', roles: ['personal', 'expert'] }) };
  }

  /** A token of a back-office or institution user (signed as identity signs them). */
  token(caller: Partial<Caller> & Pick<Caller, 'accountType' | 'roles'>): string {
    return signAccessToken({ sub: randomUUID(), username: unique.username('s'), institutionId: null, sid: randomUUID(), ...caller }, testEnvironment().jwtSecret, 3600);
  }
}
