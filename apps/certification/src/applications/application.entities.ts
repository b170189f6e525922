import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CaseHistoryEntry } from '../cases/case-history-entry';
import type { RecordKind } from './application-catalogue';

/**
 * Where an application is in its life:
 * - `draft`: being filled in by the applicant (暂存草稿, CE-2), editable;
 * - `submitted`: in the process (CE-3); not editable;
 * - `returned`: a reviewer sent it back for rectification (退回整改); editable until resubmitted;
 * - `approved` / `rejected`: decided; `withdrawn`: given up by the applicant.
 */
export const APPLICATION_STATUSES = ['draft', 'submitted', 'returned', 'approved', 'rejected', 'withdrawn'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** Statuses of an application that is not finished: one per type and field per person. */
export const OPEN_STATUSES: readonly ApplicationStatus[] = ['draft', 'submitted', 'returned'];

/** Only the applicant edits, and only a draft or a case returned for rectification. */
export function isEditable(status: ApplicationStatus): boolean {
  return status === 'draft' || status === 'returned';
}

/** A personnel registration application (人员注册申请, CE-1 … CE-3). */
@Entity({ name: 'application' })
@Index('uq_application_business_no', ['businessNo'], { unique: true })
@Index('ix_application_applicant', ['applicantId', 'createdAt'])
@Index('uq_application_open_per_field', ['applicantId', 'applicationType', 'field'], {
  unique: true,
  where: `"status" IN ('draft', 'submitted', 'returned') AND "field" IS NOT NULL`,
})
// The workflow starter's queue: submitted applications whose workflow was not yet started or told of the resubmit.
@Index('ix_application_workflow_pending', ['submittedAt'], { where: `"status" = 'submitted' AND "workflow_round" < "round"` })
// The starter's other queue: returned applications withdrawn by the applicant whose workflow was not yet told.
@Index('ix_application_withdraw_pending', ['updatedAt'], { where: `"status" = 'withdrawn' AND "workflow_round" > 0 AND "workflow_round" < "round"` })
@Index('uq_application_create_key', ['applicantId', 'createKey'], { unique: true, where: '"create_key" IS NOT NULL' })
@Check('ck_application_status', `"status" IN ('draft', 'submitted', 'returned', 'approved', 'rejected', 'withdrawn')`)
export class Application {
  @PrimaryColumn('uuid')
  id!: string;

  /** The applicant's account (personal user). */
  @Column('uuid')
  applicantId!: string;

  @Column('varchar', { length: 14 })
  businessNo!: string;

  @Column('text')
  status!: ApplicationStatus;

  /** Machine code of the current stage (业务环节), e.g. `draft`, `institution-review`. */
  @Column('text')
  stage!: string;

  /** 申请类型, e.g. `system-auditor` (体系认证审核员). */
  @Column('text', { nullable: true })
  applicationType!: string | null;

  /** `trainee` / `auditor` / `senior` (实习 / 审核员 / 高级审核员). */
  @Column('text', { nullable: true })
  grade!: string | null;

  /** 专业领域, e.g. `QMS`. */
  @Column('text', { nullable: true })
  field!: string | null;

  /** `new` / `upgrade` / `field-conversion`. */
  @Column('text', { nullable: true })
  kind!: string | null;

  /** 申请专业 (e.g. QMS建工). */
  @Column('text', { nullable: true })
  specialty!: string | null;

  /** 是否缩小专业范围. */
  @Column('boolean', { nullable: true })
  narrowScope!: boolean | null;

  /** `person` / `institution` (个人缴费 / 机构缴费). */
  @Column('text', { nullable: true })
  paymentBy!: string | null;

  /** The applicant's practising institution (a certification body of identity's directory). */
  @Column('uuid', { nullable: true })
  institutionId!: string | null;

  /** Its name when it was chosen (shown without asking identity again). */
  @Column('text', { nullable: true })
  institutionName!: string | null;

  /** The applicant's name as identity had it at the (last) submit: the certificate's holder name (CE-9). */
  @Column('text', { nullable: true })
  applicantName!: string | null;

  /** The client's Idempotency-Key of the create request: a retried create returns the same draft. */
  @Column('text', { nullable: true })
  createKey!: string | null;

  /** Version of the last `certification.case.changed.v1` of this application (strictly increasing). */
  @Column('int', { default: 0 })
  caseVersion!: number;

  @Column('timestamptz', { nullable: true })
  submittedAt!: Date | null;

  /** Rectification round (退回整改 rounds): 1 at the first submit, +1 with every return. */
  @Column('int', { default: 1 })
  round!: number;

  /** The stage that returned the case; the resubmitted case goes back to it. */
  @Column('text', { nullable: true })
  returnedFrom!: string | null;

  /**
   * The round the workflow has been told about (0: not started; 1: started; n: resubmit n
   * signalled). Lower than `round` while submitted: the starter starts or signals it.
   */
  @Column('int', { default: 0 })
  workflowRound!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * One record of an application: education, work, professional work, audit or continuing
 * education, added directly or copied from the basic info library (then `libraryRecordId` names
 * the library's record; the copy does not follow later edits of the library).
 */
@Entity({ name: 'application_record' })
@Index('ix_application_record_application', ['applicationId', 'kind', 'position'])
@Index('uq_application_record_library', ['applicationId', 'libraryRecordId'], { unique: true, where: '"library_record_id" IS NOT NULL' })
export class ApplicationRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  applicationId!: string;

  @ManyToOne(() => Application, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: Application;

  @Column('text')
  kind!: RecordKind;

  /** Order within the kind (as the applicant added them). */
  @Column('int')
  position!: number;

  /** Every field of the kind (see `RECORD_FIELDS`), null when not filled in. */
  @Column('jsonb')
  data!: Record<string, string | number | null>;

  @Column('uuid', { nullable: true })
  libraryRecordId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** The case history of an application (WB-2): who did what, when, from which status to which. */
@Entity({ name: 'application_history' })
@Index('ix_application_history_application', ['applicationId', 'id'])
@Index('uq_application_history_step', ['applicationId', 'step'], { unique: true, where: '"step" IS NOT NULL' })
export class ApplicationHistory extends CaseHistoryEntry {
  @Column('uuid')
  applicationId!: string;

  @ManyToOne(() => Application, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: Application;
}

export const CERTIFICATE_STATUSES = ['valid', 'suspended', 'revoked', 'cancelled', 'expired'] as const;

/** A registration certificate (注册证书) issued when an application is approved (CE-3); valid 3 years. */
@Entity({ name: 'certificate' })
@Index('uq_certificate_no', ['certificateNo'], { unique: true })
@Index('uq_certificate_application', ['applicationId'], { unique: true })
@Index('ix_certificate_person', ['personId', 'issuedAt'])
@Check('ck_certificate_status', `"status" IN ('valid', 'suspended', 'revoked', 'cancelled', 'expired')`)
export class Certificate {
  @PrimaryColumn('uuid')
  id!: string;

  /** e.g. `CCAA-QMS-2026-000001`. */
  @Column('text')
  certificateNo!: string;

  @Column('uuid')
  applicationId!: string;

  /** The certified person's account. */
  @Column('uuid')
  personId!: string;

  @Column('text')
  applicationType!: string;

  @Column('text')
  grade!: string;

  @Column('text')
  field!: string;

  @Column('uuid', { nullable: true })
  institutionId!: string | null;

  @Column('timestamptz')
  issuedAt!: Date;

  @Column('timestamptz')
  validUntil!: Date;

  @Column('text')
  status!: (typeof CERTIFICATE_STATUSES)[number];

  /** The practising institution's name (shown by the public query); follows a transfer. */
  @Column('text', { nullable: true })
  institutionName!: string | null;

  /** The holder's name as identity had it at the submit (CE-9: the public query matches number and name). */
  @Column('text', { nullable: true })
  holderName!: string | null;

  /** The year of the last annual confirmation (CE-4) and when it was approved. */
  @Column('int', { nullable: true })
  confirmedYear!: number | null;

  @Column('timestamptz', { nullable: true })
  lastConfirmedAt!: Date | null;

  /** When the certificate was cancelled at the holder's request (CE-8). */
  @Column('timestamptz', { nullable: true })
  cancelledAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
