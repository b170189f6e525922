import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An official calendar year loaded by an admin at run time (X-2: next year's arrives in November). */
@Entity({ name: 'calendar_year' })
export class CalendarYearRow {
  @PrimaryColumn('int')
  year!: number;

  @Column('jsonb')
  data!: Record<string, unknown>;

  @Column('uuid')
  loadedBy!: string;

  @UpdateDateColumn({ type: 'timestamptz' })
  loadedAt!: Date;
}
