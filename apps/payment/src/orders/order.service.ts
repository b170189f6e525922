import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { DataSource, type EntityManager } from 'typeorm';
import { BusinessNo, CaseStage, CaseStatus, CaseType, PaymentTopics, type EventEnvelope, type OrderPlacedV1, type RefundRequestedV1 } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import { startWorkflowOnce, workflowHandle } from '@certhub/temporal';
import { orderPayment, orderRefund, orderSettledSignal, PAYMENT_CASE_TYPE, REFUND_CASE_TYPE, type OrderStatus, type RefundReason } from '@certhub/workflows-payment';
import type { Caller } from '@certhub/service-kit';
import { FeeService } from '../fees/fee.service';
import { newInvoiceNo } from '../invoices/invoice-number';
import { PaymentConfig } from '../payment.config';
import { openPayment, type PayCheck } from '../provider/open-payment';
import { PaymentErrors } from '../payment.errors';
import { chinaDate, PaymentProvider, type ProviderPaymentState } from '../provider/payment-provider';

export interface OrderRow {
  id: string;
  payer_id: string;
  registration_id: string;
  business_no: string;
  amount_fen: number;
  lines: OrderPlacedV1['lines'];
  invoice_request: OrderPlacedV1['invoice'];
  status: OrderStatus;
  placed_at: Date;
  expires_at: Date;
  paid_payment_id: string | null;
  paid_at: Date | null;
  closed_at: Date | null;
  cancelled_by: string | null;
}

interface PaymentRow {
  id: string;
  order_id: string;
  provider: string;
  provider_ref: string | null;
  amount_fen: number;
  status: 'open' | 'paid' | 'closed';
  pay_url: string;
  created_at: Date;
  paid_at: Date | null;
  closed_at: Date | null;
}

export type PaidOutcome = 'paid' | 'duplicate' | 'late' | 'double' | 'unknown-payment' | 'amount-mismatch';

const sumOfLines = (lines: Array<{ feeFen: number }>) => lines.reduce((s, l) => s + l.feeFen, 0);

/**
 * The payment order and its payments: projection of placed orders, the payer's view, pay,
 * cancel, applying a verified payment (notification, status query, reconciliation) and expiry.
 */
