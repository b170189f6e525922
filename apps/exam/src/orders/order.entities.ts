import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Mirrors the payment service's order (the authority): `pending → paid | expired | cancelled`, `paid → refunding → refunded`. */
export type OrderStatus = 'pending' | 'paid' | 'expired' | 'cancelled' | 'refunding' | 'refunded';

/** The exam side of an order: which seats it holds and for how long (EX-8, ST-1 … ST-4). */
@Entity({ name: 'exam_order' })
@Index('uq_exam_order_live', ['registrationId'], { unique: true, where: `"status" IN ('pending', 'paid')` })
@Index('ix_exam_order_registration', ['registrationId'])
export class ExamOrder {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  registrationId!: string;

  @Column('uuid')
  periodId!: string;

  @Column('uuid')
  candidateId!: string;

  @Column('text')
  cityCode!: string;

  @Column('int')
  amountFen!: number;

  @Column('text')
  status!: OrderStatus;

  @Column('timestamptz')
  placedAt!: Date;

  @Column('timestamptz')
  expiresAt!: Date;

  @Column('timestamptz', { nullable: true })
  paidAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  closedAt!: Date | null;
}

/** `held` while unpaid, `paid` once paid, `released` after expiry, cancel or refund. */
export type SeatState = 'held' | 'paid' | 'released';

/** One subject of an order and the seat it holds (pool of the order's city). */
@Entity({ name: 'order_line' })
@Index('ix_order_line_order', ['orderId'])
export class OrderLine {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  orderId!: string;

  @Column('uuid')
  offeringId!: string;

  @Column('uuid')
  seatPoolId!: string;

  @Column('text')
  code!: string;

  @Column('text')
  subject!: string;

  @Column('text')
  sessionCode!: string;

  @Column('int')
  feeFen!: number;

  @Column('text')
  seatState!: SeatState;
}

/** The one refund of a person in a period (PY-4: 每人只有一次退费机会). */
@Entity({ name: 'refund_request' })
@Index('uq_refund_request_person', ['periodId', 'candidateId'], { unique: true })
export class RefundRequest {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  periodId!: string;

  @Column('uuid')
  candidateId!: string;

  @Column('uuid')
  registrationId!: string;

  @Column('uuid')
  orderId!: string;

  @Column('timestamptz')
  requestedAt!: Date;
}
