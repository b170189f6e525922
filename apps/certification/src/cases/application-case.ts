import type { EntityManager } from 'typeorm';
import { CaseTopics, type CaseActionBy, type CaseChangedV1, type CaseItemStatus, type CaseMilestone } from '@certhub/contracts';
import { sqlRows, type OutboxWriter } from '@certhub/persistence';
import { certApplicationWorkflowId, CERT_REGISTRATION_CASE_TYPE } from '@certhub/workflows-certification';
import { APPLICATION_TYPES, fieldBelongsTo, type ApplicationType, type Named } from '../applications/application-catalogue';
import type { ApplicationStatus } from '../applications/application.entities';

/**
 * The stages (业务环节) of a registration application as my items shows them (CE-3). Only
 * `draft` is reached so far; the others are the process's stages, named here once.
 */
export const APPLICATION_STAGES = {
  draft: { zh: '草稿箱', en: 'Draft' },
  'institution-review': { zh: '机构初核', en: 'Institution review' },
  payment: { zh: '缴费', en: 'Payment' },
  'expert-assignment': { zh: '分配专家', en: 'Expert assignment' },
  'expert-evaluation': { zh: '专家评价', en: 'Expert evaluation' },
  'association-approval': { zh: '协会审批', en: 'Association approval' },
  'association-decision': { zh: '协会批准', en: 'Association decision' },
  rectification: { zh: '退回整改', en: 'Returned for rectification' },
  finished: { zh: '已结束', en: 'Finished' },
} as const satisfies Record<string, Named>;

export type ApplicationStage = keyof typeof APPLICATION_STAGES;

export function stageName(stage: string): Named {
  return (APPLICATION_STAGES as Record<string, Named>)[stage] ?? { zh: stage, en: stage };
}

/** The item name of my items: 人员注册申请（体系认证审核员：QMS）, as in the seeds' list [003 §3.1.2]. */
export function applicationItemName(applicationType: string | null, field: string | null): Named {
  const type = applicationType && Object.prototype.hasOwnProperty.call(APPLICATION_TYPES, applicationType) ? APPLICATION_TYPES[applicationType as ApplicationType] : null;
  if (!type) return { zh: '人员注册申请', en: 'Personnel registration application' };
  const f = field && fieldBelongsTo(applicationType as ApplicationType, field) ? field : null;
  return {
    zh: f ? `人员注册申请（${type.zh}：${f}）` : `人员注册申请（${type.zh}）`,
    en: f ? `Personnel registration application (${type.en}: ${f})` : `Personnel registration application (${type.en})`,
  };
}

export function itemStatus(status: ApplicationStatus): CaseItemStatus {
  if (status === 'draft') return 'draft';
  if (status === 'submitted' || status === 'returned') return 'active';
  return 'done';
}

/** An `application` row as `SELECT *` returns it (the columns the service and the workflow's activities read). */
export interface ApplicationRow {
  id: string;
  applicant_id: string;
  business_no: string;
  status: ApplicationStatus;
  stage: string;
  application_type: string | null;
  grade: string | null;
  field: string | null;
  kind: string | null;
  specialty: string | null;
  narrow_scope: boolean | null;
  payment_by: string | null;
  institution_id: string | null;
  institution_name: string | null;
  applicant_name: string | null;
  create_key: string | null;
  submitted_at: Date | null;
  round: number;
  returned_from: string | null;
  workflow_round: number;
  case_version: number;
  created_at: Date;
  updated_at: Date;
}

/** What the case event of an application needs of its row. */
export function applicationCaseState(r: ApplicationRow): ApplicationCaseState {
  return {
    id: r.id,
    businessNo: r.business_no,
    applicantId: r.applicant_id,
    status: r.status,
    stage: r.stage,
    applicationType: r.application_type,
    field: r.field,
    submittedAt: r.submitted_at,
  };
}

export interface ApplicationCaseState {
  id: string;
  businessNo: string;
  applicantId: string;
  status: ApplicationStatus;
  stage: string;
  applicationType: string | null;
  field: string | null;
  submittedAt: Date | null;
}

/**
 * Writes the application's `certification.case.changed.v1` to the outbox in the caller's
 * transaction (the application row is locked by it), with the next version of the case. A draft
 * is not routed to any institution yet: `institutionId` stays null until the process sends it
 * to the institution's review.
 */
export async function appendApplicationCase(
  manager: EntityManager,
  outbox: OutboxWriter,
  state: ApplicationCaseState,
  change: { milestone?: CaseMilestone | null; opinion?: string | null; dueAt?: Date | null; institutionId?: string | null; actorId?: string | null; actionBy?: CaseActionBy | null } = {},
  /** The case's version when the caller's own update of the row already took the next one (saves a round trip). */
  takenVersion?: number,
): Promise<CaseChangedV1> {
  const version =
    takenVersion ??
    Number((await sqlRows<{ case_version: number }>(manager, `UPDATE application SET case_version = case_version + 1 WHERE id = $1 RETURNING case_version`, [state.id]))[0]!.case_version);
  const item = applicationItemName(state.applicationType, state.field);
  const stage = stageName(state.stage);
  const status = itemStatus(state.status);
  const data: CaseChangedV1 = {
    domain: 'certification',
    caseType: CERT_REGISTRATION_CASE_TYPE,
    caseId: state.id,
    businessNo: state.businessNo,
    itemName: item.zh.slice(0, 200),
    itemNameEn: item.en.slice(0, 200),
    applicantId: state.applicantId,
    institutionId: change.institutionId ?? null,
    stage: state.stage,
    stageName: stage.zh,
    stageNameEn: stage.en,
    status,
    result: state.status === 'approved' || state.status === 'rejected' || state.status === 'withdrawn' ? state.status : null,
    milestone: change.milestone ?? null,
    opinion: change.opinion ?? null,
    version,
    changedAt: new Date().toISOString(),
    submittedAt: state.submittedAt ? state.submittedAt.toISOString() : null,
    dueAt: change.dueAt ? change.dueAt.toISOString() : null,
    clockPaused: state.status === 'returned',
    workflowId: state.status === 'draft' ? null : certApplicationWorkflowId(state.id),
    link: `/api/v1/certification/applications/${state.id}`,
    ...(change.actionBy ? { actionBy: change.actionBy } : {}),
  };
  await outbox.append(manager, { topic: CaseTopics.certification, subjectId: state.id, actorId: change.actorId ?? state.applicantId, data });
  return data;
}
