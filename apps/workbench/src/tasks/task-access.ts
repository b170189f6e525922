import type { Caller } from '@certhub/service-kit';

/**
 * Who may see and work on which task (docs/processes/human-tasks.md, "Authorisation"):
 * - a task assigned to a person is theirs alone (experts and teachers only ever see those);
 * - an unassigned task is visible to its candidate group: the role, and for institution tasks
 *   the institution of the caller must match;
 * - the admin (supervisor) may look at and reassign any task.
 * Anything else answers 404, the same as an unknown id.
 */
const PERSONAL_ROLES = new Set(['personal', 'certified', 'expert', 'teacher']);

export function groupRoles(caller: Caller): string[] {
  return caller.roles.filter((r) => !PERSONAL_ROLES.has(r));
}

export function isSupervisor(caller: Caller): boolean {
  return caller.accountType === 'staff' && caller.roles.includes('admin');
}

/**
 * SQL predicate: the caller is a candidate of the task's group (ignores who holds it).
 * Parameters: `$me` (uuid), `$roles` (text[]), `$inst` (uuid or null).
 */
export function candidatePredicate(alias: string, p: { roles: string; inst: string }): string {
  return `(${alias}.candidate_role = ANY(${p.roles}) AND (${alias}.candidate_institution_id IS NULL OR ${alias}.candidate_institution_id = ${p.inst}::uuid))`;
}

export interface TaskLike {
  assigneeId: string | null;
  candidateRole: string;
  candidateInstitutionId: string | null;
}

export function isCandidate(caller: Caller, task: TaskLike): boolean {
  if (!groupRoles(caller).includes(task.candidateRole)) return false;
  return task.candidateInstitutionId === null || task.candidateInstitutionId === caller.institutionId;
}

/** May the caller see this task at all? */
export function canSee(caller: Caller, task: TaskLike & { completedBy?: string | null }): boolean {
  if (isSupervisor(caller)) return true;
  if (task.assigneeId === caller.sub || task.completedBy === caller.sub) return true;
  return task.assigneeId === null && isCandidate(caller, task);
}
