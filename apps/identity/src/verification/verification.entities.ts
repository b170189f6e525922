import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { VerificationStatus } from '@certhub/contracts';

/** One change of an account's verification, recorded by the workflow's activity (idempotent by step). */
@Entity({ name: 'verification_step' })
@Index('uq_verification_step', ['workflowId', 'step'], { unique: true })
export class VerificationStep {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  accountId!: string;

  @Column('text')
  workflowId!: string;

  @Column('int')
  step!: number;

  /** Business number of the verification case (the same on every step of one workflow). */
  @Column('varchar', { length: 14, nullable: true })
  businessNo!: string | null;

  @Column('int')
  round!: number;

  @Column('text')
  status!: VerificationStatus;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('uuid', { nullable: true })
  actorId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at!: Date;
}

/** Proof material (证明材料) uploaded by the applicant for staff to verify online. */
@Entity({ name: 'verification_proof' })
@Index('ix_verification_proof_account', ['accountId'])
export class VerificationProof {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  accountId!: string;

  @Column('int')
  round!: number;

  @Column('text')
  contentType!: string;

  @Column('bytea')
  content!: Buffer;

  @CreateDateColumn({ type: 'timestamptz' })
  uploadedAt!: Date;
}

/** Sandbox verification provider: the outcome it reports, per username or as the default ('*'). */
@Entity({ name: 'sandbox_verification_outcome' })
export class SandboxVerificationOutcome {
  @PrimaryColumn('text')
  usernameKey!: string;

  @Column('text')
  outcome!: 'verified' | 'not-verifiable' | 'onsite-required';

  /** How many more calls answer "unavailable" before the outcome is given. */
  @Column('int', { default: 0 })
  unavailableTimes!: number;
}
