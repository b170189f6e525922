import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '@certhub/config';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { Logger } from '@certhub/logging';
import { eventually, serviceTestEnv, testEnvironment } from '@certhub/testing';
import { GatewayConfig } from './gateway.config';
import { createGatewayApp } from './main';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The identity service as its own process, as the embedded default runs it. */
async function startIdentity(profile: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(testEnvironment().repoRoot, 'dist', 'apps', 'identity', 'src', 'main.js')], {
    env: { ...process.env, ...serviceTestEnv({ PORT: String(port), CERTHUB_PROFILE: profile, RUN_WORKER: 'false', PASSWORD_HASH_COST: '12' }) },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/internal/health`)).status === 200, { what: 'identity health', timeoutMs: 60_000 });
  return { url, child };
}

async function startGateway(services: Record<string, string>, extra: Record<string, string> = {}): Promise<{ app: NestFastifyApplication; url: string }> {
  const env = serviceTestEnv({
    SERVICE_URLS: Object.entries(services).map(([k, v]) => `${k}=${v}`).join(','),
    ...extra,
  });
  const config = loadConfig(GatewayConfig, env);
  const app = await createGatewayApp(config, new Logger('gateway', 'error'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

describe('gateway: routing, caller, request ids, rate limits, health and OpenAPI', () => {
  let identity: { url: string; child: ChildProcess };
  let gw: { app: NestFastifyApplication; url: string };

  before(async () => {
    identity = await startIdentity('test');
    gw = await startGateway({ identity: identity.url });
  });
  after(async () => {
    await gw?.app.close();
    identity?.child.kill('SIGTERM');
  });

  it('/api/v1/health answers 200 and lists every service, Postgres, Kafka and Temporal', async () => {
    const res = await fetch(`${gw.url}/api/v1/health`);
    const body = (await res.json()) as Record<string, { status: string }> & { services: Record<string, { status: string }> };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.services.identity!.status, 'up');
    for (const part of ['postgres', 'kafka', 'temporal']) assert.equal(body[part]!.status, 'up', part);
  });

  it('/api/v1/health answers 503 and names the part that is down', async () => {
    const broken = await startGateway({ identity: identity.url, exam: `http://127.0.0.1:${await freePort()}` });
    try {
      const res = await fetch(`${broken.url}/api/v1/health`);
      const body = (await res.json()) as { status: string; services: Record<string, { status: string }> };
      assert.equal(res.status, 503);
      assert.equal(body.services.exam!.status, 'down');
      assert.equal(body.services.identity!.status, 'up');
    } finally {
      await broken.app.close();
    }
  });

  it('routes to the owning service and keeps the client request id', async () => {
    const res = await fetch(`${gw.url}/api/v1/identity/captchas`, { method: 'POST', headers: { 'x-request-id': 'client-req-42' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-request-id'), 'client-req-42');
    const body = (await res.json()) as { captchaId: string; image: string };
    assert.match(body.image, /^data:image\/svg\+xml;base64,/);
    const generated = await fetch(`${gw.url}/api/v1/identity/institutions`);
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('refuses a bad token at the gateway and an unknown path with a code', async () => {
    const bad = await fetch(`${gw.url}/api/v1/identity/me`, { headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { code: string }).code, 'COMMON_TOKEN_INVALID');
    // On login paths a stale token is dropped rather than refused.
    const login = await fetch(`${gw.url}/api/v1/identity/captchas`, { method: 'POST', headers: { authorization: 'Bearer stale.old.token' } });
    assert.equal(login.status, 201);
    const unknown = await fetch(`${gw.url}/api/v1/nowhere/at-all`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: string }).code, 'COMMON_NOT_FOUND');
  });

  it('rate-limits per client with 429 and Retry-After; other clients are unaffected', async () => {
    const limited = await startGateway({ identity: identity.url }, { RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_BURST: '5' });
    try {
      const call = (client: string) => fetch(`${limited.url}/api/v1/identity/institutions`, { headers: { 'x-forwarded-for': client } });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await call('203.0.113.7')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const refused = await call('203.0.113.7');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.equal(((await refused.json()) as { code: string }).code, 'COMMON_RATE_LIMITED');
      assert.equal((await call('198.51.100.9')).status, 200);
    } finally {
      await limited.app.close();
    }
  });

  it('serves the merged OpenAPI document and its UI', async () => {
    const doc = (await (await fetch(`${gw.url}/api/docs-json`)).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    for (const path of ['/api/v1/identity/accounts', '/api/v1/identity/sessions', '/api/v1/identity/me/photo', '/api/v1/identity/captchas']) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    assert.ok(doc.components.schemas.IdentityRegisterAccountDto, 'schemas are prefixed by service');
    const ui = await fetch(`${gw.url}/api/docs`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
  });

  it('answers a body that is not JSON with COMMON_MALFORMED_BODY', async () => {
    const res = await fetch(`${gw.url}/api/v1/identity/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad json' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, 'COMMON_MALFORMED_BODY');
  });

  it('answers raw non-ASCII bytes in the URL with the error body, at the gateway and at a service', async () => {
    for (const base of [gw.url, identity.url]) {
      const { port } = new URL(base);
      const raw = await rawRequest(Number(port), Buffer.concat([Buffer.from('GET /api/v1/identity/institutions?q='), Buffer.from('中国'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
      assert.match(raw, /^HTTP\/1\.1 400/);
      assert.match(raw, /"code":"COMMON_VALIDATION_FAILED"/);
      assert.match(raw, /"messageZh"/);
    }
  });

  it('the sandbox exists only outside production', async () => {
    const prod = await startIdentity('production');
    try {
      const res = await fetch(`${prod.url}/api/v1/sandbox/sms?phone=13800138000`);
      assert.equal(res.status, 404);
      const test = await fetch(`${identity.url}/api/v1/sandbox/sms?phone=13800138000`);
      assert.equal(test.status, 200);
    } finally {
      prod.child.kill('SIGTERM');
    }
  });
});

function rawRequest(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  });
}

describe('gateway: admission control on the registration paths (ST-6)', () => {
  it('beyond its capacity answers 429 with Retry-After at once, never a timeout or a 5xx; reads pass', async () => {
    // A stand-in for the exam service that holds every request until told to answer: whatever
    // the gateway answers before that did not wait for the service.
    const held: Array<() => void> = [];
    let arrived = 0;
    const upstream = createHttpServer((req, res) => {
      arrived += 1;
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (req.method === 'GET') answer();
      else held.push(answer);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const exam = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const gw = await startGateway({ exam }, { ADMISSION_CONCURRENCY: '4', ADMISSION_QUEUE: '4', ADMISSION_MAX_WAIT_MS: '60000', RATE_LIMIT_BURST: '1000' });
    try {
      const post = (i: number) =>
        fetch(`${gw.url}/api/v1/exam/registrations/r${i}/order`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.${i >> 8}.${i & 255}` },
          body: '{"confirmed":true}',
        });
      const responses = Array.from({ length: 30 }, (_, i) => post(i));
      // 4 in flight at the service, 4 in line: the other 22 are refused while nothing was answered.
      await eventually(async () => held.length === 4, { what: '4 requests at the service' });
      const settled = await Promise.all(responses.map((p) => Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), 2000))])));
      const refused = settled.filter((r): r is Response => r !== null);
      assert.equal(refused.length, 22, 'answered before the service answered anything');
      for (const res of refused) {
        assert.equal(res.status, 429);
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
        const body = (await res.json()) as { code: string; messageZh: string; details: { retryAfterSeconds: number; reason: string } };
        assert.equal(body.code, 'COMMON_BUSY');
        assert.equal(body.details.reason, 'queue-full');
        assert.match(body.messageZh, /[\u4e00-\u9fff]/);
      }
      assert.equal(arrived, 4, 'the refused ones never reached the service');
      // The admission figures count them, with the time the gateway took to refuse.
      const figures = (await (await fetch(`${gw.url}/api/v1/gateway/admission`)).json()) as {
        inFlight: number; queued: number; refusedQueueFull: number; refusalMs: { n: number; p50: number; max: number };
      };
      assert.equal(figures.inFlight, 4);
      assert.equal(figures.queued, 4);
      assert.equal(figures.refusedQueueFull, 22);
      assert.equal(figures.refusalMs.n, 22);
      assert.ok(figures.refusalMs.p50 > 0 && figures.refusalMs.p50 <= figures.refusalMs.max);

      // Reads are not held back by the full line.
      const read = await fetch(`${gw.url}/api/v1/exam/registrations/r1`, { headers: { 'x-forwarded-for': '10.9.9.9' } });
      assert.equal(read.status, 200);

      // The service answers: the 4 in flight and then the 4 in line all succeed.
      while (held.length > 0 || arrived < 9) {
        held.shift()?.();
        await new Promise((r) => setTimeout(r, 5));
      }
      const admitted = (await Promise.all(responses)).filter((r) => r.status !== 429);
      assert.deepEqual(admitted.map((r) => r.status), Array(8).fill(200));
    } finally {
      for (const answer of held) answer();
      await gw.app.close();
      upstream.close();
    }
  });
});

