import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const SMS_PURPOSES = ['register', 'reset-password', 'change-phone', 'recover-account'] as const;
export type SmsPurpose = (typeof SMS_PURPOSES)[number];

/**
 * The last code sent to a phone. One row per phone: the primary key makes "one code per phone
 * per 2 minutes" a single atomic upsert; the code itself is stored hashed.
 */
@Entity({ name: 'sms_code' })
export class SmsCode {
  @PrimaryColumn('text')
  phone!: string;

  @Column('text')
  purpose!: SmsPurpose;

  @Column('text')
  codeHash!: string;

  @Column('timestamptz')
  sentAt!: Date;

  @Column('timestamptz')
  expiresAt!: Date;

  @Column('int', { default: 0 })
  failedAttempts!: number;

  @Column('timestamptz', { nullable: true })
  consumedAt!: Date | null;
}

/** Messages "sent" by the sandbox SMS provider, readable through the sandbox endpoint. */
@Entity({ name: 'sandbox_sms' })
@Index('ix_sandbox_sms_phone', ['phone', 'sentAt'])
export class SandboxSms {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  phone!: string;

  @Column('text')
  text!: string;

  @Column('text')
  purpose!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  sentAt!: Date;
}
