import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * The account's ID photo (PH-4): the original upload is kept only until the processed photo is
 * accepted; from then on only the 295×413 processed photo is stored.
 */
@Entity({ name: 'photo' })
export class Photo {
  @PrimaryColumn('uuid')
  accountId!: string;

  @Column('text')
  status!: 'accepted' | 'rejected';

  @Column('bytea', { nullable: true })
  original!: Buffer | null;

  @Column('bytea', { nullable: true })
  processed!: Buffer | null;

  @Column('jsonb')
  checks!: unknown[];

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
