import { Column, CreateDateColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The columns every case history of this service has (WB-2): who did what, when, from which
 * status to which, at which stage and round, with the opinion and the details of the step. Each
 * case table has its own history table (`application_history`, `review_case_history`) adding the
 * case's id.
 */
export abstract class CaseHistoryEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  /** `submitted`, `returned`, `resubmitted`, `decided`, `<stage>:<outcome>` … */
  @Column('text')
  action!: string;

  @Column('uuid', { nullable: true })
  actorId!: string | null;

  @Column('text', { nullable: true })
  fromStatus!: string | null;

  @Column('text')
  toStatus!: string;

  @Column('text')
  stage!: string;

  @Column('text', { nullable: true })
  opinion!: string | null;

  /** Rectification round the entry belongs to. */
  @Column('int', { default: 1 })
  round!: number;

  /** The workflow's step number (null for the applicant's own actions): a retried activity writes once. */
  @Column('int', { nullable: true })
  step!: number | null;

  /** The outcome, verdicts, non-conformities, the assigned expert, the fee, the effect … */
  @Column('jsonb', { nullable: true })
  details!: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at!: Date;
}
