import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { loadConfig } from '@certhub/config';
import { Logger } from '@certhub/logging';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { serviceTestEnv, testEnvironment } from '@certhub/testing';
import { createWorkbenchApp } from '../main';
import { WorkbenchConfig } from '../workbench.config';

export interface Response<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

export type TestCaller = Caller & { token: string };

/**
 * The workbench service in-process against the real PostgreSQL, Kafka and Temporal started by
 * `npm test`; requests go through Fastify's injection. Callers are minted with the platform's
 * token secret (the identity service is not needed to act as staff, an institution or an expert).
 */
export class WorkbenchHarness {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: WorkbenchConfig,
  ) {}

  static async start(overrides: Record<string, string> = {}): Promise<WorkbenchHarness> {
    const config = loadConfig(WorkbenchConfig, serviceTestEnv(overrides));
    const app = await createWorkbenchApp(config, new Logger('workbench', config.LOG_LEVEL));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new WorkbenchHarness(app, config);
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
    options: { body?: unknown; caller?: TestCaller; headers?: Record<string, string> } = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.caller) headers.authorization = `Bearer ${options.caller.token}`;
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
}

/** A signed access token for a made-up caller. */
export function testCaller(kind: 'personal' | 'staff' | 'admin' | 'institution' | 'expert', options: { institutionId?: string; id?: string } = {}): TestCaller {
  const sub = options.id ?? randomUUID();
  const base = {
    personal: { accountType: 'personal' as const, roles: ['personal'] },
    staff: { accountType: 'staff' as const, roles: ['staff'] },
    admin: { accountType: 'staff' as const, roles: ['admin', 'staff'] },
    institution: { accountType: 'institution' as const, roles: ['institution'] },
    expert: { accountType: 'personal' as const, roles: ['personal', 'expert'] },
  }[kind];
  const caller: Caller = {
    sub,
    username: `${kind}_${sub.slice(0, 8)}`,
    accountType: base.accountType,
    roles: base.roles,
    institutionId: kind === 'institution' ? (options.institutionId ?? randomUUID()) : null,
    sid: randomUUID(),
  };
  return { ...caller, token: signAccessToken(caller, testEnvironment().jwtSecret, 3600) };
}