describe('gateway: tokens of revoked sessions (identity.session.revoked.v1)', () => {
  it("refuses a revoked session's token from the event on, on every service path; other sessions pass", async () => {
    const seen: Array<string | undefined> = [];
    const upstream = createHttpServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const stub = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const gw = await startGateway({ exam: stub, workbench: stub, identity: stub });
    const env = testEnvironment();
    const kafka = new Kafka({ clientId: 'test', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const caller = (sid: string): Caller => ({ sub: randomUUID(), username: 'u', accountType: 'personal', roles: ['personal'], institutionId: null, sid });
      const revokedSid = randomUUID();
      const revoked = signAccessToken(caller(revokedSid), env.jwtSecret, 900);
      const other = signAccessToken(caller(randomUUID()), env.jwtSecret, 900);
      const get = (path: string, token: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get('/api/v1/exam/periods', revoked)).status, 200, 'live before the revocation');

      const data = { accountId: randomUUID(), sessionIds: [revokedSid], reason: 'logout', revokedAt: new Date().toISOString() };
      const envelope = { eventId: randomUUID(), type: 'identity.session.revoked.v1', occurredAt: new Date().toISOString(), producer: 'test', subjectId: data.accountId, actorId: null, correlationId: null, data };
      await producer.send({ topic: 'identity.session.revoked.v1', messages: [{ key: data.accountId, value: JSON.stringify(envelope) }] });

      await eventually(async () => (await get('/api/v1/exam/periods', revoked)).status === 401, { what: 'the revoked token refused' });
      const refused = await get('/api/v1/workbench/tasks', revoked);
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { code: string }).code, 'COMMON_TOKEN_INVALID');
      assert.equal((await get('/api/v1/workbench/tasks', other)).status, 200, 'another session is not affected');
      // On a public path the revoked token is dropped, not refused: the user can log in again.
      const before = seen.length;
      assert.equal((await get('/api/v1/identity/sessions', revoked)).status, 200);
      assert.equal(seen[before], undefined, 'forwarded without the revoked token');

      // A gateway started later learns the revocation from the topic before it serves.
      const late = await startGateway({ exam: stub });
      try {
        assert.equal((await fetch(`${late.url}/api/v1/exam/periods`, { headers: { authorization: `Bearer ${revoked}` } })).status, 401);
      } finally {
        await late.app.close();
      }
    } finally {
      await producer.disconnect();
      await gw.app.close();
      upstream.close();
    }
  });
});