@Injectable()
export class OrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly provider: PaymentProvider,
    private readonly temporal: Client,
    private readonly config: PaymentConfig,
    private readonly logger: Logger,
    private readonly fees: FeeService,
  ) {}

  // ---- projection ----

  /**
   * `exam.order.placed.v1`: the payment order (same id); a duplicate is harmless. The deadline
   * workflow is started by {@link startMissingWorkflows} right after the commit (the runtime's
   * starter is woken by {@link onProjected}): a burst of orders at registration opening, or a
   * backlog after an outage, is stored at the speed of the database, and the workflows follow at
   * Temporal's pace, soonest deadline first, with their absolute deadlines unchanged.
   */
  async project(event: EventEnvelope<OrderPlacedV1>, manager: EntityManager): Promise<void> {
    const o = event.data;
    if (sumOfLines(o.lines) !== o.amountFen) {
      // An order whose amount is not the sum of its lines is never payable: dead-lettered for a person to see.
      throw new Error(`order ${o.orderId}: amountFen ${o.amountFen} is not the sum of its lines (${sumOfLines(o.lines)})`);
    }
    await manager.query(
      `INSERT INTO payment_order (id, payer_id, registration_id, business_no, period_id, period_name, amount_fen, lines, invoice_request, status, placed_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11) ON CONFLICT (id) DO NOTHING`,
      [o.orderId, o.candidateId, o.registrationId, o.businessNo, o.periodId, o.periodName, o.amountFen, JSON.stringify(o.lines), JSON.stringify(o.invoice), o.placedAt, o.expiresAt],
    );
    this.onProjected?.();
  }

  /** Set by the runtime: wakes the workflow starter. */
  onProjected?: () => void;

  private startDeadline(order: { id: string; expires_at: Date; business_no: string }) {
    return startWorkflowOnce(this.temporal, orderPayment, order.id, {
      args: [{ orderId: order.id, expiresAt: order.expires_at.toISOString() }],
      typedSearchAttributes: [
        { key: BusinessNo, value: order.business_no },
        { key: CaseType, value: PAYMENT_CASE_TYPE },
        { key: CaseStage, value: 'awaiting-payment' },
        { key: CaseStatus, value: 'pending' },
      ],
    });
  }

  /**
   * Starts the deadline workflows of projected orders that have none yet, soonest deadline
   * first, `concurrency` starts at a time; returns how many were started. Starting is
   * idempotent (workflow id per order), so two starters or a crash between start and mark are
   * harmless.
   */
  async startMissingWorkflows(limit = 200, concurrency = 8): Promise<number> {
    const rows: Array<{ id: string; expires_at: Date; business_no: string }> = await this.dataSource.query(
      `SELECT id, expires_at, business_no FROM payment_order WHERE workflow_started_at IS NULL ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    let next = 0;
    const started: string[] = [];
    try {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, rows.length) }, async () => {
          while (next < rows.length) {
            const order = rows[next++]!;
            await this.startDeadline(order);
            started.push(order.id);
          }
        }),
      );
    } finally {
      // Marked once per round (also when a start failed: the ones that succeeded are not started again).
      if (started.length > 0) {
        await this.dataSource.query(`UPDATE payment_order SET workflow_started_at = now() WHERE id = ANY($1::uuid[]) AND workflow_started_at IS NULL`, [started]);
      }
    }
    return started.length;
  }

  /** `exam.refund.requested.v1`: starts `refund:<orderId>` when the request matches the order. */
  async refundRequested(event: EventEnvelope<RefundRequestedV1>, manager: EntityManager): Promise<void> {
    const r = event.data;
    const rows: OrderRow[] = await manager.query(`SELECT * FROM payment_order WHERE id = $1`, [r.orderId]);
    const order = rows[0];
    if (!order || order.payer_id !== r.candidateId || order.amount_fen !== r.amountFen) {
      this.logger.warn('refund request does not match a payment order; ignored', { orderId: r.orderId });
      return;
    }
    await this.startRefund(order, 'requested');
  }

  async startRefund(order: Pick<OrderRow, 'id' | 'business_no'>, reason: RefundReason): Promise<void> {
    const { alreadyStarted } = await startWorkflowOnce(this.temporal, orderRefund, order.id, {
      args: [{ orderId: order.id, reason }],
      typedSearchAttributes: [
        { key: BusinessNo, value: order.business_no },
        { key: CaseType, value: REFUND_CASE_TYPE },
        { key: CaseStage, value: 'requested' },
        { key: CaseStatus, value: 'refunding' },
      ],
    });
    this.logger.info('refund workflow started', { orderId: order.id, reason, alreadyStarted });
  }

  // ---- the payer's view ----

  async view(orderId: string, caller: Caller) {
    const order = await this.ownOrder(orderId, caller);
    const payments: PaymentRow[] = await this.dataSource.query(`SELECT * FROM payment WHERE order_id = $1 ORDER BY created_at`, [orderId]);
    const invoices: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT invoice_no, type, title, tax_id, amount_fen, status, issued_at, voided_at FROM invoice WHERE order_id = $1`,
      [orderId],
    );
    const refunds: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT id, payment_id, amount_fen, reason, status, created_at, confirmed_at FROM refund WHERE order_id = $1 ORDER BY created_at`,
      [orderId],
    );
    const inv = invoices[0];
    return {
      orderId: order.id,
      registrationId: order.registration_id,
      status: order.status,
      amountFen: order.amount_fen,
      lines: order.lines,
      placedAt: order.placed_at.toISOString(),
      expiresAt: order.expires_at.toISOString(),
      paidAt: order.paid_at?.toISOString() ?? null,
      payments: payments.map((p) => ({
        paymentId: p.id,
        provider: p.provider,
        status: p.status,
        amountFen: p.amount_fen,
        payUrl: p.status === 'open' ? p.pay_url : null,
        createdAt: p.created_at.toISOString(),
        paidAt: p.paid_at?.toISOString() ?? null,
      })),
      invoiceRequest: order.invoice_request,
      invoice: inv
        ? {
            invoiceNo: inv.invoice_no,
            type: inv.type,
            title: inv.title,
            taxId: inv.tax_id,
            amountFen: inv.amount_fen,
            status: inv.status,
            issuedAt: (inv.issued_at as Date).toISOString(),
            voidedAt: (inv.voided_at as Date | null)?.toISOString() ?? null,
          }
        : null,
      refunds: refunds.map((r) => ({
        refundId: r.id,
        paymentId: r.payment_id,
        amountFen: r.amount_fen,
        reason: r.reason,
        status: r.status,
        createdAt: (r.created_at as Date).toISOString(),
        confirmedAt: (r.confirmed_at as Date | null)?.toISOString() ?? null,
      })),
    };
  }

  /** The caller's order; unknown and another's are the same 404. */
  private async ownOrder(orderId: string, caller: Caller): Promise<OrderRow> {
    const rows: OrderRow[] = await this.dataSource.query(`SELECT * FROM payment_order WHERE id = $1`, [orderId]);
    const order = rows[0];
    if (!order || order.payer_id !== caller.sub) throw PaymentErrors.error('PAYMENT_ORDER_NOT_FOUND', { field: 'orderId' });
    return order;
  }

  // ---- pay ----

  /** A payment at the provider for the payer's pending order; an open one is returned again (`openPayment`: the provider is asked outside any transaction). */
  async pay(orderId: string, caller: Caller, attempt = 1): Promise<{ paymentId: string; payUrl: string; amountFen: number }> {
    const opened = await openPayment<{ paymentId: string; payUrl: string; amountFen: number }, never>(
      { dataSource: this.dataSource, provider: this.provider, logger: this.logger, notifyUrl: this.notifyUrl() },
      {
        owner: { orderId },
        check: (runner, lock) => this.payCheck(orderId, caller, runner, lock),
        view: (p) => p,
      },
    );
    if (opened.kind === 'open') return opened.payment;
    if (attempt > 2) throw PaymentErrors.error('PAYMENT_PROVIDER_UNAVAILABLE');
    return this.pay(orderId, caller, attempt + 1);
  }

  /** The caller's order when it can be paid (refusals thrown), or its open payment. */
  private async payCheck(orderId: string, caller: Caller, runner: EntityManager | DataSource, lock: boolean): Promise<PayCheck<{ paymentId: string; payUrl: string; amountFen: number }, never>> {
    const rows: OrderRow[] = await runner.query(`SELECT * FROM payment_order WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [orderId]);
    const order = rows[0];
    // The order may be on its way from exam (outbox → Kafka → consumer): the client retries.
    if (!order) throw PaymentErrors.error('PAYMENT_ORDER_NOT_READY', { field: 'orderId' });
    if (order.payer_id !== caller.sub) throw PaymentErrors.error('PAYMENT_ORDER_NOT_FOUND', { field: 'orderId' });
    this.assertPayable(order);
    const open: PaymentRow[] = await runner.query(`SELECT * FROM payment WHERE order_id = $1 AND status = 'open' ORDER BY created_at LIMIT 1`, [orderId]);
    if (open[0]) return { kind: 'open', payment: { paymentId: open[0].id, payUrl: open[0].pay_url, amountFen: open[0].amount_fen } };
    return { kind: 'payable', amountFen: order.amount_fen, description: `certhub exam fee ${order.business_no}` };
  }

  private assertPayable(order: OrderRow): void {
    if (order.status === 'paid' || order.status === 'refunding' || order.status === 'refunded') throw PaymentErrors.error('PAYMENT_ORDER_PAID');
    if (order.status === 'expired') throw PaymentErrors.error('PAYMENT_ORDER_EXPIRED');
    if (order.status !== 'pending') throw PaymentErrors.error('PAYMENT_ORDER_NOT_PENDING', { details: { status: order.status } });
    if (order.expires_at.getTime() <= Date.now()) throw PaymentErrors.error('PAYMENT_ORDER_EXPIRED');
    if (sumOfLines(order.lines) !== order.amount_fen) throw PaymentErrors.error('PAYMENT_AMOUNT_MISMATCH');
  }

  notifyUrl(): string {
    return this.config.PAYMENT_SANDBOX_NOTIFY_URL ?? `http://127.0.0.1:${this.config.PORT}/api/v1/payment/notifications/sandbox`;
  }

  // ---- applying a verified payment ----

  /**
   * A payment the provider confirmed (signed notification, status query, reconciliation).
   * Idempotent: a second confirmation changes nothing. Pending order → paid + event + signal;
   * expired or cancelled order → automatic refund (PY-2).
   */
  async applyPaid(paymentId: string, state: { providerRef: string; amountFen: number; paidAt: string }): Promise<{ outcome: PaidOutcome; orderId?: string }> {
    // A fee's payment (ADR 0012) is applied to its fee.
    if (await this.fees.ownsPayment(paymentId)) return this.fees.applyPaid(paymentId, state);
    const result = await this.dataSource.transaction(async (manager) => {
      const payments: PaymentRow[] = await manager.query(`SELECT * FROM payment WHERE id = $1 FOR UPDATE`, [paymentId]);
      const payment = payments[0];
      if (!payment) return { outcome: 'unknown-payment' as const };
      if (payment.amount_fen !== state.amountFen) return { outcome: 'amount-mismatch' as const, orderId: payment.order_id };
      if (payment.status === 'paid') {
        // A repeated confirmation of a late payment starts its refund again (harmless when it
        // runs or ran): the first confirmation may have committed without reaching Temporal.
        const late: OrderRow[] = await manager.query(
          `SELECT o.* FROM payment_order o WHERE o.id = $1 AND o.status IN ('expired', 'cancelled')
             AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.payment_id = $2 AND r.status = 'confirmed')`,
          [payment.order_id, paymentId],
        );
        return { outcome: 'duplicate' as const, orderId: payment.order_id, order: late[0], restartRefund: late.length > 0 };
      }
      await manager.query(`UPDATE payment SET status = 'paid', paid_at = $2, provider_ref = $3 WHERE id = $1`, [paymentId, state.paidAt, state.providerRef]);
      const orders: OrderRow[] = await manager.query(`SELECT * FROM payment_order WHERE id = $1 FOR UPDATE`, [payment.order_id]);
      const order = orders[0]!;
      if (order.status === 'pending') {
        await manager.query(`UPDATE payment_order SET status = 'paid', paid_payment_id = $2, paid_at = $3 WHERE id = $1`, [order.id, paymentId, state.paidAt]);
        await this.issueInvoice(manager, order, state.paidAt);
        await this.outbox.append(manager, {
          topic: PaymentTopics.OrderPaid,
          subjectId: order.id,
          data: { orderId: order.id, paymentId, provider: payment.provider, amountFen: payment.amount_fen, paidAt: new Date(state.paidAt).toISOString() },
        });
        return { outcome: 'paid' as const, orderId: order.id, order };
      }
      if (order.status === 'expired' || order.status === 'cancelled') return { outcome: 'late' as const, orderId: order.id, order };
      // Paid by another payment already: recorded for reconciliation, refunded by staff.
      return { outcome: 'double' as const, orderId: order.id, order };
    });
    if (result.outcome === 'paid') await this.signalSettled(result.orderId!, 'paid');
    if (result.outcome === 'late' || ('restartRefund' in result && result.restartRefund)) await this.startRefund(result.order!, 'late-payment');
    if (result.outcome === 'double' || result.outcome === 'amount-mismatch') {
      this.logger.warn('payment needs attention', { paymentId, outcome: result.outcome });
      await this.recordDifference(chinaDate(new Date()), result.outcome, paymentId, 'recorded', { orderId: result.orderId, amountFen: state.amountFen });
    }
    return { outcome: result.outcome, orderId: result.orderId };
  }

  private async issueInvoice(manager: EntityManager, order: OrderRow, paidAt: string): Promise<void> {
    const req = order.invoice_request;
    if (req.type === 'none' || !req.title) return;
    const invoiceNo = newInvoiceNo(paidAt);
    await manager.query(
      `INSERT INTO invoice (id, order_id, invoice_no, type, title, tax_id, amount_fen, status, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'issued', now())
       ON CONFLICT (order_id) DO NOTHING`,
      [randomUUID(), order.id, invoiceNo, req.type, req.title, req.type === 'enterprise' ? req.taxId : null, order.amount_fen],
    );
  }

  async recordDifference(businessDate: string, kind: string, reference: string, resolution: 'applied' | 'recorded', detail: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO reconciliation_difference (id, business_date, kind, reference, resolution, detail) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (business_date, kind, reference) DO NOTHING`,
      [randomUUID(), businessDate, kind, reference, resolution, JSON.stringify(detail)],
    );
  }

  async signalSettled(orderId: string, status: OrderStatus): Promise<void> {
    try {
      await workflowHandle(this.temporal, orderPayment, orderId).signal(orderSettledSignal, status);
    } catch (err) {
      // The workflow ended or is unreachable: at its deadline it reads the order's state anyway.
      if (!(err instanceof WorkflowNotFoundError)) this.logger.warn('could not signal the order workflow', { orderId, err });
    }
  }

  /** Asks the provider about one payment and applies a paid answer. */
  async queryAndApply(payment: { id: string }): Promise<{ state: ProviderPaymentState; outcome?: PaidOutcome }> {
    const state = await this.provider.queryPayment(payment.id);
    if (state.status !== 'paid') return { state };
    const { outcome } = await this.applyPaid(payment.id, state);
    return { state, outcome };
  }

  async openPayments(orderId: string): Promise<PaymentRow[]> {
    return this.dataSource.query(`SELECT * FROM payment WHERE order_id = $1 AND status = 'open' ORDER BY created_at`, [orderId]);
  }

  /**
   * Asks the provider about the order's open payments and closes them; a paid answer is applied.
   * Returns true when one of them turned out paid. A close the provider cannot do now is left to
   * reconciliation (a payment arriving after all is refunded automatically).
   */
  private async queryAndClose(orderId: string): Promise<boolean> {
    let paid = false;
    for (const p of await this.openPayments(orderId)) {
      const { state } = await this.queryAndApply(p);
      if (state.status === 'paid') {
        paid = true;
        continue;
      }
      try {
        const closed = await this.provider.closePayment(p.id);
        if (closed.status === 'paid') {
          await this.applyPaid(p.id, closed);
          paid = true;
        } else if (closed.status === 'closed' || closed.status === 'unknown') {
          await this.dataSource.query(`UPDATE payment SET status = 'closed', closed_at = now() WHERE id = $1 AND status = 'open'`, [p.id]);
        }
      } catch (err) {
        this.logger.warn('provider could not close a payment now; reconciliation will', { paymentId: p.id, err });
      }
    }
    return paid;
  }

  // ---- deadline ----

  /** Settlements at the deadline running in this process, by order. */
  private readonly settling = new Map<string, Promise<OrderStatus | 'unknown'>>();

  /**
   * At the deadline (the workflow's activity and the deadline pass): paid at the provider →
   * paid; otherwise expired (from pending only). The two may reach the same order at the same
   * moment; in one process the second waits for the first's answer instead of asking the
   * provider again (across processes both ask: every step is idempotent).
   */
  async settleAtDeadline(orderId: string): Promise<OrderStatus | 'unknown'> {
    const running = this.settling.get(orderId);
    if (running) return running;
    const settling = this.settle(orderId).finally(() => this.settling.delete(orderId));
    this.settling.set(orderId, settling);
    return settling;
  }

  private async settle(orderId: string): Promise<OrderStatus | 'unknown'> {
    const before = await this.status(orderId);
    if (before !== 'pending') return before;
    if (await this.queryAndClose(orderId)) return this.status(orderId);
    await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ closed_at: Date }> = await sqlRows(manager, 
        `UPDATE payment_order SET status = 'expired', closed_at = now() WHERE id = $1 AND status = 'pending' RETURNING closed_at`,
        [orderId],
      );
      if (rows[0]) {
        await this.outbox.append(manager, { topic: PaymentTopics.OrderExpired, subjectId: orderId, data: { orderId, expiredAt: rows[0].closed_at.toISOString() } });
      }
    });
    // A payment created by a pay call that slipped in before the update is closed too (paid → refunded as late).
    await this.queryAndClose(orderId);
    return this.status(orderId);
  }

  async status(orderId: string): Promise<OrderStatus | 'unknown'> {
    const rows: Array<{ status: OrderStatus }> = await this.dataSource.query(`SELECT status FROM payment_order WHERE id = $1`, [orderId]);
    return rows[0]?.status ?? 'unknown';
  }

  // ---- cancel ----

  /** ST-3: the payer cancels an unpaid order (the provider is asked first). Idempotent. */
  async cancel(orderId: string, caller: Caller): Promise<{ orderId: string; status: 'cancelled'; cancelledAt: string }> {
    const order = await this.ownOrder(orderId, caller);
    const answer = (o: OrderRow) => {
      if (o.status === 'cancelled') return { orderId, status: 'cancelled' as const, cancelledAt: (o.closed_at ?? new Date()).toISOString() };
      if (o.status === 'paid' || o.status === 'refunding' || o.status === 'refunded') throw PaymentErrors.error('PAYMENT_ORDER_PAID');
      if (o.status === 'expired') throw PaymentErrors.error('PAYMENT_ORDER_EXPIRED');
      return undefined;
    };
    const settled = answer(order);
    if (settled) return settled;
    if (await this.queryAndClose(orderId)) throw PaymentErrors.error('PAYMENT_ORDER_PAID');
    const cancelled = await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ closed_at: Date }> = await sqlRows(manager, 
        `UPDATE payment_order SET status = 'cancelled', closed_at = now(), cancelled_by = $2 WHERE id = $1 AND status = 'pending' RETURNING closed_at`,
        [orderId, caller.sub],
      );
      if (!rows[0]) return undefined;
      await this.outbox.append(manager, {
        topic: PaymentTopics.OrderCancelled,
        subjectId: orderId,
        actorId: caller.sub,
        data: { orderId, cancelledAt: rows[0].closed_at.toISOString(), cancelledBy: caller.sub },
      });
      return rows[0].closed_at;
    });
    if (cancelled) {
      // A payment created by a pay call that slipped in before the update is closed too.
      await this.queryAndClose(orderId);
      await this.signalSettled(orderId, 'cancelled');
      return { orderId, status: 'cancelled', cancelledAt: cancelled.toISOString() };
    }
    // Lost a race (paid, expired or cancelled meanwhile): answer from the current state.
    const now: OrderRow[] = await this.dataSource.query(`SELECT * FROM payment_order WHERE id = $1`, [orderId]);
    return answer(now[0]!) ?? { orderId, status: 'cancelled', cancelledAt: new Date().toISOString() };
  }
}
