import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type InstitutionKind = 'certification' | 'training';

/** A registered certification or training body (ID-13); the searchable directory. */
@Entity({ name: 'institution' })
@Index('uq_institution_credit_code', ['creditCode'], { unique: true })
export class Institution {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** Unified social credit code (统一社会信用代码), 18 characters. */
  @Column('text')
  creditCode!: string;

  @Column('text')
  kind!: InstitutionKind;

  @Column('text', { nullable: true })
  approvalNumber!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
