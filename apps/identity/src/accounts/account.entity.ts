import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { AccountType, VerificationStatus } from '@certhub/contracts';
import { Education } from './education.entity';

export const ID_TYPES = ['resident-id', 'military-officer', 'passport', 'hk-macau-permit', 'taiwan-permit'] as const;
export type IdType = (typeof ID_TYPES)[number];

export const GRANTABLE_ROLES = ['expert', 'teacher', 'staff'] as const;
export type Role = 'personal' | 'certified' | 'institution' | 'expert' | 'teacher' | 'staff' | 'admin';

@Entity({ name: 'account' })
@Index('uq_account_document', ['idType', 'idNumber'], { unique: true })
@Index('uq_account_username', ['usernameKey'], { unique: true })
@Index('uq_account_phone', ['phone'], { unique: true })
@Index('uq_account_email', ['emailKey'], { unique: true })
export class Account {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  username!: string;

  /** Lower-cased username: usernames are unique regardless of case. */
  @Column('text')
  usernameKey!: string;

  @Column('text')
  passwordHash!: string;

  @Column('text')
  accountType!: AccountType;

  @Column('text', { array: true })
  roles!: Role[];

  /** A personal account's practising institution (moved by an approved transfer, CE-5); an institution account's own. */
  @Column('uuid', { nullable: true })
  institutionId!: string | null;

  /**
   * When the certification service produced the certificate event (issued or cancelled) that
   * `certified` in `roles` follows: an older event handled late does not undo a newer one (ADR 0016).
   */
  @Column('timestamptz', { nullable: true })
  certifiedAsOf!: Date | null;

  /** As typed, rare characters in brackets included (ID-7). */
  @Column('text')
  realName!: string;

  @Column('text', { nullable: true })
  idType!: IdType | null;

  @Column('text', { nullable: true })
  idNumber!: string | null;

  @Column('text', { nullable: true })
  gender!: 'male' | 'female' | null;

  @Column('date', { nullable: true })
  birthDate!: string | null;

  @Column('text')
  phone!: string;

  @Column('text', { nullable: true })
  email!: string | null;

  @Column('text', { nullable: true })
  emailKey!: string | null;

  @Column('text', { nullable: true })
  recoveryQuestion!: string | null;

  @Column('text', { nullable: true })
  recoveryAnswerHash!: string | null;

  @Column('text', { default: 'pending' })
  verificationStatus!: VerificationStatus;

  @Column('int', { default: 0 })
  failedLogins!: number;

  @Column('timestamptz', { nullable: true })
  lockedUntil!: Date | null;

  @OneToMany(() => Education, (e) => e.account)
  educations?: Education[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}
