/**
 * Contract of the fee payment: a fee that another domain's process asks a payer to pay (the
 * certification fee of CE-3 is the first), run as the child workflow `fee-payment:<feeId>` on
 * the payment task queue. The parent owns its case (events, my items, messages); the payment
 * side owns the fee, its online payments, the offline vouchers and their review by staff.
 *
 *   parent ── executeChild(feePayment, feePaymentChildOptions(input)) ──▶ feePaymentWorkflow
 *          ◀── FeePaymentResult (paid-online | paid-offline | expired | cancelled) ──┘
 *   parent ── cancelFeeSignal ──▶ (the fee is cancelled unless it is already paid)
 *
 * See docs/processes/payment.md ("Fees") and ADR 0012.
 */
import { defineQuery, defineSignal, defineUpdate, ParentClosePolicy, type ChildWorkflowOptions } from '@temporalio/workflow';
import type { WorkflowRef } from '@certhub/contracts';
import type { feePaymentWorkflow, feeRefundWorkflow } from './fee-workflows';

/** Who pays: the applicant (a personal account), or an institution (any of its institution users). */
export type FeePayerKind = 'person' | 'institution';

export interface FeePayer {
  kind: FeePayerKind;
  /** The paying account (the applicant for `person`; the institution user who acts for it otherwise). */
  accountId: string;
  /** Required for `institution`: every institution user of it may pay and upload the voucher. */
  institutionId?: string | null;
}

/** The parent's case the fee belongs to: the voucher check is a task of that case in the workbench. */
export interface FeeCaseRef {
  /** Owning domain of the case, e.g. `certification`. */
  domain: string;
  /** Catalogue case type, e.g. `cert-registration`. */
  caseType: string;
  /** The parent's id of the case. */
  caseId: string;
  /** 14-digit business number of the case (search attribute; not personal). */
  businessNo: string;
  /** Item name as the applicant sees it, e.g. 人员注册申请. */
  itemName: string;
  itemNameEn: string;
}

/** PY-5 / EX-4: an invoice issued when the fee is paid (online or by an accepted voucher). */
export interface FeeInvoiceRequest {
  type: 'personal' | 'enterprise';
  title: string;
  /** Taxpayer id; required for `enterprise`. */
  taxId?: string | null;
}

export interface FeePaymentInput {
  /**
   * The fee's id (a UUID) chosen by the parent and stable for this fee: the workflow id, the
   * fee row and the payer's URLs derive from it. A parent workflow takes it from `uuid4()` of
   * `@temporalio/workflow` (deterministic) and keeps it in its state, or uses its own case id
   * when the case has exactly one fee.
   */
  feeId: string;
  case: FeeCaseRef;
  payer: FeePayer;
  /** Integer fen, 1 … 100,000,000. */
  amountFen: number;
  /** What the fee is for, a code of the parent's domain, e.g. `cert-registration`. */
  purpose: string;
  invoice?: FeeInvoiceRequest | null;
  /** Absolute due time (ISO 8601): no online payment or voucher upload after it. */
  dueAt: string;
  /** The staff voucher check in the workbench (defaults: due in 2 working days, escalated to admin 2 working days later). */
  voucherReview?: { dueInWorkingDays?: number; escalationWorkingDays?: number };
}

export type FeeStatus = 'pending' | 'paid' | 'expired' | 'cancelled';

/**
 * How the fee ended:
 * - `paid-online`: a verified provider payment (notification, status query or reconciliation);
 * - `paid-offline`: staff accepted an uploaded payment voucher (earlier vouchers may have been rejected: `reviews`);
 * - `expired`: the due time passed without payment (a voucher submitted before it is still decided; a rejection after it ends the fee);
 * - `cancelled`: the parent cancelled it (signal or workflow cancellation) before it was paid.
 */
export type FeeOutcome = 'paid-online' | 'paid-offline' | 'expired' | 'cancelled';

export interface FeeVoucherReview {
  voucherId: string;
  round: number;
  outcome: 'accepted' | 'rejected';
  opinion: string | null;
  actorId: string;
  decidedAt: string;
}

