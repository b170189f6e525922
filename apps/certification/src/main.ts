import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { createServiceApp, mountHealth, mountOpenApi, runService, UPLOAD_MEDIA_TYPES } from '@certhub/service-kit';
import { CertificationConfig } from './certification.config';
import { CertificationModule } from './certification.module';
import { CertificationRuntime } from './certification.runtime';

export async function createCertificationApp(config: CertificationConfig, logger = new Logger('certification', config.LOG_LEVEL)) {
  const app = await createServiceApp(CertificationModule.forRoot({ config, logger }), {
    name: 'certification',
    title: 'certhub certification service',
    description: 'Personnel registration applications (CE-1 … CE-3): condition self-check, drafts, records, basic info library copies, submit and the application process; review cases (CE-4 … CE-9) and their attachments.',
    logger,
    jwtSecret: config.CERTHUB_JWT_SECRET,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    // Attachments are uploaded as raw image or PDF bodies, 1 MiB more than their limit so that a file
    // just over it gets CERT_ATTACHMENT_TOO_LARGE; an octet-stream gets CERT_ATTACHMENT_TYPE.
    rawContentTypes: [...UPLOAD_MEDIA_TYPES, 'application/octet-stream'],
    rawBodyLimitBytes: config.ATTACHMENT_MAX_BYTES + 1024 * 1024,
  });
  mountOpenApi(app, { title: 'certhub certification service', description: 'certification' });
  const dataSource = app.get(DataSource);
  const runtime = app.get(CertificationRuntime);
  const temporal = app.get(Client);
  mountHealth(app, {
    postgres: () => dataSource.query('SELECT 1'),
    temporal: () => temporal.workflowService.getSystemInfo({}),
    runtime: async () => runtime.assertRunning(),
  });
  return app;
}

runService('certification', module, CertificationConfig, createCertificationApp);
