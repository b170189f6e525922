import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The sandbox provider's side, simulated in this service with its own tables: what a real
 * provider keeps on its servers. The platform's code reads it only through PaymentProvider.
 */
@Entity({ name: 'sandbox_payment' })
@Index('ux_sandbox_payment_trade_no', ['tradeNo'], { unique: true })
export class SandboxPayment {
  /** The merchant's payment id (our payment id). */
  @PrimaryColumn('uuid')
  id!: string;

  /** The provider's own trade number. */
  @Column('text')
  tradeNo!: string;

  @Column('int')
  amountFen!: number;

  @Column('text')
  description!: string;

  @Column('text')
  status!: 'open' | 'paid' | 'closed';

  @Column('text')
  notifyUrl!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  paidAt!: Date | null;
}

@Entity({ name: 'sandbox_refund' })
export class SandboxRefund {
  /** The merchant's refund id (our refund id): a repeated request is the same refund. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  paymentId!: string;

  @Column('int')
  amountFen!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  refundedAt!: Date;
}

/**
 * Notifications the sandbox owes the platform: durable, so a crash loses none. Retried with
 * back-off until the platform answers 2xx.
 */
@Entity({ name: 'sandbox_notification' })
@Index('ix_sandbox_notification_due', ['dueAt'], { where: 'delivered_at IS NULL' })
export class SandboxNotification {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  paymentId!: string;

  @Column('text')
  body!: string;

  @Column('text')
  notifyUrl!: string;

  @Column('timestamptz')
  dueAt!: Date;

  @Column('int', { default: 0 })
  attempts!: number;

  @Column('timestamptz', { nullable: true })
  deliveredAt!: Date | null;

  @Column('text', { nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** Fault switches of the sandbox (tests and demos): e.g. fail the next N refunds. */
@Entity({ name: 'sandbox_switch' })
export class SandboxSwitch {
  @PrimaryColumn('text')
  name!: string;

  @Column('int')
  remaining!: number;
}
