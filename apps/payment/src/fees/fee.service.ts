import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DataSource, type EntityManager } from 'typeorm';
import { BusinessNo, CaseStage, CaseStatus, CaseType } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { sqlRows } from '@certhub/persistence';
import { startWorkflowOnce, workflowHandle } from '@certhub/temporal';
import {
  FEE_REFUND_CASE_TYPE,
  feeInputProblem,
  feePayment,
  FeeRejections,
  feeRefund,
  feeSettledSignal,
  submitVoucherUpdate,
  type FeeInvoiceRequest,
  type FeePaymentInput,
  type FeeSnapshot,
  type FeeStatus,
} from '@certhub/workflows-payment';
import { checkUpload, uploadExtension, type Caller } from '@certhub/service-kit';
import { newInvoiceNo } from '../invoices/invoice-number';
import { PaymentConfig } from '../payment.config';
import { openPayment, type PayCheck } from '../provider/open-payment';
import { PaymentErrors } from '../payment.errors';
import { PaymentProvider } from '../provider/payment-provider';
import type { VoucherStatus } from './fee.entities';

interface FeeRow {
  id: string;
  case_domain: string;
  case_type: string;
  case_id: string;
  business_no: string;
  item_name: string;
  item_name_en: string;
  payer_kind: 'person' | 'institution';
  payer_account_id: string;
  payer_institution_id: string | null;
  amount_fen: number;
  purpose: string;
  invoice_request: FeeInvoiceRequest | null;
  status: FeeStatus;
  due_at: Date;
  paid_via: 'online' | 'voucher' | null;
  paid_payment_id: string | null;
  paid_voucher_id: string | null;
  paid_at: Date | null;
  closed_at: Date | null;
  cancel_reason: string | null;
  cancelled_by: string | null;
  workflow_id: string;
  created_at: Date;
}

interface FeePaymentRow {
  id: string;
  fee_id: string;
  provider: string;
  amount_fen: number;
  status: 'open' | 'paid' | 'closed';
  pay_url: string;
  created_at: Date;
  paid_at: Date | null;
}

interface VoucherMeta {
  id: string;
  fee_id: string;
  round: number;
  status: VoucherStatus;
  content_type: string;
  bytes: number;
  sha256: string;
  request_id: string;
  uploaded_at: Date;
  decided_at: Date | null;
  opinion: string | null;
}

export type FeePaidOutcome = 'paid' | 'duplicate' | 'late' | 'unknown-payment' | 'amount-mismatch';


const VOUCHER_COLUMNS = 'id, fee_id, round, status, content_type, bytes, sha256, request_id, uploaded_at, decided_at, opinion';
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const isUniqueViolation = (err: unknown) => (err as { code?: string; driverError?: { code?: string } })?.driverError?.code === '23505' || (err as { code?: string })?.code === '23505';

/**
 * Fees of other domains' cases (ADR 0012): the fee row the workflow `fee-payment:<feeId>` opens,
 * the payer's view, online payment through the provider, offline vouchers for the staff check,
 * applying verified payments, expiry, cancel and the automatic refund of late payments.
 * Every transition is a conditional update under the fee's row lock.
 */
/** What every view of a fee shows first: the case it belongs to, who pays, how much, where it stands. */
function feeSummary(fee: FeeRow) {
  return {
    feeId: fee.id,
    businessNo: fee.business_no,
    itemName: fee.item_name,
    itemNameEn: fee.item_name_en,
    purpose: fee.purpose,
    payerKind: fee.payer_kind,
    amountFen: fee.amount_fen,
    status: fee.status,
    dueAt: fee.due_at.toISOString(),
  };
}

