import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PaymentTopics } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';
import { sqlRows, type OutboxWriter } from '@certhub/persistence';
import type { PaymentActivities, PendingRefund } from '@certhub/workflows-payment';
import type { OrderService } from '../orders/order.service';
import type { PaymentProvider } from '../provider/payment-provider';

export interface PaymentActivityDeps {
  dataSource: DataSource;
  outbox: OutboxWriter;
  provider: PaymentProvider;
  orders: OrderService;
  logger: Logger;
}

/** The activities of the payment workflows (deadline and refund). */
export function createPaymentActivities(deps: PaymentActivityDeps): PaymentActivities {
  const { dataSource, outbox, provider, orders, logger } = deps;
  return {
    async settleAtDeadline({ orderId }) {
      return { status: await orders.settleAtDeadline(orderId) };
    },

    async beginRefund({ orderId, reason }) {
      return dataSource.transaction(async (manager) => {
        const rows: Array<{ status: string; paid_payment_id: string | null }> = await manager.query(
          `SELECT status, paid_payment_id FROM payment_order WHERE id = $1 FOR UPDATE`,
          [orderId],
        );
        const order = rows[0];
        if (!order) return [];
        if (reason === 'requested') {
          if (order.status === 'paid') await manager.query(`UPDATE payment_order SET status = 'refunding' WHERE id = $1`, [orderId]);
          if ((order.status === 'paid' || order.status === 'refunding') && order.paid_payment_id) {
            await manager.query(
              `INSERT INTO refund (id, order_id, payment_id, amount_fen, reason, status)
               SELECT $1, order_id, id, amount_fen, 'requested', 'pending' FROM payment WHERE id = $2 AND status = 'paid'
               ON CONFLICT (payment_id) DO NOTHING`,
              [randomUUID(), order.paid_payment_id],
            );
          }
        } else {
          // Every paid payment that is not the order's own payment is a late one.
          const late: Array<{ id: string }> = await manager.query(
            `SELECT p.id FROM payment p WHERE p.order_id = $1 AND p.status = 'paid' AND p.id IS DISTINCT FROM $2
               AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.payment_id = p.id)`,
            [orderId, order.paid_payment_id],
          );
          for (const p of late) {
            await manager.query(
              `INSERT INTO refund (id, order_id, payment_id, amount_fen, reason, status)
               SELECT $1, order_id, id, amount_fen, 'late-payment', 'pending' FROM payment WHERE id = $2 ON CONFLICT (payment_id) DO NOTHING`,
              [randomUUID(), p.id],
            );
          }
        }
        const pending: Array<{ id: string; payment_id: string; amount_fen: number }> = await manager.query(
          `SELECT id, payment_id, amount_fen FROM refund WHERE order_id = $1 AND status = 'pending' AND reason = $2 ORDER BY created_at`,
          [orderId, reason],
        );
        return pending.map((r): PendingRefund => ({ refundId: r.id, paymentId: r.payment_id, amountFen: r.amount_fen }));
      });
    },

    async refundAtProvider({ refundId }) {
      const rows: Array<{ payment_id: string; amount_fen: number }> = await sqlRows(dataSource, 
        `UPDATE refund SET provider_attempts = provider_attempts + 1 WHERE id = $1 RETURNING payment_id, amount_fen`,
        [refundId],
      );
      const refund = rows[0];
      if (!refund) throw new Error(`refund ${refundId} not found`);
      const outcome = await provider.refund({ refundId, paymentId: refund.payment_id, amountFen: refund.amount_fen });
      if (outcome.status !== 'confirmed') throw new Error(`provider did not confirm refund ${refundId}: ${outcome.reason}`);
      return { confirmedAt: outcome.confirmedAt };
    },

    async completeRefund({ refundId, reason, confirmedAt }) {
      await dataSource.transaction(async (manager) => {
        const rows: Array<{ order_id: string; payment_id: string; amount_fen: number }> = await sqlRows(manager, 
          `UPDATE refund SET status = 'confirmed', confirmed_at = $2 WHERE id = $1 AND status = 'pending' RETURNING order_id, payment_id, amount_fen`,
          [refundId, confirmedAt],
        );
        const refund = rows[0];
        if (!refund) return; // completed before (a retried activity)
        const updated: unknown[] = await sqlRows(manager, 
          `UPDATE payment_order SET status = 'refunded', closed_at = now() WHERE id = $1 AND paid_payment_id = $2 AND status IN ('paid', 'refunding') RETURNING id`,
          [refund.order_id, refund.payment_id],
        );
        if (updated.length > 0) {
          await manager.query(`UPDATE invoice SET status = 'voided', voided_at = now() WHERE order_id = $1 AND status = 'issued'`, [refund.order_id]);
        }
        await outbox.append(manager, {
          topic: PaymentTopics.OrderRefunded,
          subjectId: refund.order_id,
          data: { orderId: refund.order_id, refundId, amountFen: refund.amount_fen, refundedAt: new Date(confirmedAt).toISOString(), reason },
        });
      });
      logger.info('refund confirmed', { refundId, reason });
    },
  };
}
