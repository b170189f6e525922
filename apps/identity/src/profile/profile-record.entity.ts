import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const RECORD_KINDS = ['work', 'professional-work', 'audit', 'continuing-education'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/**
 * A record of the basic info library (ID-11) besides education: work, professional work,
 * audit experience and continuing education. Fields are validated per kind by the DTOs.
 */
@Entity({ name: 'profile_record' })
@Index('ix_profile_record_account', ['accountId', 'kind'])
export class ProfileRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  accountId!: string;

  @Column('text')
  kind!: RecordKind;

  @Column('jsonb')
  data!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
