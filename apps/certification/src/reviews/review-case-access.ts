import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import type { Caller } from '@certhub/service-kit';
import type { ReviewCaseRow } from './review-case-event';

/**
 * Who may read a review case (its form, history and the files its form names): the applicant,
 * the association (staff, admins), the users of an institution it is routed to, and an expert
 * assigned to it. Everyone else is told it does not exist.
 */
@Injectable()
export class ReviewCaseAccess {
  constructor(private readonly dataSource: DataSource) {}

  async mayRead(row: Pick<ReviewCaseRow, 'id' | 'kind' | 'applicant_id' | 'institution_id' | 'target_institution_id'>, caller: Caller): Promise<boolean> {
    if (row.applicant_id === caller.sub) return true;
    if (caller.accountType === 'staff' && (caller.roles.includes('staff') || caller.roles.includes('admin'))) return true;
    if (caller.accountType === 'institution' && caller.institutionId !== null && (caller.institutionId === row.institution_id || caller.institutionId === row.target_institution_id)) {
      // An institution sees another institution's applicant's appeal or complaint only when it is the applicant itself.
      return row.kind !== 'appeal' && row.kind !== 'complaint';
    }
    if (caller.roles.includes('expert')) {
      const [assigned] = await sqlRows<{ id: string }>(this.dataSource, `SELECT id FROM review_case_history WHERE case_id = $1 AND details->>'expertId' = $2 LIMIT 1`, [row.id, caller.sub]);
      return assigned !== undefined;
    }
    return false;
  }
}
