import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { InvoiceRequest, OrderLine } from '@certhub/contracts';
import type { OrderStatus } from '@certhub/workflows-payment';

/**
 * The payment order: projected from `exam.order.placed.v1` (same id). The payment service is
 * the authority on its state: pending → paid | expired | cancelled; paid → refunding → refunded.
 */
@Entity({ name: 'payment_order' })
@Index('ix_payment_order_payer', ['payerId', 'placedAt'])
@Index('ix_payment_order_unstarted', ['placedAt'], { where: 'workflow_started_at IS NULL' })
// The deadline pass's due orders, soonest first (ADR 0014).
@Index('ix_payment_order_pending_due', ['expiresAt'], { where: `status = 'pending'` })
export class PaymentOrder {
  @PrimaryColumn('uuid')
  id!: string;

  /** The candidate's account id. */
  @Column('uuid')
  payerId!: string;

  @Column('uuid')
  registrationId!: string;

  /** Business number of the registration (search attribute; not personal). */
  @Column('text')
  businessNo!: string;

  @Column('uuid')
  periodId!: string;

  @Column('text')
  periodName!: string;

  /** Integer fen; equals the sum of the lines' fees. */
  @Column('int')
  amountFen!: number;

  @Column('jsonb')
  lines!: OrderLine[];

  @Column('jsonb')
  invoiceRequest!: InvoiceRequest;

  @Column('text')
  status!: OrderStatus;

  @Column('timestamptz')
  placedAt!: Date;

  @Column('timestamptz')
  expiresAt!: Date;

  @Column('uuid', { nullable: true })
  paidPaymentId!: string | null;

  @Column('timestamptz', { nullable: true })
  paidAt!: Date | null;

  /** When it left pending other than by payment (expired, cancelled), or was refunded. */
  @Column('timestamptz', { nullable: true })
  closedAt!: Date | null;

  @Column('uuid', { nullable: true })
  cancelledBy!: string | null;

  /** Set once `order-payment:<id>` exists; the runtime starts the missing ones (Temporal was down). */
  @Column('timestamptz', { nullable: true })
  workflowStartedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

export type PaymentStatus = 'open' | 'paid' | 'closed';

/**
 * One attempt to pay an order — or a fee (`payment_fee`, ADR 0012) — at a provider. At most one
 * open payment per order and per fee.
 */
@Entity({ name: 'payment' })
@Index('ux_payment_open_per_order', ['orderId'], { unique: true, where: `status = 'open'` })
@Index('ux_payment_open_per_fee', ['feeId'], { unique: true, where: `status = 'open'` })
@Index('ix_payment_order', ['orderId'])
@Index('ix_payment_fee', ['feeId'])
@Index('ix_payment_status_created', ['status', 'createdAt'])
@Check('ck_payment_order_or_fee', '(order_id IS NULL) <> (fee_id IS NULL)')
export class Payment {
  @PrimaryColumn('uuid')
  id!: string;

  /** The exam order it pays; null for a fee's payment. */
  @Column('uuid', { nullable: true })
  orderId!: string | null;

  /** The fee it pays; null for an order's payment. */
  @Column('uuid', { nullable: true })
  feeId!: string | null;

  @Column('text')
  provider!: string;

  /** The provider's reference (trade number) of the payment. */
  @Column('text', { nullable: true })
  providerRef!: string | null;

  @Column('int')
  amountFen!: number;

  @Column('text')
  status!: PaymentStatus;

  @Column('text')
  payUrl!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  paidAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  closedAt!: Date | null;
}

export type RefundStatus = 'pending' | 'confirmed';

/** A refund of one paid payment (one per payment) of an order or of a fee. */
@Entity({ name: 'refund' })
@Index('ux_refund_payment', ['paymentId'], { unique: true })
@Index('ix_refund_order', ['orderId'])
@Index('ix_refund_fee', ['feeId'])
@Check('ck_refund_order_or_fee', '(order_id IS NULL) <> (fee_id IS NULL)')
export class Refund {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { nullable: true })
  orderId!: string | null;

  @Column('uuid', { nullable: true })
  feeId!: string | null;

  @Column('uuid')
  paymentId!: string;

  @Column('int')
  amountFen!: number;

  @Column('text')
  reason!: 'requested' | 'late-payment';

  @Column('text')
  status!: RefundStatus;

  @Column('int', { default: 0 })
  providerAttempts!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  confirmedAt!: Date | null;
}

/** PY-5: the invoice of a paid order or fee, from its invoice request; voided on refund. */
@Entity({ name: 'invoice' })
@Index('ux_invoice_order', ['orderId'], { unique: true })
@Index('ux_invoice_fee', ['feeId'], { unique: true })
@Index('ux_invoice_no', ['invoiceNo'], { unique: true })
@Check('ck_invoice_order_or_fee', '(order_id IS NULL) <> (fee_id IS NULL)')
export class Invoice {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { nullable: true })
  orderId!: string | null;

  @Column('uuid', { nullable: true })
  feeId!: string | null;

  @Column('text')
  invoiceNo!: string;

  @Column('text')
  type!: 'personal' | 'enterprise';

  @Column('text')
  title!: string;

  @Column('text', { nullable: true })
  taxId!: string | null;

  @Column('int')
  amountFen!: number;

  @Column('text')
  status!: 'issued' | 'voided';

  @Column('timestamptz')
  issuedAt!: Date;

  @Column('timestamptz', { nullable: true })
  voidedAt!: Date | null;
}

/** Nonces of accepted provider notifications: a replay finds its nonce here and is refused. */
@Entity({ name: 'notification_nonce' })
@Index('ix_notification_nonce_received', ['receivedAt'])
export class NotificationNonce {
  @PrimaryColumn('text')
  nonce!: string;

  @Column('text')
  provider!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  receivedAt!: Date;
}

/** PY-3: one difference found by reconciliation, resolved (applied) or only recorded. */
@Entity({ name: 'reconciliation_difference' })
@Index('ux_reconciliation_difference', ['businessDate', 'kind', 'reference'], { unique: true })
export class ReconciliationDifference {
  @PrimaryColumn('uuid')
  id!: string;

  /** China business date (YYYY-MM-DD) of the statement, or of the check for pending payments. */
  @Column('date')
  businessDate!: string;

  @Column('text')
  kind!: string;

  /** Our payment or refund id (or the provider's reference when we do not know it). */
  @Column('text')
  reference!: string;

  @Column('text')
  resolution!: 'applied' | 'recorded';

  @Column('jsonb')
  detail!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  foundAt!: Date;
}

/** PY-3: one run of the daily statement comparison. */
@Entity({ name: 'reconciliation_run' })
export class ReconciliationRun {
  @PrimaryColumn('date')
  businessDate!: string;

  @Column('timestamptz')
  ranAt!: Date;

  @Column('int')
  statementPayments!: number;

  @Column('int')
  statementRefunds!: number;

  @Column('int')
  differences!: number;
}
