import { Logger } from '@certhub/logging';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { createServiceApp, mountHealth, mountOpenApi, runService } from '@certhub/service-kit';
import { IdentityRuntime } from './identity.runtime';
import { SessionService } from './sessions/session.service';
import { IdentityConfig } from './identity.config';
import { IdentityModule } from './identity.module';

export async function createIdentityApp(config: IdentityConfig, logger = new Logger('identity', config.LOG_LEVEL)) {
  // Bound once the app exists: an access token of a revoked session (logout, password change)
  // is refused here at once instead of living until it expires.
  const bound: { sessions?: SessionService } = {};
  const app = await createServiceApp(IdentityModule.forRoot({ config, logger }), {
    name: 'identity',
    title: 'certhub identity service',
    description: 'Accounts, sessions, recovery, profile and basic info library, institutions and roles, ID photo, identity verification.',
    logger,
    jwtSecret: config.CERTHUB_JWT_SECRET,
    bodyLimitBytes: 6 * 1024 * 1024,
    rawContentTypes: ['image/jpeg', 'image/png', 'application/pdf', 'application/octet-stream'],
    sessionIsLive: (caller) => (bound.sessions ? bound.sessions.isLive(caller) : Promise.resolve(false)),
  });
  bound.sessions = app.get(SessionService);
  mountOpenApi(app, { title: 'certhub identity service', description: 'identity' });
  const dataSource = app.get(DataSource);
  const temporal = app.get(Client);
  const runtime = app.get(IdentityRuntime);
  mountHealth(app, {
    postgres: () => dataSource.query('SELECT 1'),
    temporal: () => temporal.workflowService.getSystemInfo({}),
    runtime: async () => runtime.assertRunning(),
  });
  return app;
}

runService('identity', module, IdentityConfig, createIdentityApp);
