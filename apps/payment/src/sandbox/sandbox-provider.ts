import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import type { Logger } from '@certhub/logging';
import { chinaDayRange, PaymentProvider, type CreatePaymentRequest, type ProviderPaymentState, type RefundOutcome, type StatementEntry } from '../provider/payment-provider';
import { NOTIFY_HEADERS, signNotification, type SandboxNotifyBody } from '../provider/signature';

export type NotifyMode = 'normal' | 'delay' | 'drop' | 'duplicate';

/** Fault switches: each makes the next N calls of its kind fail. */
export const SANDBOX_SWITCHES = ['fail-refunds', 'fail-closes', 'fail-queries'] as const;
export type SandboxSwitchName = (typeof SANDBOX_SWITCHES)[number];

export class SandboxUnavailable extends Error {
  constructor(what: string) {
    super(`sandbox provider: ${what} failed (fault switch)`);
    this.name = 'SandboxUnavailable';
  }
}

interface PaymentRow {
  id: string;
  trade_no: string;
  amount_fen: number;
  status: 'open' | 'paid' | 'closed';
  paid_at: Date | null;
  description: string;
  notify_url: string;
}

/**
 * The sandbox provider: the provider's side simulated in this service with its own tables
 * (`sandbox_*`). It pays on the pay page, sends signed notifications (durable, retried with
 * back-off until a 2xx), answers status queries, refunds, and writes a daily statement.
 */