export interface FeePaymentResult {
  feeId: string;
  outcome: FeeOutcome;
  amountFen: number;
  /** When it was paid (provider's time, or the staff decision for a voucher); null unless paid. */
  paidAt: string | null;
  /** The provider payment that paid it (`paid-online`). */
  paymentId: string | null;
  /** The accepted voucher (`paid-offline`). */
  voucherId: string | null;
  invoiceNo: string | null;
  /** Every staff decision on a voucher, in order (for the parent's case history). */
  reviews: FeeVoucherReview[];
  /** When it left pending. */
  closedAt: string | null;
}

/** The fee as its row says (the payment service's database is the authority). */
export interface FeeSnapshot {
  feeId: string;
  status: FeeStatus;
  paidVia: 'online' | 'voucher' | null;
  paidAt: string | null;
  paymentId: string | null;
  voucherId: string | null;
  invoiceNo: string | null;
  closedAt: string | null;
}

/** What the workflow is doing; the `feeState` query. */
export interface FeeWorkflowState {
  feeId: string;
  stage: 'opening' | 'awaiting-payment' | 'voucher-review' | 'settled';
  status: FeeStatus;
  /** The voucher round the payer may submit next (or the one under review). */
  round: number;
  voucherUnderReview: string | null;
  reviews: FeeVoucherReview[];
}

export interface VoucherSubmission {
  voucherId: string;
  round: number;
}

export interface FeeCancelRequest {
  /** Short code, e.g. `application-withdrawn`; shown to staff, never personal data. */
  reason: string;
  actorId: string | null;
}

export interface FeeActivities {
  /** Creates the fee row once (idempotent on the fee id) and returns it as it is. */
  openFee(input: FeePaymentInput & { workflowId: string }): Promise<FeeSnapshot>;
  readFee(input: { feeId: string }): Promise<FeeSnapshot>;
  /** Staff decided on a voucher: accepted → the fee paid (unless paid otherwise meanwhile); rejected → recorded. */
  decideVoucher(input: { feeId: string; voucherId: string; outcome: 'accepted' | 'rejected'; opinion: string | null; actorId: string; decidedAt: string }): Promise<FeeSnapshot>;
  /** At the due time: the provider is asked about open payments (paid → paid); otherwise the fee expires. */
  expireFee(input: { feeId: string }): Promise<FeeSnapshot>;
  /** The parent cancels: the provider is asked first (paid → stays paid); otherwise the fee is cancelled. */
  cancelFee(input: { feeId: string } & FeeCancelRequest): Promise<FeeSnapshot>;
  /** A payment that arrived for a fee that no longer wanted it: its refund row (null when there is nothing to refund). */
  beginFeeRefund(input: { paymentId: string }): Promise<{ refundId: string; amountFen: number } | null>;
  completeFeeRefund(input: { refundId: string; confirmedAt: string }): Promise<void>;
}

/** The payment task queue (`PAYMENT_TASK_QUEUE`; contract.ts re-exports this file, so it cannot import it back). */
const FEE_TASK_QUEUE = 'payment';

/** The offline payment voucher check is a workbench task of this type (candidate role `staff`). */
export const FEE_VOUCHER_TASK_TYPE = 'payment.voucher-check';
export const FEE_VOUCHER_STAGE = 'voucher-check';

/** The payer uploaded a voucher (sent by the payment service after storing it). */
export const submitVoucherUpdate = defineUpdate<FeeWorkflowState, [VoucherSubmission]>('submitVoucher');
/** Sent by the payment service after an online payment moved the fee to paid: the workflow reads the fee. */
export const feeSettledSignal = defineSignal<[]>('feeSettled');
/** The parent cancels the fee; a fee already paid stays paid (the result says so). */
export const cancelFeeSignal = defineSignal<[FeeCancelRequest]>('cancelFee');
export const feeStateQuery = defineQuery<FeeWorkflowState>('feeState');

