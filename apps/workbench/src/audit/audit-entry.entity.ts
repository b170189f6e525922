import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * WB-2: one change of a case or a task — who, when, what, with which outcome and opinion, old and
 * new values. Written in the same transaction as the change (tasks) or the projection of the
 * case event (cases); `dedupeKey` makes a retried writer a no-op.
 */
@Entity({ name: 'audit_entry' })
// One index for both reading a case's history (by its prefix) and the dedupe key: a dedupe key
// always belongs to one case, so unique per case is unique. Every index more is paid by each
// write of the case projection.
@Index('uq_audit_case_dedupe', ['domain', 'businessNo', 'dedupeKey'], { unique: true })
export class AuditEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('text')
  domain!: string;

  @Column('varchar', { length: 14 })
  businessNo!: string;

  @Column('uuid', { nullable: true })
  taskId!: string | null;

  /** `case.changed`, `task.created`, `task.claimed` … */
  @Column('text')
  action!: string;

  @Column('text', { nullable: true })
  actorId!: string | null;

  @Column('timestamptz')
  at!: Date;

  @Column('text', { nullable: true })
  outcome!: string | null;

  @Column('text', { nullable: true })
  opinion!: string | null;

  @Column('jsonb', { nullable: true })
  oldValues!: Record<string, unknown> | null;

  @Column('jsonb', { nullable: true })
  newValues!: Record<string, unknown> | null;

  @Column('text')
  dedupeKey!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  recordedAt!: Date;
}
