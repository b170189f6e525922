import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CaseItemStatus } from '@certhub/contracts';

/**
 * WB-3 my items: the latest state of every case of an applicant, projected from
 * `<domain>.case.changed.v1`. Keyed by (domain, case id); the highest `version` wins, so
 * duplicates and out-of-order events leave it correct.
 */
@Entity({ name: 'my_item' })
@Index('ix_my_item_owner_time', ['applicantId', 'changedAt'])
@Index('ix_my_item_owner_status_time', ['applicantId', 'status', 'changedAt'])
@Index('uq_my_item_business_no', ['domain', 'businessNo'], { unique: true })
export class MyItem {
  @PrimaryColumn('text')
  domain!: string;

  @PrimaryColumn('text')
  caseId!: string;

  @Column('varchar', { length: 14 })
  businessNo!: string;

  @Column('text')
  caseType!: string;

  @Column('text')
  itemName!: string;

  @Column('text')
  itemNameEn!: string;

  @Column('uuid')
  applicantId!: string;

  @Column('uuid', { nullable: true })
  institutionId!: string | null;

  @Column('text')
  stage!: string;

  @Column('text')
  stageName!: string;

  @Column('text')
  stageNameEn!: string;

  @Column('text')
  status!: CaseItemStatus;

  @Column('text', { nullable: true })
  result!: string | null;

  @Column('int')
  version!: number;

  @Column('timestamptz')
  changedAt!: Date;

  @Column('timestamptz', { nullable: true })
  submittedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  dueAt!: Date | null;

  @Column('boolean', { default: false })
  clockPaused!: boolean;

  @Column('text', { nullable: true })
  workflowId!: string | null;

  @Column('text')
  link!: string;
}
