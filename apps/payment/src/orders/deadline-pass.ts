import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PaymentTopics } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import { PaymentConfig } from '../payment.config';
import { OrderService } from './order.service';

/** After a failed settlement at the provider, the pass leaves the order alone for 1 s, doubling to 1 min. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;

/**
 * The deadline pass (ADR 0014): every PAYMENT_DEADLINE_PASS_INTERVAL_MS the payment service
 * expires the pending orders whose deadline has passed, straight from the database, so that a
 * registration spike's deadlines are kept even when the Temporal server fires their timers
 * later than they come due. It does what `settleAtDeadline` does, and is idempotent with it:
 *
 * - due orders without an open payment (nothing the provider could have been paid through) are
 *   expired in batches: locked (`FOR UPDATE SKIP LOCKED`, so a pay call in progress keeps its
 *   order and a second service instance takes other rows), checked for open payments after the
 *   lock, expired and their `payment.order.expired.v1` written in the same transaction;
 * - due orders with an open payment go through {@link OrderService.settleAtDeadline}: the
 *   provider is asked first, a paid payment is applied, the others are closed, then the order
 *   expires. A failure there leaves the order pending for the next pass or its workflow.
 *
 * The order's `order-payment:<orderId>` workflow still runs at the deadline; its activity then
 * finds the order settled and returns.
 */
@Injectable()
export class DeadlinePass {
  /** Orders with an open payment being settled at the provider now (not selected again meanwhile). */
  private readonly settling = new Map<string, Promise<void>>();
  /** Orders whose settlement at the provider failed: left alone until `at`. */
  private readonly retry = new Map<string, { attempts: number; at: number }>();
  private slots: number;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly orders: OrderService,
    private readonly config: PaymentConfig,
    private readonly logger: Logger,
  ) {
    this.slots = config.PAYMENT_DEADLINE_PASS_PROVIDER_CONCURRENCY;
  }

  /** One pass; returns true when it found a full batch (more may be due: run again at once). */
  async run(): Promise<boolean> {
    const batch = this.config.PAYMENT_DEADLINE_PASS_BATCH;
    const now = Date.now();
    for (const [id, r] of this.retry) if (r.at < now - RETRY_MAX_MS) this.retry.delete(id); // settled some other way
    const leave = [...this.settling.keys(), ...[...this.retry].filter(([, r]) => r.at > now).map(([id]) => id)];
    const { due, expired, withOpenPayment } = await this.dataSource.transaction(async (manager) => {
      const locked: Array<{ id: string }> = await manager.query(
        `SELECT id FROM payment_order WHERE status = 'pending' AND expires_at <= now() AND id <> ALL($2::uuid[])
          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batch, leave],
      );
      if (locked.length === 0) return { due: 0, expired: 0, withOpenPayment: [] as string[] };
      const ids = locked.map((r) => r.id);
      // A statement after the lock sees every payment committed before it; none can be added while it is held.
      const open: Array<{ order_id: string }> = await manager.query(`SELECT DISTINCT order_id FROM payment WHERE order_id = ANY($1::uuid[]) AND status = 'open'`, [ids]);
      const withOpen = new Set(open.map((r) => r.order_id));
      const rows: Array<{ id: string; closed_at: Date }> = await sqlRows(
        manager,
        `UPDATE payment_order SET status = 'expired', closed_at = now() WHERE id = ANY($1::uuid[]) AND status = 'pending' RETURNING id, closed_at`,
        [ids.filter((id) => !withOpen.has(id))],
      );
      await this.outbox.appendAll(
        manager,
        rows.map((r) => ({ topic: PaymentTopics.OrderExpired, subjectId: r.id, data: { orderId: r.id, expiredAt: r.closed_at.toISOString() } })),
      );
      return { due: locked.length, expired: rows.length, withOpenPayment: [...withOpen] };
    });
    // The provider's answers may take long: they do not hold up the next batch.
    for (const orderId of withOpenPayment) {
      const settling = this.settle(orderId).finally(() => this.settling.delete(orderId));
      this.settling.set(orderId, settling);
    }
    if (due > 0) this.logger.debug('deadline pass', { due, expired, withOpenPayment: withOpenPayment.length });
    return due === batch;
  }

  /** Waits for the settlements at the provider in progress (at shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.settling.values()]);
  }

  private async settle(orderId: string): Promise<void> {
    if (this.slots === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.slots -= 1;
    try {
      await this.orders.settleAtDeadline(orderId);
      this.retry.delete(orderId);
    } catch (err) {
      const attempts = (this.retry.get(orderId)?.attempts ?? 0) + 1;
      this.retry.set(orderId, { attempts, at: Date.now() + Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (attempts - 1)) });
      this.logger.warn('deadline pass could not settle an order with an open payment now; retried later', { orderId, attempts, err });
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.slots += 1;
    }
  }
}
