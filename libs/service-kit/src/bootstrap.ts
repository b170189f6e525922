import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { HttpErrorFilter, clientErrorResponse, createValidationPipe } from '@certhub/errors';
import { loadConfig, type PlatformConfig } from '@certhub/config';
import { Logger } from '@certhub/logging';
import { RequestContextInterceptor } from './request-context.interceptor';
import { AuthGuard } from './auth.guard';
import { mountRuntimeStats } from './runtime-stats';

export interface ServiceAppOptions {
  name: string;
  title: string;
  description: string;
  logger: Logger;
  jwtSecret: string;
  bodyLimitBytes?: number;
  /** Extra content types accepted as raw buffers (photo uploads). */
  rawContentTypes?: string[];
  /** Largest raw body (default: `bodyLimitBytes`), when files may be larger than JSON bodies. */
  rawBodyLimitBytes?: number;
  /** Checks that an access token's session is still live (the owner of sessions provides it). */
  sessionIsLive?: (caller: import('./access-token').Caller) => Promise<boolean>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The Fastify adapter every HTTP process uses: the client's request id is kept when it is
 * well-formed (else a uuid), and requests Node's parser rejects get the standard error body.
 */
export function createFastifyAdapter(options: { bodyLimitBytes: number; trustProxy?: string }): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    clientErrorHandler: (_err: Error, socket: import('node:net').Socket) => {
      if (socket.writable) socket.end(clientErrorResponse());
      else socket.destroy();
    },
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const header = req.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
  });
}

/**
 * The entry point of every HTTP process: when `entry` is the main module, loads and validates
 * its config, creates the app, listens on HOST:PORT. A failure to start is printed and exits
 * with 1 so the supervisor sees it.
 */
export function runService<C extends PlatformConfig>(
  name: string,
  entry: NodeJS.Module,
  configClass: new () => C,
  createApp: (config: C, logger: Logger) => Promise<NestFastifyApplication>,
): void {
  if (require.main !== entry) return;
  const start = async () => {
    const config = loadConfig(configClass);
    const logger = new Logger(name, config.LOG_LEVEL);
    const app = await createApp(config, logger);
    // A longer accept queue than Node's 511: at registration opening thousands of clients connect
    // at once, and a full queue drops their SYNs (the client retries after 1 s, then 3 s).
    await app.listen({ port: config.PORT, host: config.HOST, backlog: 2048 });
    logger.info(`${name} listening on http://${config.HOST}:${config.PORT}`);
  };
  start().catch((err: unknown) => {
    process.stderr.write(`${name} failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

/**
 * Creates a service's Nest application the same way everywhere: Fastify, the JSON logger,
 * request and correlation ids, the global error filter, validation pipe and auth guard.
 */
export async function createServiceApp(module: unknown, options: ServiceAppOptions): Promise<NestFastifyApplication> {
  const adapter = createFastifyAdapter({ bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024, trustProxy: '127.0.0.1' });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: options.logger,
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  for (const type of options.rawContentTypes ?? []) {
    fastify.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: options.rawBodyLimitBytes ?? options.bodyLimitBytes ?? 1024 * 1024 }, (_req, body, done) => done(null, body));
  }
  fastify.addHook('onRequest', (request, reply, done) => {
    request.headers['x-request-id'] = request.id;
    const correlation = request.headers['x-correlation-id'];
    if (typeof correlation !== 'string' || !REQUEST_ID.test(correlation)) request.headers['x-correlation-id'] = request.id;
    reply.header('x-request-id', request.id);
    done();
  });
  app.useGlobalFilters(new HttpErrorFilter(options.logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalGuards(new AuthGuard(app.get(Reflector), options.jwtSecret, options.sessionIsLive));
  app.useGlobalInterceptors(new RequestContextInterceptor());
  app.enableShutdownHooks();
  return app;
}

/** Builds the service's OpenAPI document and serves it at `/api/docs-json` for the gateway to merge. */
export function mountOpenApi(app: NestFastifyApplication, options: Pick<ServiceAppOptions, 'title' | 'description'>): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion('v1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/api/docs-json', (_req, reply) => {
    void reply.send(document);
  });
  return document;
}

/**
 * `/internal/health` of a service (not routed by the gateway): 200 when every check passes.
 * The gateway's `/api/v1/health` asks each service here.
 */
export function mountHealth(app: NestFastifyApplication, checks: Record<string, () => Promise<unknown>>): void {
  const fastify = app.getHttpAdapter().getInstance();
  mountRuntimeStats(fastify);
  fastify.get('/internal/health', async (_req, reply) => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, { status: 'up' }] as const;
        } catch (err) {
          return [name, { status: 'down', error: err instanceof Error ? err.message : String(err) }] as const;
        }
      }),
    );
    const ok = entries.every(([, v]) => v.status === 'up');
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'up' : 'down', checks: Object.fromEntries(entries) });
  });
}