/** Why `submitVoucher` was refused; the payment service answers 409 `PAYMENT_FEE_NOT_AWAITING_VOUCHER`. */
export const FeeRejections = {
  NOT_AWAITING_VOUCHER: 'FEE_NOT_AWAITING_VOUCHER',
  STALE_ROUND: 'FEE_STALE_ROUND',
  PAST_DUE: 'FEE_PAST_DUE',
} as const;

export const feePayment: WorkflowRef<typeof feePaymentWorkflow, string> = {
  workflowType: 'feePaymentWorkflow',
  taskQueue: FEE_TASK_QUEUE,
  workflowId: (feeId: string) => `fee-payment:${feeId}`,
};

/** One per late (or surplus) payment of a fee: refunded automatically (PY-2). */
export const feeRefund: WorkflowRef<typeof feeRefundWorkflow, string> = {
  workflowType: 'feeRefundWorkflow',
  taskQueue: FEE_TASK_QUEUE,
  workflowId: (paymentId: string) => `fee-refund:${paymentId}`,
};

/** Search-attribute values of the fee workflows (no personal data). */
export const FEE_CASE_TYPE = 'fee-payment';
export const FEE_REFUND_CASE_TYPE = 'fee-refund';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BUSINESS_NO = /^\d{14}$/;
const CODE = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/** Why an input is not a fee (a bug in the parent, not a passing failure); null when it is one. */
export function feeInputProblem(input: FeePaymentInput): string | null {
  if (typeof input !== 'object' || input === null) return 'input';
  if (typeof input.feeId !== 'string' || !UUID.test(input.feeId)) return 'feeId';
  const c = input.case;
  if (typeof c !== 'object' || c === null || !CODE.test(c.domain ?? '') || !CODE.test(c.caseType ?? '')) return 'case';
  if (typeof c.caseId !== 'string' || c.caseId.length === 0 || c.caseId.length > 100) return 'case.caseId';
  if (typeof c.businessNo !== 'string' || !BUSINESS_NO.test(c.businessNo)) return 'case.businessNo';
  if (typeof c.itemName !== 'string' || c.itemName.trim().length === 0 || c.itemName.length > 100) return 'case.itemName';
  if (typeof c.itemNameEn !== 'string' || c.itemNameEn.length > 200) return 'case.itemNameEn';
  const p = input.payer;
  if (typeof p !== 'object' || p === null || (p.kind !== 'person' && p.kind !== 'institution')) return 'payer.kind';
  if (typeof p.accountId !== 'string' || !UUID.test(p.accountId)) return 'payer.accountId';
  if (p.kind === 'institution' && (typeof p.institutionId !== 'string' || !UUID.test(p.institutionId))) return 'payer.institutionId';
  if (!Number.isSafeInteger(input.amountFen) || input.amountFen < 1 || input.amountFen > 100_000_000) return 'amountFen';
  if (typeof input.purpose !== 'string' || !CODE.test(input.purpose)) return 'purpose';
  const inv = input.invoice;
  if (inv !== undefined && inv !== null) {
    if (inv.type !== 'personal' && inv.type !== 'enterprise') return 'invoice.type';
    if (typeof inv.title !== 'string' || inv.title.trim().length === 0 || inv.title.length > 100) return 'invoice.title';
    if (inv.type === 'enterprise' && (typeof inv.taxId !== 'string' || !/^[0-9A-Z]{15,20}$/.test(inv.taxId))) return 'invoice.taxId';
  }
  if (typeof input.dueAt !== 'string' || Number.isNaN(Date.parse(input.dueAt))) return 'dueAt';
  return null;
}

/**
 * Options for starting the fee as a child of the parent's workflow:
 * `await executeChild(feePayment.workflowType, feePaymentChildOptions(input))`.
 * The child runs on the payment queue; when the parent closes first (terminated, timed out),
 * the child is asked to cancel (the fee is cancelled unless paid) instead of being left running.
 */
export function feePaymentChildOptions(input: FeePaymentInput): ChildWorkflowOptions & { args: [FeePaymentInput] } {
  return {
    workflowId: feePayment.workflowId(input.feeId),
    taskQueue: feePayment.taskQueue,
    args: [input],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  };
}
