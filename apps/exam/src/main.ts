import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { createServiceApp, mountHealth, mountOpenApi, runService } from '@certhub/service-kit';
import { ExamConfig } from './exam.config';
import { ExamModule } from './exam.module';
import { ExamRuntime } from './exam.runtime';

export async function createExamApp(config: ExamConfig, logger = new Logger('exam', config.LOG_LEVEL)) {
  const app = await createServiceApp(ExamModule.forRoot({ config, logger }), {
    name: 'exam',
    title: 'certhub exam service',
    description: 'Exam catalogue, registration, seats, orders (exam side), city change, refund request, live availability.',
    logger,
    jwtSecret: config.CERTHUB_JWT_SECRET,
  });
  mountOpenApi(app, { title: 'certhub exam service', description: 'exam' });
  const dataSource = app.get(DataSource);
  const runtime = app.get(ExamRuntime);
  mountHealth(app, {
    postgres: () => dataSource.query('SELECT 1'),
    runtime: async () => runtime.assertRunning(),
  });
  return app;
}

runService('exam', module, ExamConfig, createExamApp);
