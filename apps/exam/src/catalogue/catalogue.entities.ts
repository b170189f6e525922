import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An exam period (考试批次, EX-1) with its windows; imported whole by an admin. */
@Entity({ name: 'exam_period' })
@Index('uq_exam_period_code', ['code'], { unique: true })
export class ExamPeriod {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  code!: string;

  @Column('text')
  name!: string;

  @Column('timestamptz')
  registrationOpensAt!: Date;

  @Column('timestamptz')
  registrationClosesAt!: Date;

  @Column('timestamptz')
  refundOpensAt!: Date;

  @Column('timestamptz')
  refundClosesAt!: Date;

  @Column('timestamptz', { nullable: true })
  ticketPrintOpensAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  ticketPrintClosesAt!: Date | null;

  @Column('int')
  paymentTimeoutMinutes!: number;

  @Column('boolean', { default: false })
  requiresQualificationReview!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** A sitting of the period (场次): a date and time. */
@Entity({ name: 'exam_session' })
@Index('uq_exam_session_code', ['periodId', 'code'], { unique: true })
export class ExamSession {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  periodId!: string;

  @Column('text')
  code!: string;

  @Column('timestamptz')
  startsAt!: Date;

  @Column('timestamptz')
  endsAt!: Date;
}

/** A subject offered in one session, with its fee in fen. */
@Entity({ name: 'offering' })
@Index('uq_offering_code', ['periodId', 'code'], { unique: true })
@Check('ck_offering_fee', '"fee_fen" >= 0')
export class Offering {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  periodId!: string;

  @Column('uuid')
  sessionId!: string;

  @Column('text')
  code!: string;

  @Column('text')
  subject!: string;

  @Column('int')
  feeFen!: number;

  @Column('int')
  position!: number;
}

/** An exam city of the period. */
@Entity({ name: 'exam_city' })
@Index('uq_exam_city_code', ['periodId', 'code'], { unique: true })
export class ExamCity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  periodId!: string;

  @Column('text')
  code!: string;

  @Column('text')
  name!: string;

  @Column('int')
  position!: number;
}

/**
 * The seats of one offering in one city (ST-1). `held` are seats of unpaid orders, `paid` of paid
 * registrations; the check constraint is the last line of defence against overselling.
 */
@Entity({ name: 'seat_pool' })
@Index('uq_seat_pool', ['offeringId', 'cityCode'], { unique: true })
@Index('ix_seat_pool_period', ['periodId'])
@Check('ck_seat_pool_counts', '"held" >= 0 AND "paid" >= 0 AND "quota" >= 0 AND "held" + "paid" <= "quota"')
export class SeatPool {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  periodId!: string;

  @Column('uuid')
  offeringId!: string;

  @Column('text')
  cityCode!: string;

  @Column('int')
  quota!: number;

  @Column('int', { default: 0 })
  held!: number;

  @Column('int', { default: 0 })
  paid!: number;
}
