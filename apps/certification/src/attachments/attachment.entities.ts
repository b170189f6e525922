import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A file a person uploaded to put on a case (附件), e.g. the transfer's reason file (转会理由文件):
 * JPEG, PNG or PDF, checked by content. Stored as uploaded; served only to the uploader and to
 * whoever may read a case that references it. Never logged. An upload no case's form names is
 * deleted `ATTACHMENT_UNUSED_DAYS` after it was uploaded (ADR 0021).
 */
@Entity({ name: 'attachment' })
// A replayed upload (same X-Request-Id of the same person) gets the same file back.
@Index('ux_attachment_request', ['ownerId', 'requestId'], { unique: true })
@Index('ix_attachment_owner', ['ownerId', 'uploadedAt'])
// The purge of uploads no form named walks the oldest first.
@Index('ix_attachment_uploaded', ['uploadedAt'])
export class Attachment {
  @PrimaryColumn('uuid')
  id!: string;

  /** The uploader's account. */
  @Column('uuid')
  ownerId!: string;

  @Column('text')
  contentType!: string;

  @Column('bytea')
  content!: Buffer;

  @Column('int')
  bytes!: number;

  /** Hex SHA-256 of the content (reviewers see when the same file comes again). */
  @Column('text')
  sha256!: string;

  @Column('text')
  requestId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  uploadedAt!: Date;
}

/**
 * That a review case's form named an attachment (in which field, from which round): the readers
 * of the case may read the file. Kept when a resubmit names another file, so every round's
 * evidence stays readable (WB-2).
 */
@Entity({ name: 'review_case_attachment' })
@Index('ix_review_case_attachment_attachment', ['attachmentId'])
export class ReviewCaseAttachment {
  @PrimaryColumn('uuid')
  caseId!: string;

  @PrimaryColumn('uuid')
  attachmentId!: string;

  /** The form field that named it, e.g. `reasonFileId`. */
  @Column('text')
  field!: string;

  /** The round whose form first named it. */
  @Column('int')
  round!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
