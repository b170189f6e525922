import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { TaskStatus } from '@certhub/contracts';
import type { TaskOutcomeSpec, TaskPriority } from '@certhub/human-tasks';

/**
 * A human step of a case workflow (WB-1). Created by the workflow through the createTask activity
 * (idempotent by `taskKey`), completed here, which sends the workflow its Update.
 */
@Entity({ name: 'task' })
@Index('uq_task_key', ['taskKey'], { unique: true })
// Inbox pages: a person's claimed/assigned tasks, and a group's unassigned tasks, by due date.
// The id completes the sort key (due date, id), so a page is an ordered index walk, not a sort.
@Index('ix_task_assignee_open', ['assigneeId', 'dueAt', 'id'], { where: `"status" = 'open'` })
@Index('ix_task_group_open', ['candidateRole', 'candidateInstitutionId', 'dueAt', 'id'], { where: `"status" = 'open' AND "assignee_id" IS NULL` })
@Index('ix_task_case', ['domain', 'businessNo'])
export class Task {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  taskKey!: string;

  @Column('text')
  taskType!: string;

  @Column('text')
  titleZh!: string;

  @Column('text')
  titleEn!: string;

  @Column('text')
  domain!: string;

  @Column('text')
  caseType!: string;

  @Column('text')
  caseId!: string;

  @Column('varchar', { length: 14 })
  businessNo!: string;

  @Column('uuid', { nullable: true })
  applicantId!: string | null;

  @Column('text')
  itemName!: string;

  @Column('text')
  workflowId!: string;

  @Column('text')
  stage!: string;

  @Column('int')
  round!: number;

  @Column('text')
  candidateRole!: string;

  @Column('uuid', { nullable: true })
  candidateInstitutionId!: string | null;

  @Column('uuid', { nullable: true })
  assigneeId!: string | null;

  @Column('text', { default: 'normal' })
  priority!: TaskPriority;

  @Column('jsonb')
  outcomes!: TaskOutcomeSpec[];

  @Column('jsonb')
  context!: Record<string, unknown>;

  @Column('text', { default: 'open' })
  status!: TaskStatus;

  @Column('timestamptz')
  dueAt!: Date;

  @Column('boolean', { default: false })
  dueProvisional!: boolean;

  @Column('int')
  dueInWorkingDays!: number;

  @Column('timestamptz', { nullable: true })
  escalateAt!: Date | null;

  @Column('text', { nullable: true })
  escalationRole!: string | null;

  @Column('int', { nullable: true })
  escalationWorkingDays!: number | null;

  @Column('timestamptz', { nullable: true })
  remindedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  escalatedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  claimedAt!: Date | null;

  @Column('text', { nullable: true })
  outcome!: string | null;

  @Column('text', { nullable: true })
  opinion!: string | null;

  @Column('jsonb', { nullable: true })
  completionData!: Record<string, unknown> | null;

  @Column('uuid', { nullable: true })
  completedBy!: string | null;

  /** Request id of the completion that closed the task: a retry with it answers the same. */
  @Column('text', { nullable: true })
  completionRequestId!: string | null;

  @Column('timestamptz', { nullable: true })
  completedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}
