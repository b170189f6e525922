import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { FeeService } from '../fees/fee.service';
import { OrderService } from '../orders/order.service';
import { PaymentConfig } from '../payment.config';
import { chinaDate, chinaDayRange, PaymentProvider } from '../provider/payment-provider';

/**
 * PY-3 reconciliation: pending payments are queried at the provider on a schedule (a dropped
 * notification is found and applied), and the provider's daily statement is compared with our
 * payments and refunds; every difference is applied or recorded in `reconciliation_difference`.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly provider: PaymentProvider,
    private readonly orders: OrderService,
    private readonly fees: FeeService,
    private readonly config: PaymentConfig,
    private readonly logger: Logger,
  ) {}

  /** Open payments older than the threshold: asked at the provider; paid → applied; of a settled order → closed. */
  async reconcilePending(): Promise<{ checked: number; applied: number; closed: number; lateRefunds: number }> {
    // Orders' and fees' payments alike (a fee's payment is applied to its fee by applyPaid).
    const open: Array<{ id: string; order_id: string; order_status: string }> = await this.dataSource.query(
      `SELECT p.id, coalesce(p.order_id, p.fee_id) AS order_id, coalesce(o.status, f.status) AS order_status FROM payment p
         LEFT JOIN payment_order o ON o.id = p.order_id LEFT JOIN payment_fee f ON f.id = p.fee_id
       WHERE p.status = 'open' AND p.created_at < now() - make_interval(secs => $1) ORDER BY p.created_at LIMIT 500`,
      [this.config.PAYMENT_RECONCILE_PENDING_AFTER_SECONDS],
    );
    let applied = 0;
    let closed = 0;
    for (const p of open) {
      try {
        const { state, outcome } = await this.orders.queryAndApply(p);
        if (state.status === 'paid') {
          if (outcome !== 'duplicate') {
            applied += 1;
            await this.orders.recordDifference(chinaDate(new Date(state.paidAt)), 'missing-notification', p.id, 'applied', { orderId: p.order_id, outcome });
          }
        } else if (p.order_status !== 'pending' || state.status === 'closed') {
          const answer = state.status === 'closed' ? state : await this.provider.closePayment(p.id);
          if (answer.status === 'paid') await this.orders.applyPaid(p.id, answer);
          else {
            await this.dataSource.query(`UPDATE payment SET status = 'closed', closed_at = now() WHERE id = $1 AND status = 'open'`, [p.id]);
            closed += 1;
          }
        }
      } catch (err) {
        this.logger.warn('reconciling a pending payment failed; next round', { paymentId: p.id, err });
      }
    }
    // Late payments whose refund never started (Temporal unreachable at the time): start it now.
    const late: Array<{ id: string; business_no: string }> = await this.dataSource.query(
      `SELECT DISTINCT o.id, o.business_no FROM payment p JOIN payment_order o ON o.id = p.order_id
       WHERE p.status = 'paid' AND o.status IN ('expired', 'cancelled') AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.payment_id = p.id) LIMIT 100`,
    );
    for (const o of late) {
      await this.orders.startRefund(o, 'late-payment').catch((err: unknown) => this.logger.warn('starting a late-payment refund failed', { orderId: o.id, err }));
    }
    const lateFees = await this.fees.startMissingRefunds();
    // A nonce older than the timestamp window can never be replayed (stale is refused first).
    await this.dataSource.query(`DELETE FROM notification_nonce WHERE received_at < now() - make_interval(secs => $1)`, [
      2 * this.config.PAYMENT_NOTIFY_WINDOW_SECONDS + 60,
    ]);
    return { checked: open.length, applied, closed, lateRefunds: late.length + lateFees };
  }

  /** The scheduled daily comparison: yesterday's statement (China date), once. Returns the date run, if any. */
  async runDueStatement(now = new Date()): Promise<string | undefined> {
    const yesterday = chinaDate(new Date(now.getTime() - 24 * 3600_000));
    const done: unknown[] = await this.dataSource.query(`SELECT 1 FROM reconciliation_run WHERE business_date = $1`, [yesterday]);
    if (done.length > 0) return undefined;
    const report = await this.daily(yesterday);
    if (report.differences.length > 0) this.logger.warn('daily statement has differences', { date: yesterday, differences: report.differences.length });
    return yesterday;
  }

  /** Compares the provider's statement of a China business date with our records. */
  async daily(date: string) {
    const statement = await this.provider.dailyStatement(date);
    const { from, to } = chinaDayRange(date);
    const ourPayments: Array<{ id: string; order_id: string; amount_fen: number; status: string }> = await this.dataSource.query(
      `SELECT id, order_id, amount_fen, status FROM payment WHERE provider = $3 AND ((paid_at >= $1 AND paid_at < $2) OR id = ANY($4::uuid[]))`,
      [from, to, this.provider.name, statement.filter((e) => e.kind === 'payment').map((e) => e.paymentId)],
    );
    const ourRefunds: Array<{ id: string; amount_fen: number; status: string; confirmed_at: Date | null }> = await this.dataSource.query(
      `SELECT id, amount_fen, status, confirmed_at FROM refund WHERE (confirmed_at >= $1 AND confirmed_at < $2) OR id = ANY($3::uuid[])`,
      [from, to, statement.filter((e) => e.kind === 'refund').map((e) => e.reference)],
    );
    const payments = new Map(ourPayments.map((p) => [p.id, p]));
    const refunds = new Map(ourRefunds.map((r) => [r.id, r]));
    const seen = new Set<string>();
    for (const e of statement) {
      seen.add(e.reference);
      if (e.kind === 'payment') {
        const ours = payments.get(e.reference);
        if (!ours) await this.orders.recordDifference(date, 'unknown-payment', e.reference, 'recorded', { amountFen: e.amountFen, at: e.at });
        else if (ours.amount_fen !== e.amountFen)
          await this.orders.recordDifference(date, 'amount-mismatch', e.reference, 'recorded', { ours: ours.amount_fen, provider: e.amountFen });
        else if (ours.status !== 'paid') {
          const state = await this.provider.queryPayment(e.paymentId);
          if (state.status === 'paid') {
            const { outcome } = await this.orders.applyPaid(e.paymentId, state);
            await this.orders.recordDifference(date, 'missing-notification', e.reference, 'applied', { orderId: ours.order_id, outcome });
          }
        }
      } else {
        const ours = refunds.get(e.reference);
        if (!ours) await this.orders.recordDifference(date, 'unknown-refund', e.reference, 'recorded', { amountFen: e.amountFen, at: e.at });
        else if (ours.amount_fen !== e.amountFen)
          await this.orders.recordDifference(date, 'refund-amount-mismatch', e.reference, 'recorded', { ours: ours.amount_fen, provider: e.amountFen });
        else if (ours.status !== 'confirmed')
          // The refund workflow confirms it on its next retry; recorded so staff see the lag.
          await this.orders.recordDifference(date, 'refund-unconfirmed', e.reference, 'recorded', { amountFen: e.amountFen });
      }
    }
    for (const p of ourPayments) {
      if (p.status === 'paid' && !seen.has(p.id)) await this.orders.recordDifference(date, 'missing-at-provider', p.id, 'recorded', { orderId: p.order_id, amountFen: p.amount_fen });
    }
    for (const r of ourRefunds) {
      if (r.status === 'confirmed' && !seen.has(r.id)) await this.orders.recordDifference(date, 'refund-missing-at-provider', r.id, 'recorded', { amountFen: r.amount_fen });
    }
    const differences: Array<{ kind: string; reference: string; resolution: string; detail: Record<string, unknown>; found_at: Date }> = await this.dataSource.query(
      `SELECT kind, reference, resolution, detail, found_at FROM reconciliation_difference WHERE business_date = $1 ORDER BY found_at, reference`,
      [date],
    );
    const counts = {
      payments: statement.filter((e) => e.kind === 'payment').length,
      refunds: statement.filter((e) => e.kind === 'refund').length,
    };
    await this.dataSource.query(
      `INSERT INTO reconciliation_run (business_date, ran_at, statement_payments, statement_refunds, differences) VALUES ($1, now(), $2, $3, $4)
       ON CONFLICT (business_date) DO UPDATE SET ran_at = now(), statement_payments = EXCLUDED.statement_payments, statement_refunds = EXCLUDED.statement_refunds, differences = EXCLUDED.differences`,
      [date, counts.payments, counts.refunds, differences.length],
    );
    return {
      date,
      provider: this.provider.name,
      statement: counts,
      differences: differences.map((d) => ({ kind: d.kind, reference: d.reference, resolution: d.resolution, detail: d.detail, foundAt: d.found_at.toISOString() })),
    };
  }
}
