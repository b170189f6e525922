import { DataSource } from 'typeorm';
import { serviceDataSourceOptions } from '@certhub/persistence';
import { FeeVoucher, PaymentFee } from './fees/fee.entities';
import { PAYMENT_MIGRATIONS } from './migrations';
import { Invoice, NotificationNonce, Payment, PaymentOrder, ReconciliationDifference, ReconciliationRun, Refund } from './orders/payment.entities';
import { SandboxNotification, SandboxPayment, SandboxRefund, SandboxSwitch } from './sandbox/sandbox.entities';

export const PAYMENT_SCHEMA = 'payment';

export const PAYMENT_ENTITIES = [
  PaymentOrder,
  Payment,
  Refund,
  Invoice,
  PaymentFee,
  FeeVoucher,
  NotificationNonce,
  ReconciliationDifference,
  ReconciliationRun,
  SandboxPayment,
  SandboxRefund,
  SandboxNotification,
  SandboxSwitch,
];

export function paymentDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource(
    serviceDataSourceOptions({ url, schema: PAYMENT_SCHEMA, entities: PAYMENT_ENTITIES, migrations: PAYMENT_MIGRATIONS, poolSize, applicationName: 'payment' }),
  );
}

export const database: import('@certhub/persistence').ServiceDatabase = {
  schema: PAYMENT_SCHEMA,
  create: paymentDataSource,
};
