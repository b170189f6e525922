import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Who may be handed a task: account type, roles and institution of every account, projected
 * from identity's `account.registered` and `account.roles-changed` events (no personal data).
 */
@Entity({ name: 'directory_account' })
export class DirectoryAccount {
  @PrimaryColumn('uuid')
  accountId!: string;

  @Column('text')
  accountType!: 'personal' | 'institution' | 'staff';

  @Column('text', { array: true })
  roles!: string[];

  @Column('uuid', { nullable: true })
  institutionId!: string | null;

  /** Time of the event the roles come from: an older event never overwrites a newer one. */
  @Column('timestamptz')
  changedAt!: Date;
}
