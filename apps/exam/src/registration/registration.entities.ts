import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { InvoiceType } from '@certhub/contracts';

/**
 * `draft`: steps editable (报名中); `ordered`: an unpaid order holds the seats (待支付);
 * `paid`: registered (已报考); `refunding` / `refunded`: the refund (PY-4) — no longer active, so
 * the person may register again (EX-11).
 */
export type RegistrationStatus = 'draft' | 'ordered' | 'paid' | 'refunding' | 'refunded';

/** EX-4 data the candidate maintains (no document number: that stays with identity). */
export interface RegistrationInfo {
  nationality: string;
  ethnicity: string;
  residenceCity: string;
  education: string;
  workUnit: string | null;
  address: string;
  email: string;
  phone: string;
  /** From the identity service at the time of the info step (derived, not editable here). */
  realName: string;
  idType: string;
  gender: string | null;
  birthDate: string | null;
}

/** A candidate's registration for one exam period (EX-2 … EX-11). */
@Entity({ name: 'registration' })
@Index('uq_registration_active', ['periodId', 'candidateId'], { unique: true, where: '"active"' })
@Index('ix_registration_candidate', ['candidateId'])
@Index('uq_registration_business_no', ['businessNo'], { unique: true })
export class Registration {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  periodId!: string;

  @Column('uuid')
  candidateId!: string;

  @Column('varchar', { length: 14 })
  businessNo!: string;

  @Column('text')
  status!: RegistrationStatus;

  /** One active registration per person per period (ST-1); false once refunding. */
  @Column('boolean')
  active!: boolean;

  @Column('timestamptz')
  noticeAcceptedAt!: Date;

  @Column('jsonb', { nullable: true })
  info!: RegistrationInfo | null;

  @Column('text', { nullable: true })
  invoiceType!: InvoiceType | null;

  @Column('text', { nullable: true })
  invoiceTitle!: string | null;

  @Column('text', { nullable: true })
  invoiceTaxId!: string | null;

  @Column('uuid', { array: true, nullable: true })
  offeringIds!: string[] | null;

  @Column('text', { nullable: true })
  cityCode!: string | null;

  /** Version of the last `exam.case.changed.v1` of this registration (strictly increasing). */
  @Column('int', { default: 0 })
  caseVersion!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** Accounts whose ID photo identity accepted (PH-3), projected from `identity.photo.accepted.v1`. */
@Entity({ name: 'accepted_photo' })
export class AcceptedPhoto {
  @PrimaryColumn('uuid')
  accountId!: string;

  @Column('timestamptz')
  acceptedAt!: Date;
}
