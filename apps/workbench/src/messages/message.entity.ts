import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type MessageCategory = 'task-assigned' | 'task-reminder' | 'task-escalated' | 'case-submitted' | 'case-action-required' | 'case-returned' | 'case-decided' | 'case-withdrawn' | 'case-expired';

/** WB-4 a personal message (消息), created from an event or a task change; links to its case or task. */
@Entity({ name: 'message' })
@Index('ix_message_recipient', ['recipientId', 'createdAt'], { where: '"cleared_at" IS NULL' })
@Index('ix_message_unread', ['recipientId'], { where: '"cleared_at" IS NULL AND "read_at" IS NULL' })
@Index('uq_message_dedupe', ['dedupeKey'], { unique: true })
export class Message {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  recipientId!: string;

  @Column('text')
  category!: MessageCategory;

  @Column('text')
  titleZh!: string;

  @Column('text')
  titleEn!: string;

  @Column('text')
  bodyZh!: string;

  @Column('text')
  bodyEn!: string;

  /** `case` or `task`, and the API path of what the message is about. */
  @Column('text')
  linkType!: 'case' | 'task' | 'fee';

  @Column('text')
  link!: string;

  @Column('text', { nullable: true })
  domain!: string | null;

  @Column('varchar', { length: 14, nullable: true })
  businessNo!: string | null;

  @Column('uuid', { nullable: true })
  taskId!: string | null;

  @Column('text')
  dedupeKey!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  readAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  clearedAt!: Date | null;
}

export type NoticeAudience = 'all' | 'personal' | 'institution' | 'staff';

/** WB-4 a notice (通知) broadcast by an admin to an audience. */
@Entity({ name: 'notice' })
@Index('ix_notice_time', ['publishedAt'])
export class Notice {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  audience!: NoticeAudience;

  @Column('text')
  titleZh!: string;

  @Column('text')
  titleEn!: string;

  @Column('text')
  bodyZh!: string;

  @Column('text')
  bodyEn!: string;

  @Column('uuid')
  publishedBy!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  publishedAt!: Date;
}

/** One reader's state of one notice (read / cleared). */
@Entity({ name: 'notice_receipt' })
export class NoticeReceipt {
  @PrimaryColumn('uuid')
  noticeId!: string;

  @PrimaryColumn('uuid')
  accountId!: string;

  @Column('timestamptz', { nullable: true })
  readAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  clearedAt!: Date | null;
}

/** "Mark all read" and "clear all" of notices as one watermark per reader instead of a row per notice. */
@Entity({ name: 'notice_cursor' })
export class NoticeCursor {
  @PrimaryColumn('uuid')
  accountId!: string;

  @Column('timestamptz', { nullable: true })
  readBefore!: Date | null;

  @Column('timestamptz', { nullable: true })
  clearedBefore!: Date | null;
}
