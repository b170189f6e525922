import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createFastifyAdapter, mountRuntimeStats, runService } from '@certhub/service-kit';
import { Logger } from '@certhub/logging';
import { GatewayConfig } from './gateway.config';
import { HealthChecker } from './health';
import { mergedOpenApi } from './openapi';
import { registerProxy } from './proxy';
import { followSessionRevocations, SessionRevocations } from './session-revocations';
import { createKafka } from '@certhub/messaging';

@Module({})
class GatewayModule {}

export async function createGatewayApp(config: GatewayConfig, logger = new Logger('gateway', config.LOG_LEVEL)): Promise<NestFastifyApplication> {
  const adapter = createFastifyAdapter({ bodyLimitBytes: 8 * 1024 * 1024 });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule, adapter, { logger, bodyParser: false });
  const fastify = app.getHttpAdapter().getInstance();
  const health = new HealthChecker(config);

  fastify.get('/api/v1/health', async (_req, reply) => {
    const result = await health.check();
    return reply.status(result.status === 'up' ? 200 : 503).send(result);
  });
  let revocations: SessionRevocations | undefined;
  let following: { stop: () => Promise<void> } | undefined;
  if (config.FOLLOW_SESSION_REVOCATIONS === 'true') {
    revocations = new SessionRevocations(config.ACCESS_TOKEN_TTL_SECONDS * 1000 + 60_000);
    following = await followSessionRevocations(createKafka({ clientId: 'gateway', brokers: config.KAFKA_BROKERS }), revocations, logger.child('revocations'));
  }
  mountRuntimeStats(fastify);
  registerProxy(fastify, config, logger.child('proxy'), revocations);

  const base = new DocumentBuilder()
    .setTitle('certhub API')
    .setDescription('The API of the certhub platform, served by the gateway at /api/v1. Errors: { code, message, messageZh, field?, details? }.')
    .setVersion('v1')
    .addBearerAuth()
    .build();
  const gatewayDoc = { ...base, paths: {} };
  SwaggerModule.setup('api/docs', app, gatewayDoc, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'certhub API',
    patchDocumentOnRequest: () => mergedOpenApi(gatewayDoc, config.SERVICE_URLS),
  });
  app.enableShutdownHooks();
  fastify.addHook('onClose', async () => {
    await health.close();
    await following?.stop();
  });
  return app;
}

runService('gateway', module, GatewayConfig, createGatewayApp);