export class SandboxPaymentProvider extends PaymentProvider {
  readonly name = 'sandbox';

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: { secret: string; payBaseUrl: string },
  ) {
    super();
  }

  async createPayment(request: CreatePaymentRequest): Promise<{ providerRef: string; payUrl: string }> {
    const tradeNo = `SBX${Date.now()}${randomBytes(4).toString('hex')}`;
    const rows: Array<{ trade_no: string }> = await this.dataSource.query(
      `INSERT INTO sandbox_payment (id, trade_no, amount_fen, description, status, notify_url) VALUES ($1, $2, $3, $4, 'open', $5)
       ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING trade_no`,
      [request.paymentId, tradeNo, request.amountFen, request.description, request.notifyUrl],
    );
    return { providerRef: rows[0]!.trade_no, payUrl: `${this.options.payBaseUrl}/api/v1/sandbox/payments/${request.paymentId}` };
  }

  async queryPayment(paymentId: string): Promise<ProviderPaymentState> {
    await this.consumeFault('fail-queries', 'query');
    const row = await this.row(paymentId);
    return this.stateOf(row);
  }

  async closePayment(paymentId: string): Promise<ProviderPaymentState> {
    await this.consumeFault('fail-closes', 'close');
    const rows: PaymentRow[] = await sqlRows(this.dataSource, `UPDATE sandbox_payment SET status = 'closed' WHERE id = $1 AND status = 'open' RETURNING *`, [paymentId]);
    if (rows.length > 0) return { status: 'closed' };
    return this.stateOf(await this.row(paymentId));
  }

  async refund(request: { refundId: string; paymentId: string; amountFen: number }): Promise<RefundOutcome> {
    const existing = await this.queryRefund(request.refundId);
    if (existing.status === 'confirmed') return existing;
    await this.consumeFault('fail-refunds', 'refund');
    const payment = await this.row(request.paymentId);
    if (!payment || payment.status !== 'paid') return { status: 'failed', reason: 'payment not paid' };
    if (request.amountFen > payment.amount_fen) return { status: 'failed', reason: 'amount exceeds the payment' };
    const rows: Array<{ refunded_at: Date }> = await this.dataSource.query(
      `INSERT INTO sandbox_refund (id, payment_id, amount_fen) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING refunded_at`,
      [request.refundId, request.paymentId, request.amountFen],
    );
    return { status: 'confirmed', confirmedAt: rows[0]!.refunded_at.toISOString() };
  }

  async queryRefund(refundId: string): Promise<RefundOutcome | { status: 'unknown' }> {
    const rows: Array<{ refunded_at: Date }> = await this.dataSource.query(`SELECT refunded_at FROM sandbox_refund WHERE id = $1`, [refundId]);
    return rows[0] ? { status: 'confirmed', confirmedAt: rows[0].refunded_at.toISOString() } : { status: 'unknown' };
  }

  async dailyStatement(date: string): Promise<StatementEntry[]> {
    const { from, to } = chinaDayRange(date);
    const payments: Array<{ id: string; amount_fen: number; paid_at: Date }> = await this.dataSource.query(
      `SELECT id, amount_fen, paid_at FROM sandbox_payment WHERE status = 'paid' AND paid_at >= $1 AND paid_at < $2 ORDER BY paid_at`,
      [from, to],
    );
    const refunds: Array<{ id: string; payment_id: string; amount_fen: number; refunded_at: Date }> = await this.dataSource.query(
      `SELECT id, payment_id, amount_fen, refunded_at FROM sandbox_refund WHERE refunded_at >= $1 AND refunded_at < $2 ORDER BY refunded_at`,
      [from, to],
    );
    return [
      ...payments.map((p) => ({ kind: 'payment' as const, reference: p.id, paymentId: p.id, amountFen: p.amount_fen, at: p.paid_at.toISOString() })),
      ...refunds.map((r) => ({ kind: 'refund' as const, reference: r.id, paymentId: r.payment_id, amountFen: r.amount_fen, at: r.refunded_at.toISOString() })),
    ];
  }

  // ---- the provider's own side (pay page, notifications, switches) ----

  async payment(paymentId: string): Promise<PaymentRow | undefined> {
    return this.row(paymentId);
  }

  /**
   * The payer pays on the provider's page: the payment is paid at the provider and the
   * notification scheduled as asked. Paying a paid payment again changes nothing.
   */
  async pay(paymentId: string, notify: NotifyMode = 'normal', delayMs = 0): Promise<PaymentRow | 'not-payable' | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const rows: PaymentRow[] = await manager.query(`SELECT * FROM sandbox_payment WHERE id = $1 FOR UPDATE`, [paymentId]);
      const row = rows[0];
      if (!row) return undefined;
      if (row.status === 'closed') return 'not-payable';
      if (row.status === 'paid') return row;
      const paid: PaymentRow[] = await sqlRows(manager, `UPDATE sandbox_payment SET status = 'paid', paid_at = now() WHERE id = $1 RETURNING *`, [paymentId]);
      const p = paid[0]!;
      const body: SandboxNotifyBody = { paymentId: p.id, tradeNo: p.trade_no, status: 'paid', amountFen: p.amount_fen, paidAt: p.paid_at!.toISOString() };
      const copies = notify === 'drop' ? 0 : notify === 'duplicate' ? 2 : 1;
      for (let i = 0; i < copies; i += 1) {
        await manager.query(
          `INSERT INTO sandbox_notification (id, payment_id, body, notify_url, due_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
          [randomUUID(), p.id, JSON.stringify(body), p.notify_url, notify === 'delay' ? delayMs / 1000 : 0],
        );
      }
      return p;
    });
  }

  async setSwitch(name: SandboxSwitchName, remaining: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO sandbox_switch (name, remaining) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET remaining = EXCLUDED.remaining`,
      [name, remaining],
    );
  }

  async switches(): Promise<Record<string, number>> {
    const rows: Array<{ name: string; remaining: number }> = await this.dataSource.query(`SELECT name, remaining FROM sandbox_switch`);
    return Object.fromEntries(SANDBOX_SWITCHES.map((n) => [n, rows.find((r) => r.name === n)?.remaining ?? 0]));
  }

  async notificationsOf(paymentId: string) {
    const rows: Array<{ id: string; attempts: number; delivered_at: Date | null; due_at: Date; last_error: string | null }> = await this.dataSource.query(
      `SELECT id, attempts, delivered_at, due_at, last_error FROM sandbox_notification WHERE payment_id = $1 ORDER BY created_at`,
      [paymentId],
    );
    return rows.map((r) => ({ id: r.id, attempts: r.attempts, deliveredAt: r.delivered_at, dueAt: r.due_at, lastError: r.last_error }));
  }

  /**
   * Sends the notifications that are due: each leased for 30 s, signed afresh (timestamp, nonce)
   * and posted; a 2xx marks it delivered, anything else retries with back-off (0.5 s doubling,
   * at most 1 min). Returns how many were delivered.
   */
  async sendDue(logger?: Logger, limit = 20): Promise<number> {
    const due: Array<{ id: string; body: string; notify_url: string; attempts: number }> = await sqlRows(this.dataSource, 
      `UPDATE sandbox_notification SET due_at = now() + interval '30 seconds'
       WHERE id IN (SELECT id FROM sandbox_notification WHERE delivered_at IS NULL AND due_at <= now() AND created_at > now() - interval '1 day'
                    ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, body, notify_url, attempts`,
      [limit],
    );
    let delivered = 0;
    for (const n of due) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = randomBytes(16).toString('hex');
      let error: string | null = null;
      try {
        const res = await fetch(n.notify_url, {
          method: 'POST',
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            [NOTIFY_HEADERS.timestamp]: timestamp,
            [NOTIFY_HEADERS.nonce]: nonce,
            [NOTIFY_HEADERS.signature]: signNotification(this.options.secret, timestamp, nonce, n.body),
          },
          body: n.body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      if (error === null) {
        delivered += 1;
        await this.dataSource.query(`UPDATE sandbox_notification SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`, [n.id]);
      } else {
        const backoffMs = Math.min(500 * 2 ** n.attempts, 60_000);
        logger?.warn('sandbox notification not accepted; retrying', { notificationId: n.id, attempts: n.attempts + 1, error });
        await this.dataSource.query(
          `UPDATE sandbox_notification SET attempts = attempts + 1, last_error = $2, due_at = now() + make_interval(secs => $3) WHERE id = $1`,
          [n.id, error.slice(0, 300), backoffMs / 1000],
        );
      }
    }
    return delivered;
  }

  private async row(paymentId: string): Promise<PaymentRow | undefined> {
    const rows: PaymentRow[] = await this.dataSource.query(`SELECT * FROM sandbox_payment WHERE id = $1`, [paymentId]);
    return rows[0];
  }

  private stateOf(row: PaymentRow | undefined): ProviderPaymentState {
    if (!row) return { status: 'unknown' };
    if (row.status === 'paid') return { status: 'paid', providerRef: row.trade_no, amountFen: row.amount_fen, paidAt: row.paid_at!.toISOString() };
    return { status: row.status };
  }

  private async consumeFault(name: SandboxSwitchName, what: string): Promise<void> {
    const rows: unknown[] = await sqlRows(this.dataSource, `UPDATE sandbox_switch SET remaining = remaining - 1 WHERE name = $1 AND remaining > 0 RETURNING name`, [name]);
    if (rows.length > 0) throw new SandboxUnavailable(what);
  }
}
