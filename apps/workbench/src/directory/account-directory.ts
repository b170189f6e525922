import type { EntityManager } from 'typeorm';
import type { AccountRegisteredV1, EventEnvelope, RolesChangedV1 } from '@certhub/contracts';
import { DirectoryAccount } from './directory-account.entity';

/** Roles an account has from its type until identity says otherwise. */
const DEFAULT_ROLES: Record<AccountRegisteredV1['accountType'], string[]> = {
  personal: ['personal'],
  institution: ['institution'],
  staff: ['staff'],
};

/** A registration only creates the entry: roles from a later (or earlier-delivered) roles change win. */
export async function onAccountRegistered(manager: EntityManager, event: EventEnvelope<AccountRegisteredV1>): Promise<void> {
  await manager.query(
    `INSERT INTO directory_account (account_id, account_type, roles, institution_id, changed_at) VALUES ($1, $2, $3, NULL, $4)
     ON CONFLICT (account_id) DO UPDATE SET account_type = EXCLUDED.account_type`,
    [event.data.accountId, event.data.accountType, DEFAULT_ROLES[event.data.accountType], new Date(0)],
  );
}

/** The newest roles change wins, whatever order the events arrive in. */
export async function onRolesChanged(manager: EntityManager, event: EventEnvelope<RolesChangedV1>): Promise<void> {
  const type = event.data.roles.includes('institution') ? 'institution' : event.data.roles.includes('staff') || event.data.roles.includes('admin') ? 'staff' : 'personal';
  await manager.query(
    `INSERT INTO directory_account (account_id, account_type, roles, institution_id, changed_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id) DO UPDATE SET roles = EXCLUDED.roles, institution_id = EXCLUDED.institution_id, changed_at = EXCLUDED.changed_at
     WHERE directory_account.changed_at <= EXCLUDED.changed_at`,
    [event.data.accountId, type, event.data.roles, event.data.institutionId, new Date(event.occurredAt)],
  );
}

/** Expert and teacher tasks go to a person with that role; other tasks to a member of the candidate group. */
export function mayHold(account: DirectoryAccount, task: { candidateRole: string; candidateInstitutionId: string | null }): boolean {
  if (!account.roles.includes(task.candidateRole)) return false;
  if (task.candidateRole === 'institution') return account.accountType === 'institution' && account.institutionId === task.candidateInstitutionId;
  return task.candidateInstitutionId === null || account.institutionId === task.candidateInstitutionId;
}
