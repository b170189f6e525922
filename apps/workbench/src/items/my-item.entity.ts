import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CaseItemStatus } from '@certhub/contracts';

/**
 * WB-3 my items: the latest state of every case of an applicant, projected from
 * `<domain>.case.changed.v1`. Keyed by (domain, business number), which names a case as well as
 * the domain's case id does (ADR 0006) and is what users and the history look cases up by; the highest `version` wins, so
 * duplicates and out-of-order events leave it correct.
 *
 * One owner index serves every list query of an applicant (tabs, counts, search, paging): an
 * applicant has tens of items, so filtering them by status costs nothing, while every further
 * index slows down each write of the projection.
 */
@Entity({ name: 'my_item' })
@Index('ix_my_item_owner_time', ['applicantId', 'changedAt'])
export class MyItem {
  @PrimaryColumn('text')
  domain!: string;

  @PrimaryColumn('varchar', { length: 14 })
  businessNo!: string;

  @Column('text')
  caseId!: string;

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
