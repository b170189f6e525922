import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CaseHistoryEntry } from '../cases/case-history-entry';

/**
 * A review case (CE-4 … CE-8): annual confirmation, transfer of practising institution, appeal,
 * complaint, certificate cancellation, expert application. Submitted when created (the form is
 * short and complete or refused), then the kind's chain of reviews (workflow `<kind>:<id>`):
 * - `submitted`: in a review; `returned`: back with the applicant for rectification (the form
 *   may be edited and resubmitted, or the case withdrawn);
 * - `decided` (with `result`) or `withdrawn`: finished.
 */
export const REVIEW_CASE_STATUSES = ['submitted', 'returned', 'decided', 'withdrawn'] as const;

@Entity({ name: 'review_case' })
@Index('uq_review_case_business_no', ['businessNo'], { unique: true })
@Index('ix_review_case_applicant', ['applicantId', 'createdAt'])
// One open case per kind and subject (e.g. one annual confirmation per certificate): `open_key` is cleared when it ends.
@Index('uq_review_case_open', ['openKey'], { unique: true, where: '"open_key" IS NOT NULL' })
@Index('uq_review_case_create_key', ['applicantId', 'createKey'], { unique: true, where: '"create_key" IS NOT NULL' })
// The workflow starter's queue: a submit (or resubmit) not delivered yet, or a withdraw not delivered yet.
@Index('ix_review_case_workflow_pending', ['submittedAt'], { where: `("status" = 'submitted' AND "workflow_round" < "round") OR ("status" = 'withdrawn' AND "withdraw_delivered" = false)` })
@Index('ix_review_case_institution', ['institutionId', 'createdAt'])
@Check('ck_review_case_status', `"status" IN ('submitted', 'returned', 'decided', 'withdrawn')`)
export class ReviewCase {
  @PrimaryColumn('uuid')
  id!: string;

  /** `annual-confirmation`, `institution-transfer`, `appeal`, `complaint`, `certificate-cancellation`, `expert-application`. */
  @Column('text')
  kind!: string;

  @Column('varchar', { length: 14 })
  businessNo!: string;

  /** The applicant's account (a personal user, or an institution user for appeals and complaints). */
  @Column('uuid')
  applicantId!: string;

  @Column('text')
  applicantType!: string;

  /** The institution whose users review the case (the certificate's institution; the one left by a transfer). */
  @Column('uuid', { nullable: true })
  institutionId!: string | null;

  /** The institution a transfer goes to. */
  @Column('uuid', { nullable: true })
  targetInstitutionId!: string | null;

  @Column('uuid', { nullable: true })
  certificateId!: string | null;

  /** The kind's form (answers, reasons, subject …) as submitted or last resubmitted. */
  @Column('jsonb')
  form!: Record<string, unknown>;

  @Column('text')
  status!: string;

  /** Machine code of the current step, `rectification` while returned, `finished` at the end. */
  @Column('text')
  stage!: string;

  @Column('text', { nullable: true })
  result!: string | null;

  @Column('int', { default: 1 })
  round!: number;

  @Column('text', { nullable: true })
  returnedFrom!: string | null;

  /** The round the workflow was told of (0: not started): below `round` the starter delivers. */
  @Column('int', { default: 0 })
  workflowRound!: number;

  @Column('boolean', { default: false })
  withdrawDelivered!: boolean;

  @Column('text', { nullable: true })
  openKey!: string | null;

  @Column('text', { nullable: true })
  createKey!: string | null;

  @Column('int', { default: 0 })
  caseVersion!: number;

  /** When the approved case's effect was applied (once), and what it did (certificate number, new validity …). */
  @Column('timestamptz', { nullable: true })
  effectAppliedAt!: Date | null;

  @Column('jsonb', { nullable: true })
  effectDetails!: Record<string, unknown> | null;

  @Column('timestamptz')
  submittedAt!: Date;

  @Column('timestamptz', { nullable: true })
  decidedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** Every step of a review case: who acted, in which round, with what opinion and outcome (WB-2). */
@Entity({ name: 'review_case_history' })
@Index('ix_review_case_history_case', ['caseId', 'id'])
@Index('uq_review_case_history_step', ['caseId', 'step'], { unique: true, where: '"step" IS NOT NULL' })
export class ReviewCaseHistory extends CaseHistoryEntry {
  @Column('uuid')
  caseId!: string;
}
