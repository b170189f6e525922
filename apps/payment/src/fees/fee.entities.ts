import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FeeInvoiceRequest, FeePayerKind, FeeStatus } from '@certhub/workflows-payment';

/**
 * A fee another domain's case asks a payer to pay (ADR 0012), created by the workflow
 * `fee-payment:<id>`: pending → paid (online or by an accepted voucher) | expired | cancelled.
 * Its online payments are rows of `payment` (fee_id), so notifications, status queries and the
 * daily statement treat them like orders' payments.
 */
@Entity({ name: 'payment_fee' })
@Index('ix_payment_fee_payer', ['payerAccountId', 'createdAt'])
@Index('ix_payment_fee_institution', ['payerInstitutionId', 'createdAt'], { where: 'payer_institution_id IS NOT NULL' })
@Check('ck_payment_fee_amount', 'amount_fen > 0')
export class PaymentFee {
  @PrimaryColumn('uuid')
  id!: string;

  /** The parent's case: domain, catalogue case type, its id and business number (not personal). */
  @Column('text')
  caseDomain!: string;

  @Column('text')
  caseType!: string;

  @Column('text')
  caseId!: string;

  @Column('text')
  businessNo!: string;

  @Column('text')
  itemName!: string;

  @Column('text')
  itemNameEn!: string;

  @Column('text')
  payerKind!: FeePayerKind;

  @Column('uuid')
  payerAccountId!: string;

  @Column('uuid', { nullable: true })
  payerInstitutionId!: string | null;

  /** Integer fen. */
  @Column('int')
  amountFen!: number;

  @Column('text')
  purpose!: string;

  @Column('jsonb', { nullable: true })
  invoiceRequest!: FeeInvoiceRequest | null;

  @Column('text')
  status!: FeeStatus;

  @Column('timestamptz')
  dueAt!: Date;

  @Column('text', { nullable: true })
  paidVia!: 'online' | 'voucher' | null;

  @Column('uuid', { nullable: true })
  paidPaymentId!: string | null;

  @Column('uuid', { nullable: true })
  paidVoucherId!: string | null;

  @Column('timestamptz', { nullable: true })
  paidAt!: Date | null;

  /** When it left pending. */
  @Column('timestamptz', { nullable: true })
  closedAt!: Date | null;

  @Column('text', { nullable: true })
  cancelReason!: string | null;

  @Column('text', { nullable: true })
  cancelledBy!: string | null;

  @Column('text')
  workflowId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

export type VoucherStatus = 'submitted' | 'accepted' | 'rejected' | 'withdrawn';

/**
 * An offline payment voucher (缴费凭证) the payer uploaded: image or PDF, checked by staff in the
 * workbench. One per round; at most one waiting for staff per fee. Never logged.
 */
@Entity({ name: 'payment_fee_voucher' })
@Index('ux_fee_voucher_round', ['feeId', 'round'], { unique: true })
@Index('ux_fee_voucher_request', ['feeId', 'requestId'], { unique: true })
@Index('ux_fee_voucher_submitted', ['feeId'], { unique: true, where: `status = 'submitted'` })
export class FeeVoucher {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  feeId!: string;

  @Column('int')
  round!: number;

  @Column('text')
  status!: VoucherStatus;

  @Column('text')
  contentType!: string;

  @Column('bytea')
  content!: Buffer;

  @Column('int')
  bytes!: number;

  /** Hex SHA-256 of the content (staff see when the same file comes again). */
  @Column('text')
  sha256!: string;

  /** The upload's request id: a replayed upload gets the same voucher back. */
  @Column('text')
  requestId!: string;

  @Column('uuid')
  uploadedBy!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  uploadedAt!: Date;

  @Column('timestamptz', { nullable: true })
  decidedAt!: Date | null;

  @Column('text', { nullable: true })
  decidedBy!: string | null;

  @Column('text', { nullable: true })
  opinion!: string | null;
}
