import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource, EntityManager } from 'typeorm';
import { CaseTopics, IdentityTopics, type CaseChangedV1, type CaseMilestone, type VerificationStatus } from '@certhub/contracts';
import { runWithContext, type Logger } from '@certhub/logging';
import { nextBusinessNumber, OutboxWriter, sqlRows } from '@certhub/persistence';
import { caseClock, UnknownCalendarYearError, type WorkCalendar } from '@certhub/workdays';
import type { IdentityActivities, RecordedVerification, RecordVerificationInput } from '@certhub/workflows-identity';
import { Account } from '../accounts/account.entity';
import { ProviderUnavailable, type VerificationProvider } from './verification-provider';

export interface IdentityActivityDeps {
  dataSource: DataSource;
  provider: VerificationProvider;
  outbox: OutboxWriter;
  logger: Logger;
  calendar: WorkCalendar;
  /** Service catalogue deadline of a verification, in working days. */
  deadlineWorkingDays: number;
}

/** Stage (业务环节) of the verification case as my items shows it. */
const STAGES: Record<VerificationStatus, { zh: string; en: string; paused: boolean }> = {
  pending: { zh: '自动核验', en: 'Automatic check', paused: false },
  'awaiting-proof': { zh: '待补充证明材料', en: 'Awaiting proof', paused: true },
  'awaiting-staff': { zh: '协会人工审核', en: 'Association review', paused: false },
  'onsite-required': { zh: '待现场核验', en: 'On-site verification', paused: true },
  verified: { zh: '核验通过', en: 'Verified', paused: false },
  rejected: { zh: '核验不通过', en: 'Not verified', paused: false },
};

/** Reasons the workflow records as codes, in the words the applicant reads (opinions of staff pass as they are). */
const REASON_TEXT: Record<string, string> = {
  'provider-could-not-verify': '系统未能自动核验您的身份和学历信息，请上传证明材料。',
  'proof-not-submitted': '未在规定期限内上传证明材料，核验未通过。',
};

/** Activities of the identity workflows, built with their dependencies (imported by workflows as types only). */
export function createIdentityActivities(deps: IdentityActivityDeps): IdentityActivities {
  const { dataSource, provider, outbox } = deps;
  return {
    async checkWithVerificationProvider({ accountId }) {
      const account = await dataSource.getRepository(Account).findOne({ where: { id: accountId }, select: { id: true, usernameKey: true } });
      if (!account) throw ApplicationFailure.nonRetryable(`account ${accountId} does not exist`, 'InvalidAccount');
      try {
        return { outcome: await provider.verify({ accountId, usernameKey: account.usernameKey }) };
      } catch (err) {
        if (err instanceof ProviderUnavailable) throw ApplicationFailure.retryable('verification provider unavailable', 'ProviderUnavailable');
        throw err;
      }
    },

    /** Idempotent by (workflowId, step): a retried activity records and emits nothing twice. */
    async recordVerification(input: RecordVerificationInput) {
      // Events of one case share its workflow id as correlation id.
      return runWithContext({ correlationId: input.workflowId, actorId: input.actorId ?? undefined }, () => record(input));
    },
  };

  async function record(input: RecordVerificationInput): Promise<RecordedVerification> {
    return dataSource.transaction(async (manager) => {
      const first: Array<{ business_no: string | null }> = await manager.query(
        `SELECT business_no FROM verification_step WHERE workflow_id = $1 AND step = 1`,
        [input.workflowId],
      );
      const businessNo = first[0]?.business_no ?? (await nextBusinessNumber(manager));
      const inserted = await sqlRows(
        manager,
        `INSERT INTO verification_step (id, account_id, workflow_id, step, business_no, round, status, reason, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (workflow_id, step) DO NOTHING RETURNING id`,
        [randomUUID(), input.accountId, input.workflowId, input.step, businessNo, input.round, input.status, input.reason, input.actorId],
      );
      if (inserted.length === 0) {
        const again: Array<{ business_no: string }> = await manager.query(`SELECT business_no FROM verification_step WHERE workflow_id = $1 AND step = $2`, [input.workflowId, input.step]);
        return { businessNo: again[0]?.business_no ?? businessNo };
      }
      await manager.query(`UPDATE account SET verification_status = $2, updated_at = now() WHERE id = $1`, [input.accountId, input.status]);
      await outbox.append(manager, {
        topic: IdentityTopics.VerificationChanged,
        subjectId: input.accountId,
        actorId: input.actorId,
        data: {
          accountId: input.accountId,
          status: input.status,
          previousStatus: input.previousStatus,
          workflowId: input.workflowId,
          reason: input.reason,
        },
      });
      await outbox.append(manager, { topic: CaseTopics.identity, subjectId: input.accountId, actorId: input.actorId, data: await caseChanged(manager, input, businessNo) });
      return { businessNo };
    });
  }

  /** The verification as a case of my items (WB-3): stage, status, deadline with the applicant's time paused. */
  async function caseChanged(manager: EntityManager, input: RecordVerificationInput, businessNo: string): Promise<CaseChangedV1> {
    const steps: Array<{ status: VerificationStatus; at: Date }> = await manager.query(
      `SELECT status, at FROM verification_step WHERE workflow_id = $1 ORDER BY step`,
      [input.workflowId],
    );
    const done = input.status === 'verified' || input.status === 'rejected';
    const stage = STAGES[input.status];
    let dueAt: string | null = null;
    if (!done && steps.length > 0) {
      try {
        dueAt = caseClock(deps.calendar, deps.deadlineWorkingDays, steps.map((s) => ({ at: new Date(s.at), paused: STAGES[s.status].paused }))).dueAt?.toISOString() ?? null;
      } catch (err) {
        if (!(err instanceof UnknownCalendarYearError)) throw err;
        deps.logger.warn('no official calendar for the deadline of a verification case yet', { year: err.year });
      }
    }
    let milestone: CaseMilestone | null = null;
    if (done) milestone = 'decided';
    // Staff sending the proof back is a return; the provider asking for proof, or anyone asking
    // for an on-site check, only needs the applicant to act.
    else if (input.status === 'awaiting-proof' && input.actorId !== null) milestone = 'returned';
    else if (input.status === 'awaiting-proof' || input.status === 'onsite-required') milestone = 'action-required';
    else if (input.status === 'awaiting-staff') milestone = input.round > 1 ? 'resubmitted' : 'submitted';
    return {
      domain: 'identity',
      caseType: 'identity-verification',
      caseId: input.accountId,
      businessNo,
      itemName: '身份核验',
      itemNameEn: 'Identity verification',
      applicantId: input.accountId,
      institutionId: null,
      stage: input.status,
      stageName: stage.zh,
      stageNameEn: stage.en,
      status: done ? 'done' : 'active',
      result: done ? input.status : null,
      milestone,
      opinion: input.reason === null ? null : (REASON_TEXT[input.reason] ?? input.reason),
      version: input.step,
      changedAt: new Date().toISOString(),
      submittedAt: steps[0] ? new Date(steps[0].at).toISOString() : null,
      dueAt,
      clockPaused: stage.paused,
      workflowId: input.workflowId,
      link: '/api/v1/identity/me/verification',
    };
  }
}
