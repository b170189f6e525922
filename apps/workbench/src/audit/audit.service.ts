import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Caller } from '@certhub/service-kit';
import { WorkbenchErrors } from '../workbench.errors';

const DOMAIN = /^[a-z][a-z-]{0,31}$/;
const BUSINESS_NO = /^[0-9]{14}$/;
/** A case's history is short; this only bounds a runaway one. */
const MAX_ENTRIES = 5000;

interface AuditRow {
  at: Date;
  action: string;
  actor_id: string | null;
  outcome: string | null;
  opinion: string | null;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  task_id: string | null;
}

/**
 * WB-2 the history of a case: every case change and task change, oldest first. Readable by the
 * association's staff, the applicant, an institution that had a task of the case, and anyone who
 * held or completed one of its tasks; everyone else gets the same 404 as for an unknown case.
 */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async history(caller: Caller, domain: string, businessNo: string) {
    if (!DOMAIN.test(domain) || !BUSINESS_NO.test(businessNo)) throw notFound();
    if (!(await this.mayRead(caller, domain, businessNo))) throw notFound();
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT at, action, actor_id, outcome, opinion, old_values, new_values, task_id FROM audit_entry
       WHERE domain = $1 AND business_no = $2 ORDER BY at, id LIMIT ${MAX_ENTRIES}`,
      [domain, businessNo],
    );
    if (rows.length === 0) throw notFound();
    return {
      domain,
      businessNo,
      entries: rows.map((r) => ({
        at: r.at.toISOString(),
        action: r.action,
        actorId: r.actor_id,
        outcome: r.outcome,
        opinion: r.opinion,
        oldValues: r.old_values,
        newValues: r.new_values,
        taskId: r.task_id,
      })),
    };
  }

  async mayRead(caller: Caller, domain: string, businessNo: string): Promise<boolean> {
    if (caller.accountType === 'staff') return true;
    const institutionId = caller.accountType === 'institution' ? caller.institutionId : null;
    const rows: Array<{ allowed: boolean }> = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM my_item m WHERE m.domain = $1 AND m.business_no = $2 AND m.applicant_id = $3)
           OR EXISTS (SELECT 1 FROM task t WHERE t.domain = $1 AND t.business_no = $2
                        AND (t.applicant_id = $3 OR t.assignee_id = $3 OR t.completed_by = $3
                             OR ($4::uuid IS NOT NULL AND t.candidate_institution_id = $4::uuid))) AS allowed`,
      [domain, businessNo, caller.sub, institutionId],
    );
    return rows[0]?.allowed === true;
  }
}

function notFound() {
  return WorkbenchErrors.error('WORKBENCH_CASE_NOT_FOUND', { field: 'businessNo' });
}
