import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from './account.entity';

export const EDUCATION_LEVELS = ['doctorate', 'master', 'bachelor', 'college', 'secondary', 'other'] as const;
export type EducationLevel = (typeof EDUCATION_LEVELS)[number];

/** An education or degree record of an account (ID-1, ID-10); part of the basic info library. */
@Entity({ name: 'education' })
@Index('ix_education_account', ['accountId'])
export class Education {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  accountId!: string;

  @ManyToOne(() => Account, (a) => a.educations, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  @Column('text')
  school!: string;

  @Column('text')
  major!: string;

  @Column('text')
  level!: EducationLevel;

  @Column('text', { nullable: true })
  degree!: string | null;

  @Column('date')
  startDate!: string;

  @Column('date')
  endDate!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