describe('gateway: long polls (?wait=) go over connections of their own', () => {
  it('300 waiting long polls leave ordinary requests unhindered; a client that leaves ends its long poll upstream', async () => {
    // A stand-in for the workbench that holds every long poll until told to answer, and answers
    // everything else at once.
    const held: Array<{ answer: () => void; closed: () => boolean }> = [];
    const upstream = createHttpServer((req, res) => {
      const answer = () => {
        if (!res.headersSent && !res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{"task":null}');
      };
      if ((req.url ?? '').includes('wait=')) {
        let closed = false;
        res.on('close', () => {
          closed = !res.writableFinished;
        });
        held.push({ answer, closed: () => closed });
      } else answer();
    });
    upstream.maxConnections = 10_000;
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const workbench = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const gw = await startGateway({ workbench }, { RATE_LIMIT_BURST: '100000', RATE_LIMIT_PER_MINUTE: '100000' });
    const waiting: Array<Promise<Response | null>> = [];
    try {
      for (let i = 0; i < 300; i++) {
        waiting.push(
          fetch(`${gw.url}/api/v1/workbench/tasks/next?wait=20`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.1.${i >> 8}.${i & 255}` }, body: '{}' }).catch(() => null),
        );
      }
      await eventually(async () => held.length === 300, { what: '300 long polls held at the service', timeoutMs: 20_000 });
      // More long polls wait than the ordinary pool has connections (256): an ordinary request still goes through at once.
      const started = Date.now();
      const inbox = await fetch(`${gw.url}/api/v1/workbench/tasks`, { headers: { 'x-forwarded-for': '10.9.9.9' }, signal: AbortSignal.timeout(5_000) });
      assert.equal(inbox.status, 200);
      assert.ok(Date.now() - started < 2_000, `ordinary request answered after ${Date.now() - started} ms`);

      // A client that gives up: the gateway gives up its long poll upstream too.
      const leaving = new AbortController();
      const gone = fetch(`${gw.url}/api/v1/workbench/tasks/next?wait=20`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.8.8.8' }, body: '{}', signal: leaving.signal }).catch(() => 'aborted');
      await eventually(async () => held.length === 301, { what: 'the leaving client\'s long poll at the service' });
      leaving.abort();
      assert.equal(await gone, 'aborted');
      await eventually(async () => held[300]!.closed(), { what: 'its upstream request closed', timeoutMs: 5_000 });

      for (const h of held) h.answer();
      const answers = await Promise.all(waiting);
      assert.equal(answers.filter((r) => r?.status === 200).length, 300);
    } finally {
      for (const h of held) h.answer();
      await gw.app.close();
      upstream.close();
    }
  });
});
