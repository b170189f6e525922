import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { createServiceApp, mountHealth, mountOpenApi, runService } from '@certhub/service-kit';
import { WorkbenchConfig } from './workbench.config';
import { WorkbenchModule } from './workbench.module';
import { WorkbenchRuntime } from './workbench.runtime';

export async function createWorkbenchApp(config: WorkbenchConfig, logger = new Logger('workbench', config.LOG_LEVEL)) {
  const app = await createServiceApp(WorkbenchModule.forRoot({ config, logger }), {
    name: 'workbench',
    title: 'certhub workbench service',
    description: 'Task inbox with working-day deadlines, audit trail, my items, message center, service catalogue, official calendar.',
    logger,
    jwtSecret: config.CERTHUB_JWT_SECRET,
    bodyLimitBytes: 256 * 1024,
  });
  mountOpenApi(app, { title: 'certhub workbench service', description: 'workbench' });
  const dataSource = app.get(DataSource);
  const temporal = app.get(Client);
  const runtime = app.get(WorkbenchRuntime);
  mountHealth(app, {
    postgres: () => dataSource.query('SELECT 1'),
    temporal: () => temporal.workflowService.getSystemInfo({}),
    runtime: async () => runtime.assertRunning(),
  });
  return app;
}

runService('workbench', module, WorkbenchConfig, createWorkbenchApp);
