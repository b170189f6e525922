import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A graphic captcha: single use, short-lived; the answer is kept only for checking. */
@Entity({ name: 'captcha' })
export class Captcha {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  answer!: string;

  @Column('timestamptz')
  expiresAt!: Date;

  @Column('timestamptz', { nullable: true })
  usedAt!: Date | null;
}
