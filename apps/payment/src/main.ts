import { Logger } from '@certhub/logging';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { createServiceApp, mountHealth, mountOpenApi, runService } from '@certhub/service-kit';
import { PaymentConfig } from './payment.config';
import { PaymentModule } from './payment.module';
import { PaymentRuntime } from './payment.runtime';

export async function createPaymentApp(config: PaymentConfig, logger = new Logger('payment', config.LOG_LEVEL)) {
  const app = await createServiceApp(PaymentModule.forRoot({ config, logger }), {
    name: 'payment',
    title: 'certhub payment service',
    description: 'Payment orders, payments at providers (sandbox provider), notifications, deadlines, cancel, refunds, reconciliation, invoices.',
    logger,
    jwtSecret: config.CERTHUB_JWT_SECRET,
    // Payment vouchers are uploaded as raw image or PDF bodies.
    bodyLimitBytes: config.PAYMENT_VOUCHER_MAX_BYTES + 1024 * 1024,
    rawContentTypes: ['image/jpeg', 'image/png', 'application/pdf', 'application/octet-stream'],
  });
  mountOpenApi(app, { title: 'certhub payment service', description: 'payment' });
  const dataSource = app.get(DataSource);
  const temporal = app.get(Client);
  const runtime = app.get(PaymentRuntime);
  mountHealth(app, {
    postgres: () => dataSource.query('SELECT 1'),
    temporal: () => temporal.workflowService.getSystemInfo({}),
    runtime: async () => runtime.assertRunning(),
  });
  return app;
}

runService('payment', module, PaymentConfig, createPaymentApp);
