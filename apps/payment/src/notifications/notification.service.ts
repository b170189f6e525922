import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { isUuid } from '@certhub/service-kit';
import { OrderService } from '../orders/order.service';
import { PaymentConfig } from '../payment.config';
import { PaymentErrors } from '../payment.errors';
import { signatureMatches, type SandboxNotifyBody } from '../provider/signature';

/** PY-1/PY-2: a provider's payment notification, verified before anything changes. */
@Injectable()
export class NotificationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderService,
    private readonly config: PaymentConfig,
    private readonly logger: Logger,
  ) {}

  async sandbox(raw: unknown, headers: { timestamp?: string; nonce?: string; signature?: string }) {
    const body = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined;
    const { timestamp, nonce, signature } = headers;
    if (body === undefined || !timestamp || !nonce || !signature) throw PaymentErrors.error('PAYMENT_NOTIFY_INVALID', { field: 'body' });
    if (!/^\d{1,12}$/.test(timestamp) || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) throw PaymentErrors.error('PAYMENT_NOTIFY_INVALID', { field: 'nonce' });
    if (!signatureMatches(this.config.notifySecret, timestamp, nonce, body, signature)) {
      this.logger.warn('notification with a bad signature refused');
      throw PaymentErrors.error('PAYMENT_NOTIFY_SIGNATURE', { field: 'signature' });
    }
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > this.config.PAYMENT_NOTIFY_WINDOW_SECONDS) {
      throw PaymentErrors.error('PAYMENT_NOTIFY_STALE', { field: 'timestamp' });
    }
    let parsed: SandboxNotifyBody;
    try {
      parsed = JSON.parse(body) as SandboxNotifyBody;
    } catch {
      throw PaymentErrors.error('PAYMENT_NOTIFY_INVALID', { field: 'body' });
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      typeof parsed.paymentId !== 'string' ||
      !isUuid(parsed.paymentId) ||
      parsed.status !== 'paid' ||
      !Number.isInteger(parsed.amountFen) ||
      typeof parsed.tradeNo !== 'string' ||
      typeof parsed.paidAt !== 'string' ||
      Number.isNaN(Date.parse(parsed.paidAt))
    ) {
      throw PaymentErrors.error('PAYMENT_NOTIFY_INVALID', { field: 'body' });
    }
    // The nonce is spent only by a notification that passed every check above.
    const fresh: unknown[] = await this.dataSource.query(
      `INSERT INTO notification_nonce (nonce, provider) VALUES ($1, 'sandbox') ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
      [nonce],
    );
    if (fresh.length === 0) throw PaymentErrors.error('PAYMENT_NOTIFY_REPLAYED', { field: 'nonce' });
    const { outcome } = await this.orders.applyPaid(parsed.paymentId, { providerRef: parsed.tradeNo, amountFen: parsed.amountFen, paidAt: parsed.paidAt });
    if (outcome === 'unknown-payment') throw PaymentErrors.error('PAYMENT_NOTIFY_UNKNOWN_PAYMENT', { field: 'paymentId' });
    if (outcome === 'amount-mismatch') throw PaymentErrors.error('PAYMENT_NOTIFY_AMOUNT_MISMATCH', { field: 'amountFen' });
    return { received: true, outcome };
  }
}
