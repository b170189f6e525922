import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '@certhub/errors';
import type { Logger } from '@certhub/logging';
import { fromLoopback, verifyAccessToken } from '@certhub/service-kit';
import type { GatewayConfig } from './gateway.config';
import { AdmissionControl, RefusalTimes } from './admission';
import { RateLimiter } from './rate-limiter';
import type { SessionRevocations } from './session-revocations';
import { serviceFor } from './routes';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Paths where a stale token must not block the request (logging in again, public look-ups). */
const TOKEN_OPTIONAL = [
  '/api/v1/identity/captchas',
  '/api/v1/identity/sms-codes',
  '/api/v1/identity/accounts',
  '/api/v1/identity/sessions',
  '/api/v1/identity/password-recovery/',
  '/api/v1/identity/account-recovery',
  '/api/v1/identity/institutions',
  '/api/v1/sandbox/',
  '/api/v1/workbench/catalogue',
  '/api/v1/workbench/calendar/',
  '/api/v1/certification/catalogue',
  '/api/v1/certification/certificates/query',
];

/**
 * The registration paths under admission control (ST-6): every change of a registration, order,
 * payment or refund. Reads, the availability stream and the admin paths are not (reads are rate
 * limited per client like everything else; a stream would hold a slot for minutes).
 */
export function isAdmissionControlled(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (path.startsWith('/api/v1/exam/')) return !path.startsWith('/api/v1/exam/admin/');
  return path.startsWith('/api/v1/payment/orders/');
}

/**
 * A long poll (`?wait=N`, e.g. the workbench's "next task"): the service holds the request until
 * there is something to answer, so it goes over connections of its own — a crowd of waiting
 * reviewers never takes the connections ordinary requests need — and is given up upstream when
 * its caller goes away.
 */
export function isLongPoll(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const wait = new URLSearchParams(url.slice(q + 1)).get('wait');
  return wait !== null && Number(wait) > 0;
}

function sendError(reply: FastifyReply, err: ReturnType<typeof CommonErrors.error>, requestId: string, headers: Record<string, string> = {}) {
  void reply
    .status(err.status)
    .headers({ 'content-type': 'application/json; charset=utf-8', ...headers })
    .send({ ...err.toBody(), requestId });
}

/**
 * The gateway's one route: /api/v1/* goes to the owning service. On the way it assigns the
 * request id, rate-limits per client, verifies the access token and passes the verified caller
 * on (services still authorise every access themselves).
 */
export function registerProxy(fastify: FastifyInstance, config: GatewayConfig, logger: Logger, revocations?: SessionRevocations): void {
  const trusted = new Set(config.TRUSTED_PROXIES.split(',').map((s) => s.trim()));
  const limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE, config.RATE_LIMIT_BURST);
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  const longPollAgent = new Agent({ keepAliveTimeout: 30_000, connections: 4096, pipelining: 1 });
  const admission = new AdmissionControl({
    concurrency: config.ADMISSION_CONCURRENCY,
    queueLimit: config.ADMISSION_QUEUE,
    maxWaitMs: config.ADMISSION_MAX_WAIT_MS,
    giveUpMs: config.ADMISSION_GIVE_UP_MS,
  });

  const refusals = new RefusalTimes();

  // Admission figures for ops and the registration benchmark (counts and times only); the
  // gateway listens on loopback, and this answers only loopback callers anyway.
  fastify.get('/api/v1/gateway/admission', async (req, reply) => {
    if (!fromLoopback(req)) return sendError(reply, CommonErrors.error('COMMON_NOT_FOUND'), req.id);
    return reply.send({ ...admission.load, ...admission.stats, refusalMs: refusals.summary() });
  });

  const clientAddress = (req: FastifyRequest): string => {
    const remote = req.socket.remoteAddress ?? 'unknown';
    const forwarded = req.headers['x-forwarded-for'];
    if (trusted.has(remote) && typeof forwarded === 'string' && forwarded.length > 0) {
      return forwarded.split(',')[0]!.trim() || remote;
    }
    return remote;
  };

  // Bodies are forwarded untouched, whatever their type.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 8 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  fastify.all('/api/v1/*', async (req, reply) => {
    const arrived = performance.now();
    const requestId = req.id;
    const path = req.url.split('?')[0]!;
    const service = serviceFor(path);
    const base = service ? config.SERVICE_URLS[service] : undefined;
    if (!service || !base) return sendError(reply, CommonErrors.error('COMMON_NOT_FOUND'), requestId);

    const client = clientAddress(req);
    const retryAfter = limiter.take(client);
    if (retryAfter > 0) {
      return sendError(reply, CommonErrors.error('COMMON_RATE_LIMITED', { details: { retryAfterSeconds: retryAfter } }), requestId, {
        'retry-after': String(retryAfter),
      });
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k) || k.startsWith('x-certhub-')) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    headers['x-request-id'] = requestId;
    headers['x-forwarded-for'] = client;
    if (!headers['x-correlation-id']) headers['x-correlation-id'] = requestId;

    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
      const check = verifyAccessToken(auth.slice(7), config.CERTHUB_JWT_SECRET);
      // A token of a session that ended (logout, password change …) counts as invalid.
      if (check.ok && !revocations?.isRevoked(check.claims.sid)) {
        const { sub, roles, accountType, institutionId } = check.claims;
        headers['x-certhub-caller'] = Buffer.from(JSON.stringify({ sub, roles, accountType, institutionId })).toString('base64url');
      } else if (TOKEN_OPTIONAL.some((p) => path.startsWith(p))) {
        delete headers.authorization;
      } else {
        return sendError(reply, CommonErrors.error('COMMON_TOKEN_INVALID'), requestId);
      }
    }

    let release: (() => void) | undefined;
    if (isAdmissionControlled(req.method, path)) {
      const entry = await admission.enter();
      if (!entry.admitted) {
        reply.raw.once('finish', () => refusals.record(performance.now() - arrived));
        return sendError(
          reply,
          CommonErrors.error('COMMON_BUSY', { details: { retryAfterSeconds: entry.retryAfterSeconds, reason: entry.reason } }),
          requestId,
          { 'retry-after': String(entry.retryAfterSeconds) },
        );
      }
      release = entry.release;
    }

    const body = req.body as Buffer | undefined;
    const longPoll = isLongPoll(req.url);
    let gone: AbortController | undefined;
    if (longPoll) {
      gone = new AbortController();
      reply.raw.once('close', () => gone!.abort());
    }
    try {
      const upstream = await request(`${base}${req.url}`, {
        method: req.method as 'GET',
        headers,
        body: body && body.length > 0 ? body : undefined,
        dispatcher: longPoll ? longPollAgent : agent,
        signal: gone?.signal,
        headersTimeout: config.UPSTREAM_TIMEOUT_MS,
        bodyTimeout: config.UPSTREAM_TIMEOUT_MS,
      }).finally(() => release?.());
      reply.status(upstream.statusCode);
      for (const [k, v] of Object.entries(upstream.headers)) {
        if (v === undefined || HOP_BY_HOP.has(k)) continue;
        reply.header(k, v);
      }
      reply.header('x-request-id', requestId);
      return reply.send(upstream.body);
    } catch (err) {
      // The caller of a long poll went away: nobody is there to answer.
      if (gone?.signal.aborted) return reply;
      logger.warn('upstream unreachable', { service, err });
      return sendError(reply, CommonErrors.error('COMMON_UPSTREAM_UNAVAILABLE', { details: { service } }), requestId);
    }
  });
}
