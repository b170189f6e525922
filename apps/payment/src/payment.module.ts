import { join } from 'node:path';
import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { OutboxWriter } from '@certhub/persistence';
import { connectTemporalClient } from '@certhub/temporal';
import { PAYMENT_SCHEMA, paymentDataSource } from './database';
import { FeeController, FeeStaffController } from './fees/fee.controller';
import { FeeService } from './fees/fee.service';
import { NotificationController } from './notifications/notification.controller';
import { NotificationService } from './notifications/notification.service';
import { OrderController } from './orders/order.controller';
import { DeadlinePass } from './orders/deadline-pass';
import { OrderService } from './orders/order.service';
import { PaymentConfig } from './payment.config';
import { PaymentRuntime } from './payment.runtime';
import { PaymentProvider } from './provider/payment-provider';
import { ReconciliationController } from './reconciliation/reconciliation.controller';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { SandboxPaymentController } from './sandbox/sandbox.controller';
import { SandboxPaymentProvider } from './sandbox/sandbox-provider';

export interface PaymentModuleOptions {
  config: PaymentConfig;
  logger: Logger;
  /** Where the prebuilt workflow bundles are (default: dist/workflow-bundles). */
  bundleDir?: string;
  /** A real provider instead of the sandbox. */
  provider?: (ds: DataSource) => PaymentProvider;
}

@Module({})
export class PaymentModule {
  static forRoot(options: PaymentModuleOptions): DynamicModule {
    const { config } = options;
    const bundleDir = options.bundleDir ?? config.WORKFLOW_BUNDLE_DIR ?? join(__dirname, '..', '..', '..', 'workflow-bundles');
    const providers: Provider[] = [
      { provide: PaymentConfig, useValue: config },
      { provide: Logger, useValue: options.logger },
      { provide: DataSource, useFactory: async () => paymentDataSource(config.DATABASE_URL).initialize() },
      { provide: OutboxWriter, useValue: new OutboxWriter('payment', PAYMENT_SCHEMA) },
      {
        provide: PaymentProvider,
        inject: [DataSource],
        useFactory: (ds: DataSource) =>
          options.provider?.(ds) ?? new SandboxPaymentProvider(ds, { secret: config.notifySecret, payBaseUrl: config.PAYMENT_SANDBOX_PAY_BASE_URL }),
      },
      {
        provide: Client,
        useFactory: () => connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }),
      },
      FeeService,
      OrderService,
      DeadlinePass,
      NotificationService,
      ReconciliationService,
      {
        provide: PaymentRuntime,
        inject: [DataSource, OutboxWriter, PaymentProvider, Client, OrderService, DeadlinePass, ReconciliationService, FeeService],
        useFactory: (
          dataSource: DataSource,
          outbox: OutboxWriter,
          provider: PaymentProvider,
          temporal: Client,
          orders: OrderService,
          deadlines: DeadlinePass,
          reconciliation: ReconciliationService,
          fees: FeeService,
        ) => new PaymentRuntime({ config, logger: options.logger, dataSource, outbox, provider, temporal, orders, deadlines, reconciliation, fees, bundleDir }),
      },
    ];
    const controllers: Type<unknown>[] = [OrderController, FeeController, FeeStaffController, NotificationController, ReconciliationController];
    if (config.sandboxEnabled) controllers.push(SandboxPaymentController);
    return { module: PaymentModule, providers, controllers };
  }
}
