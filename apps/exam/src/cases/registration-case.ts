import { CaseTopics, type CaseChangedV1, type CaseItemStatus, type CaseMilestone } from '@certhub/contracts';
import type { OutboxEntry, OutboxWriter } from '@certhub/persistence';
import { sqlRows } from '@certhub/persistence';
import type { EntityManager } from 'typeorm';
import type { RegistrationStatus } from '../registration/registration.entities';

/** The stages (业务环节) of a registration as my items shows them. */
export const REGISTRATION_STAGES = {
  info: { zh: '信息维护', en: 'Registration info' },
  subjects: { zh: '选择科目', en: 'Choose subjects' },
  city: { zh: '选择城市', en: 'Choose exam city' },
  confirm: { zh: '确认报名', en: 'Confirm registration' },
  payment: { zh: '待支付', en: 'Awaiting payment' },
  registered: { zh: '已报考', en: 'Registered' },
  refunding: { zh: '退费中', en: 'Refund in progress' },
  refunded: { zh: '已退费', en: 'Refunded' },
} as const;

export type RegistrationStage = keyof typeof REGISTRATION_STAGES;

export interface RegistrationCaseState {
  id: string;
  businessNo: string;
  candidateId: string;
  status: RegistrationStatus;
  infoDone: boolean;
  subjectsDone: boolean;
  cityDone: boolean;
  createdAt: Date;
}

export function registrationStage(r: Pick<RegistrationCaseState, 'status' | 'infoDone' | 'subjectsDone' | 'cityDone'>): RegistrationStage {
  switch (r.status) {
    case 'ordered':
      return 'payment';
    case 'paid':
      return 'registered';
    case 'refunding':
      return 'refunding';
    case 'refunded':
      return 'refunded';
    default:
      if (!r.infoDone) return 'info';
      if (!r.subjectsDone) return 'subjects';
      if (!r.cityDone) return 'city';
      return 'confirm';
  }
}

function itemStatus(status: RegistrationStatus): CaseItemStatus {
  if (status === 'draft') return 'draft';
  if (status === 'paid' || status === 'refunded') return 'done';
  return 'active';
}

type CaseChange = { milestone?: CaseMilestone | null; dueAt?: Date | null; opinion?: string | null; submittedAt?: Date | null };

/**
 * Writes the registration's `exam.case.changed.v1` to the outbox in the caller's transaction (the
 * registration row is locked by it), with the next version of the case.
 */
export async function appendRegistrationCase(
  manager: EntityManager,
  outbox: OutboxWriter,
  state: RegistrationCaseState,
  period: { name: string; code: string },
  change: CaseChange = {},
): Promise<CaseChangedV1> {
  const [row] = await sqlRows<{ case_version: number }>(manager, `UPDATE registration SET case_version = case_version + 1 WHERE id = $1 RETURNING case_version`, [state.id]);
  const entry = registrationCaseEntry(state, period, Number(row!.case_version), change);
  await outbox.append(manager, entry);
  return entry.data;
}

/**
 * The outbox entry of a registration's case change at `version` — for a caller that sets
 * `registration.case_version` to that version itself in the same transaction.
 */
export function registrationCaseEntry(
  state: RegistrationCaseState,
  period: { name: string; code: string },
  version: number,
  change: CaseChange = {},
): OutboxEntry<typeof CaseTopics.exam> {
  const stage = registrationStage(state);
  const data: CaseChangedV1 = {
    domain: 'exam',
    caseType: 'exam-registration',
    caseId: state.id,
    businessNo: state.businessNo,
    itemName: `考试报名：${period.name}`.slice(0, 200),
    itemNameEn: `Exam registration ${period.code}`.slice(0, 200),
    applicantId: state.candidateId,
    institutionId: null,
    stage,
    stageName: REGISTRATION_STAGES[stage].zh,
    stageNameEn: REGISTRATION_STAGES[stage].en,
    status: itemStatus(state.status),
    result: state.status === 'paid' ? 'registered' : state.status === 'refunded' ? 'refunded' : null,
    milestone: change.milestone ?? null,
    opinion: change.opinion ?? null,
    version,
    changedAt: new Date().toISOString(),
    submittedAt: change.submittedAt ? change.submittedAt.toISOString() : null,
    dueAt: change.dueAt ? change.dueAt.toISOString() : null,
    clockPaused: false,
    workflowId: null,
    link: `/api/v1/exam/registrations/${state.id}`,
  };
  return { topic: CaseTopics.exam, subjectId: state.id, actorId: state.candidateId, data };
}