@Injectable()
export class FeeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly provider: PaymentProvider,
    private readonly temporal: Client,
    private readonly config: PaymentConfig,
    private readonly logger: Logger,
  ) {}

  // ---- opened by the workflow ----

  /** Creates the fee once; a retried activity or a re-run workflow gets the same fee back. */
  async open(input: FeePaymentInput & { workflowId: string }): Promise<FeeSnapshot> {
    const problem = feeInputProblem(input);
    if (problem) throw ApplicationFailure.nonRetryable(`invalid fee input: ${problem}`, 'InvalidFee');
    const c = input.case;
    await this.dataSource.query(
      `INSERT INTO payment_fee (id, case_domain, case_type, case_id, business_no, item_name, item_name_en, payer_kind, payer_account_id, payer_institution_id,
         amount_fen, purpose, invoice_request, status, due_at, workflow_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14, $15) ON CONFLICT (id) DO NOTHING`,
      [
        input.feeId, c.domain, c.caseType, c.caseId, c.businessNo, c.itemName, c.itemNameEn, input.payer.kind, input.payer.accountId,
        input.payer.kind === 'institution' ? input.payer.institutionId : null, input.amountFen, input.purpose,
        input.invoice ? JSON.stringify({ type: input.invoice.type, title: input.invoice.title.trim(), taxId: input.invoice.type === 'enterprise' ? input.invoice.taxId : null }) : null,
        new Date(input.dueAt), input.workflowId,
      ],
    );
    const fee = (await this.row(input.feeId))!;
    if (fee.amount_fen !== input.amountFen || fee.payer_account_id !== input.payer.accountId || fee.business_no !== c.businessNo) {
      // The same fee id with other terms is a bug of the parent: it must not pay or expire someone else's fee.
      throw ApplicationFailure.nonRetryable(`fee ${input.feeId} exists with other terms`, 'InvalidFee');
    }
    return this.snapshot(input.feeId);
  }

  async snapshot(feeId: string, manager: EntityManager | DataSource = this.dataSource): Promise<FeeSnapshot> {
    const rows: Array<FeeRow & { invoice_no: string | null }> = await manager.query(
      `SELECT f.*, i.invoice_no FROM payment_fee f LEFT JOIN invoice i ON i.fee_id = f.id WHERE f.id = $1`,
      [feeId],
    );
    const fee = rows[0];
    if (!fee) throw ApplicationFailure.nonRetryable(`fee ${feeId} not found`, 'InvalidFee');
    return {
      feeId: fee.id,
      status: fee.status,
      paidVia: fee.paid_via,
      paidAt: iso(fee.paid_at),
      paymentId: fee.paid_payment_id,
      voucherId: fee.paid_voucher_id,
      invoiceNo: fee.invoice_no,
      closedAt: iso(fee.closed_at),
    };
  }

  private async row(feeId: string, manager: EntityManager | DataSource = this.dataSource, lock = false): Promise<FeeRow | undefined> {
    const rows: FeeRow[] = await manager.query(`SELECT * FROM payment_fee WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [feeId]);
    return rows[0];
  }

  // ---- the payer ----

  /** The payer (the person, or any user of the paying institution) may see and pay the fee. */
  private mayPay(fee: FeeRow, caller: Caller): boolean {
    if (caller.sub === fee.payer_account_id) return true;
    return fee.payer_kind === 'institution' && caller.accountType === 'institution' && caller.institutionId !== null && caller.institutionId === fee.payer_institution_id;
  }

  /** The caller's fee; unknown and another's are the same 404. */
  private async ownFee(feeId: string, caller: Caller, manager: EntityManager | DataSource = this.dataSource, lock = false): Promise<FeeRow> {
    const fee = await this.row(feeId, manager, lock);
    if (!fee || !this.mayPay(fee, caller)) throw PaymentErrors.error('PAYMENT_FEE_NOT_FOUND', { field: 'feeId' });
    return fee;
  }

  /**
   * The fees the caller may pay, newest first (at most 100): the person's own, and for an
   * institution user every fee of that institution — how the institution learns of a fee a
   * case asked it to pay (e.g. a registration fee, CE-3).
   */
  async list(caller: Caller, status: FeeRow['status'] | undefined) {
    const institutionId = caller.accountType === 'institution' ? caller.institutionId : null;
    const rows: FeeRow[] = await this.dataSource.query(
      `SELECT * FROM payment_fee
        WHERE (payer_account_id = $1 OR ($2::uuid IS NOT NULL AND payer_kind = 'institution' AND payer_institution_id = $2::uuid))
          AND ($3::text IS NULL OR status = $3::text)
        ORDER BY created_at DESC LIMIT 100`,
      [caller.sub, institutionId, status ?? null],
    );
    return {
      items: rows.map((fee) => ({ ...feeSummary(fee), paidAt: iso(fee.paid_at), link: `/api/v1/payment/fees/${fee.id}` })),
    };
  }

  async view(feeId: string, caller: Caller) {
    return this.describe(await this.ownFee(feeId, caller));
  }

  /** Staff (the voucher check task): the fee with its vouchers, without the payer check. */
  async viewForStaff(feeId: string) {
    const fee = await this.row(feeId);
    if (!fee) throw PaymentErrors.error('PAYMENT_FEE_NOT_FOUND', { field: 'feeId' });
    return this.describe(fee);
  }

  private async describe(fee: FeeRow) {
    const [payments, vouchers, invoices, refunds] = await Promise.all([
      this.dataSource.query(`SELECT * FROM payment WHERE fee_id = $1 ORDER BY created_at`, [fee.id]) as Promise<FeePaymentRow[]>,
      this.dataSource.query(`SELECT ${VOUCHER_COLUMNS} FROM payment_fee_voucher WHERE fee_id = $1 ORDER BY round`, [fee.id]) as Promise<VoucherMeta[]>,
      this.dataSource.query(`SELECT invoice_no, type, title, tax_id, amount_fen, status, issued_at FROM invoice WHERE fee_id = $1`, [fee.id]) as Promise<Array<Record<string, unknown>>>,
      this.dataSource.query(`SELECT id, payment_id, amount_fen, reason, status, created_at, confirmed_at FROM refund WHERE fee_id = $1 ORDER BY created_at`, [fee.id]) as Promise<
        Array<Record<string, unknown>>
      >,
    ]);
    const inv = invoices[0];
    return {
      ...feeSummary(fee),
      /** What the payer can do now. */
      stage: fee.status !== 'pending' ? 'settled' : vouchers.some((v) => v.status === 'submitted') ? 'voucher-review' : 'awaiting-payment',
      paidVia: fee.paid_via,
      paidAt: iso(fee.paid_at),
      closedAt: iso(fee.closed_at),
      invoiceRequest: fee.invoice_request,
      invoice: inv
        ? { invoiceNo: inv.invoice_no, type: inv.type, title: inv.title, taxId: inv.tax_id, amountFen: inv.amount_fen, status: inv.status, issuedAt: (inv.issued_at as Date).toISOString() }
        : null,
      payments: payments.map((p) => ({
        paymentId: p.id,
        provider: p.provider,
        status: p.status,
        amountFen: p.amount_fen,
        payUrl: p.status === 'open' ? p.pay_url : null,
        createdAt: p.created_at.toISOString(),
        paidAt: iso(p.paid_at),
      })),
      vouchers: vouchers.map((v) => this.voucherView(v)),
      refunds: refunds.map((r) => ({
        refundId: r.id,
        paymentId: r.payment_id,
        amountFen: r.amount_fen,
        reason: r.reason,
        status: r.status,
        createdAt: (r.created_at as Date).toISOString(),
        confirmedAt: iso(r.confirmed_at as Date | null),
      })),
    };
  }

  private voucherView(v: VoucherMeta) {
    return {
      voucherId: v.id,
      round: v.round,
      status: v.status,
      contentType: v.content_type,
      bytes: v.bytes,
      sha256: v.sha256,
      uploadedAt: v.uploaded_at.toISOString(),
      decidedAt: iso(v.decided_at),
      opinion: v.opinion,
    };
  }

  /** Why the fee cannot take a payment or voucher now (paid, cancelled, expired or past due); undefined when it can. */
  private notPayable(fee: FeeRow) {
    if (fee.status === 'paid') return PaymentErrors.error('PAYMENT_FEE_PAID');
    if (fee.status === 'cancelled') return PaymentErrors.error('PAYMENT_FEE_CANCELLED');
    if (fee.status === 'expired' || fee.due_at.getTime() <= Date.now()) return PaymentErrors.error('PAYMENT_FEE_EXPIRED');
    return undefined;
  }

  /** Online: a payment at the provider for the payer's pending fee; an open one is returned again (`openPayment`: the provider is asked outside any transaction). */
  async pay(feeId: string, caller: Caller, attempt = 1): Promise<{ paymentId: string; payUrl: string }> {
    const opened = await openPayment<{ paymentId: string; payUrl: string }, VoucherMeta>(
      { dataSource: this.dataSource, provider: this.provider, logger: this.logger, notifyUrl: this.notifyUrl() },
      {
        owner: { feeId },
        check: (runner, lock) => this.payCheck(feeId, caller, runner, lock),
        view: (p) => ({ paymentId: p.paymentId, payUrl: p.payUrl }),
      },
    );
    if (opened.kind === 'open') return opened.payment;
    if (opened.kind === 'other') return this.waitForVoucher(opened.other, feeId, caller, attempt);
    if (attempt > 2) throw PaymentErrors.error('PAYMENT_PROVIDER_UNAVAILABLE');
    return this.pay(feeId, caller, attempt + 1);
  }

  /**
   * Whether the caller's fee can take an online payment now: refused (thrown) when it is paid,
   * cancelled, expired or not the caller's; a voucher under the staff's check; an open payment
   * (returned again); or payable.
   */
  private async payCheck(feeId: string, caller: Caller, runner: EntityManager | DataSource, lock: boolean): Promise<PayCheck<{ paymentId: string; payUrl: string }, VoucherMeta>> {
    const fee = await this.ownFee(feeId, caller, runner, lock);
    const refused = this.notPayable(fee);
    if (refused) throw refused;
    const review: VoucherMeta[] = await runner.query(`SELECT ${VOUCHER_COLUMNS} FROM payment_fee_voucher WHERE fee_id = $1 AND status = 'submitted'`, [feeId]);
    // Paying online while staff check a voucher would pay twice: wait for the check.
    if (review[0]) return { kind: 'other', other: review[0] };
    const open: FeePaymentRow[] = await runner.query(`SELECT * FROM payment WHERE fee_id = $1 AND status = 'open' ORDER BY created_at LIMIT 1`, [feeId]);
    if (open[0]) return { kind: 'open', payment: { paymentId: open[0].id, payUrl: open[0].pay_url } };
    return { kind: 'payable', amountFen: fee.amount_fen, description: `certhub fee ${fee.business_no}` };
  }

  /** A voucher is waiting for staff: make sure the workflow knows it (a lost Update would block the fee). */
  private async waitForVoucher(voucher: VoucherMeta, feeId: string, caller: Caller, attempt: number): Promise<{ paymentId: string; payUrl: string }> {
    if ((await this.ensureDelivered(voucher)) || attempt > 1) throw PaymentErrors.error('PAYMENT_FEE_VOUCHER_UNDER_REVIEW');
    return this.pay(feeId, caller, attempt + 1);
  }

  private notifyUrl(): string {
    // The same endpoint as orders' payments (OrderService.notifyUrl): one notify path per provider.
    return this.config.PAYMENT_SANDBOX_NOTIFY_URL ?? `http://127.0.0.1:${this.config.PORT}/api/v1/payment/notifications/sandbox`;
  }

  /**
   * Offline: the payer uploads a voucher (JPEG, PNG or PDF); open online payments are closed at the
   * provider first; the workflow puts a check task into the staff inbox. A replay of the same
   * request (same request id) gets the same answer; a second voucher while one is checked → 409.
   */
  async submitVoucher(feeId: string, caller: Caller, contentType: string | undefined, body: unknown, requestId: string) {
    const checked = checkUpload(contentType, body, { maxBytes: this.config.PAYMENT_VOUCHER_MAX_BYTES });
    if (!checked.ok) {
      if (checked.refusal === 'too-large') throw PaymentErrors.error('PAYMENT_VOUCHER_TOO_LARGE', { field: 'body', details: { maxBytes: checked.maxBytes } });
      throw PaymentErrors.error('PAYMENT_VOUCHER_TYPE', { field: 'body' });
    }
    const { contentType: type, content } = checked;
    const fee = await this.ownFee(feeId, caller);
    const replayed = await this.voucherByRequest(feeId, requestId);
    if (replayed) return this.answerVoucher(replayed);
    const refused = this.notPayable(fee);
    if (refused) throw refused;
    await this.refuseWhileUnderReview(feeId);
    // An online payment left open could still be paid: close it first (paid meanwhile → the fee is paid).
    if (await this.queryAndClose(feeId)) throw PaymentErrors.error('PAYMENT_FEE_PAID');
    const voucherId = randomUUID();
    let round: number | null;
    try {
      round = await this.dataSource.transaction(async (manager) => {
        const locked = await this.ownFee(feeId, caller, manager, true);
        // The same request, sent twice at once: the first one stored it while this one waited for the lock.
        const same: unknown[] = await manager.query(`SELECT 1 FROM payment_fee_voucher WHERE fee_id = $1 AND request_id = $2`, [feeId, requestId]);
        if (same.length > 0) return null;
        const again = this.notPayable(locked);
        if (again) throw again;
        const open: unknown[] = await manager.query(`SELECT 1 FROM payment WHERE fee_id = $1 AND status = 'open'`, [feeId]);
        // The provider could not close it now (or a pay call slipped in): the payer retries.
        if (open.length > 0) throw PaymentErrors.error('PAYMENT_PROVIDER_UNAVAILABLE');
        const counted: Array<{ submitted: number; rejected: number }> = await manager.query(
          `SELECT count(*) FILTER (WHERE status = 'submitted')::int AS submitted, count(*) FILTER (WHERE status = 'rejected')::int AS rejected FROM payment_fee_voucher WHERE fee_id = $1`,
          [feeId],
        );
        if (counted[0]!.submitted > 0) throw PaymentErrors.error('PAYMENT_FEE_VOUCHER_UNDER_REVIEW');
        const next = counted[0]!.rejected + 1;
        await manager.query(
          `INSERT INTO payment_fee_voucher (id, fee_id, round, status, content_type, content, bytes, sha256, request_id, uploaded_by) VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9)`,
          [voucherId, feeId, next, type, content, content.length, createHash('sha256').update(content).digest('hex'), requestId, caller.sub],
        );
        return next;
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A concurrent upload won (same request replayed, or another voucher): answer from what is stored.
      const winner = await this.voucherByRequest(feeId, requestId);
      if (winner) return this.answerVoucher(winner);
      throw PaymentErrors.error('PAYMENT_FEE_VOUCHER_UNDER_REVIEW');
    }
    if (round !== null) this.logger.info('payment voucher stored', { feeId, voucherId, round, contentType: type, bytes: content.length });
    const voucher = (await this.voucherByRequest(feeId, requestId))!;
    return this.answerVoucher(voucher);
  }

  private async voucherByRequest(feeId: string, requestId: string): Promise<VoucherMeta | undefined> {
    const rows: VoucherMeta[] = await this.dataSource.query(`SELECT ${VOUCHER_COLUMNS} FROM payment_fee_voucher WHERE fee_id = $1 AND request_id = $2`, [feeId, requestId]);
    return rows[0];
  }

  /** The stored voucher as the answer; a submitted one is (again) handed to the workflow first. */
  private async answerVoucher(voucher: VoucherMeta) {
    if (voucher.status === 'submitted') {
      const delivered = await this.deliver(voucher);
      if (delivered !== 'accepted') {
        // Refused by the workflow: say why in the fee's words when it has settled meanwhile.
        const fee = await this.row(voucher.fee_id);
        throw (fee && this.notPayable(fee)) ?? PaymentErrors.error(delivered === 'past-due' ? 'PAYMENT_FEE_EXPIRED' : 'PAYMENT_FEE_NOT_AWAITING_VOUCHER');
      }
    }
    const rows: VoucherMeta[] = await this.dataSource.query(`SELECT ${VOUCHER_COLUMNS} FROM payment_fee_voucher WHERE id = $1`, [voucher.id]);
    return this.voucherView(rows[0] ?? voucher);
  }

  /** A submitted voucher blocks the fee: 409, after making sure the workflow really has it. */
  private async refuseWhileUnderReview(feeId: string): Promise<void> {
    const rows: VoucherMeta[] = await this.dataSource.query(`SELECT ${VOUCHER_COLUMNS} FROM payment_fee_voucher WHERE fee_id = $1 AND status = 'submitted'`, [feeId]);
    if (!rows[0]) return;
    if (await this.ensureDelivered(rows[0])) throw PaymentErrors.error('PAYMENT_FEE_VOUCHER_UNDER_REVIEW');
  }

  /** True when the voucher is (now) with the workflow; false when the workflow refused it (it is withdrawn). */
  private async ensureDelivered(voucher: VoucherMeta): Promise<boolean> {
    const delivered = await this.deliver(voucher);
    return delivered === 'accepted';
  }

  /**
   * Hands a stored voucher to the workflow (Update `submitVoucher`, id `voucher:<voucherId>`, so
   * a repeat is the same Update). Refused by the workflow → the voucher is withdrawn. Temporal
   * unreachable → 503; the voucher stays and the next attempt (a replay, or any upload or pay
   * of the fee) hands it over again.
   */
  private async deliver(voucher: VoucherMeta): Promise<'accepted' | 'refused' | 'past-due'> {
    try {
      await workflowHandle(this.temporal, feePayment, voucher.fee_id).executeUpdate(submitVoucherUpdate, {
        args: [{ voucherId: voucher.id, round: voucher.round }],
        updateId: `voucher:${voucher.id}`,
      });
      return 'accepted';
    } catch (err) {
      let refusal: 'refused' | 'past-due' | undefined;
      if (err instanceof WorkflowNotFoundError) refusal = 'refused';
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause?.message ?? '';
        if (reason === FeeRejections.PAST_DUE) refusal = 'past-due';
        else if (reason === FeeRejections.NOT_AWAITING_VOUCHER || reason === FeeRejections.STALE_ROUND) refusal = 'refused';
      }
      if (refusal === undefined) {
        this.logger.warn('could not hand a voucher to the fee workflow', { feeId: voucher.fee_id, voucherId: voucher.id, err });
        throw PaymentErrors.error('PAYMENT_FEE_UNAVAILABLE');
      }
      await this.dataSource.query(`UPDATE payment_fee_voucher SET status = 'withdrawn', decided_at = now(), opinion = $2 WHERE id = $1 AND status = 'submitted'`, [
        voucher.id,
        refusal === 'past-due' ? 'past-due' : 'not-awaiting-voucher',
      ]);
      return refusal;
    }
  }

  /** Staff: the voucher file for the check task. */
  async voucherFile(feeId: string, voucherId: string): Promise<{ contentType: string; content: Buffer; round: number; ext: string }> {
    const rows: Array<{ content_type: string; content: Buffer; round: number }> = await this.dataSource.query(
      `SELECT content_type, content, round FROM payment_fee_voucher WHERE id = $1 AND fee_id = $2`,
      [voucherId, feeId],
    );
    const v = rows[0];
    if (!v) throw PaymentErrors.error('PAYMENT_VOUCHER_NOT_FOUND', { field: 'voucherId' });
    return { contentType: v.content_type, content: v.content, round: v.round, ext: uploadExtension(v.content_type) };
  }

  // ---- applying a verified online payment ----

  async ownsPayment(paymentId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM payment WHERE id = $1 AND fee_id IS NOT NULL`, [paymentId]);
    return rows.length > 0;
  }

  /**
   * A fee's payment the provider confirmed. Idempotent. Pending fee → paid (invoice, the
   * workflow told); a fee no longer pending (expired, cancelled, paid by a voucher or another
   * payment) → the payment is refunded automatically (`fee-refund:<paymentId>`).
   */
  async applyPaid(paymentId: string, state: { providerRef: string; amountFen: number; paidAt: string }): Promise<{ outcome: FeePaidOutcome; orderId?: string }> {
    const result = await this.dataSource.transaction(async (manager) => {
      const payments: FeePaymentRow[] = await manager.query(`SELECT * FROM payment WHERE id = $1 AND fee_id IS NOT NULL FOR UPDATE`, [paymentId]);
      const payment = payments[0];
      if (!payment) return { outcome: 'unknown-payment' as const };
      if (payment.amount_fen !== state.amountFen) return { outcome: 'amount-mismatch' as const, feeId: payment.fee_id };
      if (payment.status === 'paid') {
        // A repeat of a late payment's confirmation starts its refund again (harmless when it runs or ran).
        const late: Array<{ business_no: string }> = await manager.query(
          `SELECT f.business_no FROM payment_fee f WHERE f.id = $1 AND f.paid_payment_id IS DISTINCT FROM $2
             AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.payment_id = $2 AND r.status = 'confirmed')`,
          [payment.fee_id, paymentId],
        );
        return { outcome: 'duplicate' as const, feeId: payment.fee_id, refundFor: late[0]?.business_no };
      }
      await manager.query(`UPDATE payment SET status = 'paid', paid_at = $2, provider_ref = $3 WHERE id = $1`, [paymentId, state.paidAt, state.providerRef]);
      const fee = (await this.row(payment.fee_id, manager, true))!;
      if (fee.status !== 'pending') return { outcome: 'late' as const, feeId: fee.id, refundFor: fee.business_no };
      await manager.query(
        `UPDATE payment_fee SET status = 'paid', paid_via = 'online', paid_payment_id = $2, paid_at = $3, closed_at = now() WHERE id = $1`,
        [fee.id, paymentId, state.paidAt],
      );
      // A voucher waiting for staff is no longer needed: its task is withdrawn by the workflow.
      await manager.query(`UPDATE payment_fee_voucher SET status = 'withdrawn', decided_at = now(), opinion = 'paid-online' WHERE fee_id = $1 AND status = 'submitted'`, [fee.id]);
      await this.issueInvoice(manager, fee, state.paidAt);
      return { outcome: 'paid' as const, feeId: fee.id };
    });
    if (result.outcome === 'paid') await this.signalSettled(result.feeId);
    if ('refundFor' in result && result.refundFor !== undefined) await this.startRefund(paymentId, result.refundFor);
    if (result.outcome === 'amount-mismatch') this.logger.warn('fee payment amount differs from the notification', { paymentId });
    return { outcome: result.outcome, orderId: 'feeId' in result ? result.feeId : undefined };
  }

  private async issueInvoice(manager: EntityManager, fee: FeeRow, paidAt: string | Date): Promise<void> {
    const req = fee.invoice_request;
    if (!req || !req.title) return;
    await manager.query(
      `INSERT INTO invoice (id, fee_id, invoice_no, type, title, tax_id, amount_fen, status, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'issued', now())
       ON CONFLICT (fee_id) DO NOTHING`,
      [randomUUID(), fee.id, newInvoiceNo(paidAt), req.type, req.title, req.type === 'enterprise' ? (req.taxId ?? null) : null, fee.amount_fen],
    );
  }

  private async signalSettled(feeId: string): Promise<void> {
    try {
      await workflowHandle(this.temporal, feePayment, feeId).signal(feeSettledSignal);
    } catch (err) {
      // Ended or unreachable: at its due time the workflow reads the fee's state anyway.
      if (!(err instanceof WorkflowNotFoundError)) this.logger.warn('could not signal the fee workflow', { feeId, err });
    }
  }

  /** The refund of a payment its fee no longer wanted (idempotent per payment). */
  async startRefund(paymentId: string, businessNo: string): Promise<void> {
    try {
      const { alreadyStarted } = await startWorkflowOnce(this.temporal, feeRefund, paymentId, {
        args: [{ paymentId }],
        typedSearchAttributes: [
          { key: BusinessNo, value: businessNo },
          { key: CaseType, value: FEE_REFUND_CASE_TYPE },
          { key: CaseStage, value: 'requested' },
          { key: CaseStatus, value: 'refunding' },
        ],
      });
      this.logger.info('fee refund workflow started', { paymentId, alreadyStarted });
    } catch (err) {
      // Reconciliation starts the refunds that never started.
      this.logger.warn('could not start a fee refund; reconciliation will', { paymentId, err });
    }
  }

  /** Asks the provider about the fee's open payments and closes them; true when one was paid. */
  async queryAndClose(feeId: string): Promise<boolean> {
    let paid = false;
    const open: FeePaymentRow[] = await this.dataSource.query(`SELECT * FROM payment WHERE fee_id = $1 AND status = 'open' ORDER BY created_at`, [feeId]);
    for (const p of open) {
      try {
        const state = await this.provider.queryPayment(p.id);
        if (state.status === 'paid') {
          await this.applyPaid(p.id, state);
          paid = true;
          continue;
        }
        const closed = await this.provider.closePayment(p.id);
        if (closed.status === 'paid') {
          await this.applyPaid(p.id, closed);
          paid = true;
        } else if (closed.status === 'closed' || closed.status === 'unknown') {
          await this.dataSource.query(`UPDATE payment SET status = 'closed', closed_at = now() WHERE id = $1 AND status = 'open'`, [p.id]);
        }
      } catch (err) {
        this.logger.warn('provider could not close a fee payment now; reconciliation will', { paymentId: p.id, err });
      }
    }
    if (paid) return true;
    const fee = await this.row(feeId);
    return fee?.status === 'paid';
  }

  // ---- decided by the workflow ----

  async decideVoucher(input: { feeId: string; voucherId: string; outcome: 'accepted' | 'rejected'; opinion: string | null; actorId: string; decidedAt: string }): Promise<FeeSnapshot> {
    await this.dataSource.transaction(async (manager) => {
      const fee = await this.row(input.feeId, manager, true);
      if (!fee) throw ApplicationFailure.nonRetryable(`fee ${input.feeId} not found`, 'InvalidFee');
      if (fee.status !== 'pending') {
        // Paid online, or cancelled, while staff decided: the voucher is no longer needed.
        await manager.query(`UPDATE payment_fee_voucher SET status = 'withdrawn', decided_at = now(), opinion = $2 WHERE id = $1 AND status = 'submitted'`, [input.voucherId, `fee-${fee.status}`]);
        return;
      }
      const decided = await sqlRows(
        manager,
        `UPDATE payment_fee_voucher SET status = $3, decided_at = $4, decided_by = $5, opinion = $6 WHERE id = $1 AND fee_id = $2 AND status = 'submitted' RETURNING id`,
        [input.voucherId, input.feeId, input.outcome, input.decidedAt, input.actorId, input.opinion],
      );
      if (decided.length === 0 || input.outcome !== 'accepted') return; // decided before (a retried activity), or rejected
      await manager.query(
        `UPDATE payment_fee SET status = 'paid', paid_via = 'voucher', paid_voucher_id = $2, paid_at = $3, closed_at = now() WHERE id = $1 AND status = 'pending'`,
        [fee.id, input.voucherId, input.decidedAt],
      );
      await this.issueInvoice(manager, fee, input.decidedAt);
    });
    this.logger.info('payment voucher decided', { feeId: input.feeId, voucherId: input.voucherId, outcome: input.outcome });
    // An online payment left open (the close failed at upload) is closed now: paid later → refunded.
    if (input.outcome === 'accepted') await this.queryAndClose(input.feeId);
    return this.snapshot(input.feeId);
  }

  /** At the due time: paid at the provider → paid; otherwise expired (from pending only). */
  async expire(feeId: string): Promise<FeeSnapshot> {
    return this.close(feeId, 'expired', null, null);
  }

  /** The parent cancels: paid at the provider → stays paid; otherwise cancelled (from pending only). */
  async cancel(feeId: string, reason: string, actorId: string | null): Promise<FeeSnapshot> {
    return this.close(feeId, 'cancelled', reason, actorId);
  }

  private async close(feeId: string, status: 'expired' | 'cancelled', reason: string | null, actorId: string | null): Promise<FeeSnapshot> {
    const before = await this.snapshot(feeId);
    if (before.status !== 'pending') return before;
    if (await this.queryAndClose(feeId)) return this.snapshot(feeId);
    await this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows(
        manager,
        `UPDATE payment_fee SET status = $2, closed_at = now(), cancel_reason = $3, cancelled_by = $4 WHERE id = $1 AND status = 'pending' RETURNING id`,
        [feeId, status, reason, actorId],
      );
      if (rows.length === 0) return;
      await manager.query(`UPDATE payment_fee_voucher SET status = 'withdrawn', decided_at = now(), opinion = $2 WHERE fee_id = $1 AND status = 'submitted'`, [feeId, `fee-${status}`]);
    });
    this.logger.info(`fee ${status}`, { feeId, reason });
    // A payment created by a pay call that slipped in before the update is closed too (paid → refunded as late).
    await this.queryAndClose(feeId);
    return this.snapshot(feeId);
  }

  // ---- refunds of late payments ----

  async beginRefund(paymentId: string): Promise<{ refundId: string; amountFen: number } | null> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ fee_id: string; amount_fen: number; paid_payment_id: string | null }> = await manager.query(
        `SELECT p.fee_id, p.amount_fen, f.paid_payment_id FROM payment p JOIN payment_fee f ON f.id = p.fee_id WHERE p.id = $1 AND p.status = 'paid' FOR UPDATE OF p`,
        [paymentId],
      );
      const p = rows[0];
      // Not a paid fee payment, or the payment that paid the fee: nothing to refund.
      if (!p || p.paid_payment_id === paymentId) return null;
      await manager.query(
        `INSERT INTO refund (id, fee_id, payment_id, amount_fen, reason, status) VALUES ($1, $2, $3, $4, 'late-payment', 'pending') ON CONFLICT (payment_id) DO NOTHING`,
        [randomUUID(), p.fee_id, paymentId, p.amount_fen],
      );
      const refund: Array<{ id: string; amount_fen: number; status: string }> = await manager.query(`SELECT id, amount_fen, status FROM refund WHERE payment_id = $1`, [paymentId]);
      const r = refund[0]!;
      return r.status === 'pending' ? { refundId: r.id, amountFen: r.amount_fen } : null;
    });
  }

  async completeRefund(refundId: string, confirmedAt: string): Promise<void> {
    const rows = await sqlRows(this.dataSource, `UPDATE refund SET status = 'confirmed', confirmed_at = $2 WHERE id = $1 AND status = 'pending' RETURNING id`, [refundId, confirmedAt]);
    if (rows.length > 0) this.logger.info('fee refund confirmed', { refundId });
  }

  /** Late fee payments whose refund never started (Temporal unreachable at the time): started now. */
  async startMissingRefunds(): Promise<number> {
    const late: Array<{ id: string; business_no: string }> = await this.dataSource.query(
      `SELECT p.id, f.business_no FROM payment p JOIN payment_fee f ON f.id = p.fee_id
       WHERE p.status = 'paid' AND p.id IS DISTINCT FROM f.paid_payment_id AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.payment_id = p.id) LIMIT 100`,
    );
    for (const p of late) await this.startRefund(p.id, p.business_no);
    return late.length;
  }
}
