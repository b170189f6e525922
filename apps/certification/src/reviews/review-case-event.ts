import type { EntityManager } from 'typeorm';
import { CaseTopics, type CaseChangedV1, type CaseItemStatus, type CaseMilestone } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { sqlRows, type OutboxWriter } from '@certhub/persistence';
import type { WorkCalendar } from '@certhub/workdays';
import { REVIEW_PLANS, reviewCaseWorkflowId, type ReviewCaseKind } from '@certhub/workflows-certification';
import type { Named } from '../applications/application-catalogue';
import { deadlineFromHistory } from '../cases/case-deadline';

/** The stages (业务环节) of the review cases as my items shows them. */
export const REVIEW_STAGES: Record<string, Named> = {
  'institution-review': { zh: '机构审核', en: 'Institution review' },
  'association-approval': { zh: '协会审批', en: 'Association approval' },
  'transfer-out-review': { zh: '转出机构审核', en: 'Review by the institution left' },
  'transfer-in-review': { zh: '转入机构审核', en: 'Review by the institution joined' },
  'association-review': { zh: '协会审核', en: 'Association review' },
  'association-decision': { zh: '协会审定', en: 'Association decision' },
  'expert-assignment': { zh: '分配专家', en: 'Expert assignment' },
  'expert-evaluation': { zh: '专家评价', en: 'Expert evaluation' },
  'association-opinion': { zh: '协会意见', en: 'Association opinion' },
  'association-acceptance': { zh: '投诉受理', en: 'Acceptance' },
  handling: { zh: '投诉处理', en: 'Handling' },
  rectification: { zh: '退回整改', en: 'Returned for rectification' },
  finished: { zh: '已结束', en: 'Finished' },
};

export function reviewStageName(stage: string): Named {
  return REVIEW_STAGES[stage] ?? { zh: stage, en: stage };
}

export function reviewItemName(kind: ReviewCaseKind): Named {
  const plan = REVIEW_PLANS[kind];
  return { zh: plan.nameZh, en: plan.nameEn };
}

/** The review case as a row of `review_case` (the columns the events and views need). */
export interface ReviewCaseRow {
  id: string;
  kind: ReviewCaseKind;
  business_no: string;
  applicant_id: string;
  applicant_type: string;
  institution_id: string | null;
  target_institution_id: string | null;
  certificate_id: string | null;
  form: Record<string, unknown>;
  status: 'submitted' | 'returned' | 'decided' | 'withdrawn';
  stage: string;
  result: string | null;
  round: number;
  returned_from: string | null;
  workflow_round: number;
  withdraw_delivered: boolean;
  submitted_at: Date;
  decided_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function itemStatus(status: ReviewCaseRow['status']): CaseItemStatus {
  return status === 'submitted' || status === 'returned' ? 'active' : 'done';
}

/**
 * The case's completion deadline (service catalogue, working days) with the applicant's
 * rectification time paused; null for kinds without a deadline, once finished, while paused, or
 * when the calendar of the due year is not published yet.
 */
export async function reviewDueAt(manager: EntityManager, calendar: WorkCalendar, row: ReviewCaseRow, logger: Logger): Promise<Date | null> {
  const days = REVIEW_PLANS[row.kind].deadlineWorkingDays;
  if (days === null || row.status !== 'submitted') return null;
  const rows = await sqlRows<{ to_status: string; at: Date }>(
    manager,
    `SELECT to_status, at FROM review_case_history WHERE case_id = $1 AND to_status IN ('submitted', 'returned') ORDER BY id`,
    [row.id],
  );
  return deadlineFromHistory(calendar, days, rows, logger, 'a review case');
}

/**
 * Writes the case's `certification.case.changed.v1` to the outbox in the caller's transaction (the
 * row is locked by it), with the next version. `institutionId` names the institution whose users
 * review it now (a transfer's target institution during its review there); they act on it through
 * their inbox tasks, while my items lists it for the applicant.
 */
export async function appendReviewCase(
  manager: EntityManager,
  outbox: OutboxWriter,
  row: ReviewCaseRow,
  change: { milestone?: CaseMilestone | null; opinion?: string | null; dueAt?: Date | null; actorId?: string | null },
): Promise<CaseChangedV1> {
  const [v] = await sqlRows<{ case_version: number }>(manager, `UPDATE review_case SET case_version = case_version + 1 WHERE id = $1 RETURNING case_version`, [row.id]);
  const item = reviewItemName(row.kind);
  const stage = reviewStageName(row.stage);
  const data: CaseChangedV1 = {
    domain: 'certification',
    caseType: row.kind,
    caseId: row.id,
    businessNo: row.business_no,
    itemName: item.zh,
    itemNameEn: item.en,
    applicantId: row.applicant_id,
    institutionId: row.stage === 'transfer-in-review' ? row.target_institution_id : row.institution_id,
    stage: row.stage,
    stageName: stage.zh,
    stageNameEn: stage.en,
    status: itemStatus(row.status),
    result: row.status === 'withdrawn' ? 'withdrawn' : row.result,
    milestone: change.milestone ?? null,
    opinion: change.opinion ?? null,
    version: Number(v!.case_version),
    changedAt: new Date().toISOString(),
    submittedAt: row.submitted_at.toISOString(),
    dueAt: change.dueAt ? change.dueAt.toISOString() : null,
    clockPaused: row.status === 'returned',
    workflowId: reviewCaseWorkflowId(row.kind, row.id),
    link: `/api/v1/certification/cases/${row.id}`,
  };
  await outbox.append(manager, { topic: CaseTopics.certification, subjectId: row.id, actorId: change.actorId ?? row.applicant_id, data });
  return data;
}
