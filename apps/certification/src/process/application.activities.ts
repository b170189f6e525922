import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CertificationTopics, type CaseActionBy } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import type { WorkCalendar } from '@certhub/workdays';
import type { ApplicationSnapshot, CertificationActivities, IssuedCertificate, RecordStepInput, RectificationExpiry } from '@certhub/workflows-certification';
import { isUuid } from '@certhub/service-kit';
import { APPLICATION_TYPES, registrationFeeFen, RECORD_KINDS, type ApplicationType } from '../applications/application-catalogue';
import { appendApplicationCase, applicationCaseState, applicationItemName, type ApplicationRow } from '../cases/application-case';
import { deadlineFromHistory } from '../cases/case-deadline';
import { CertificationConfig } from '../certification.config';

/** The official working-day calendar of this service (injected so tests and operators may extend it). */
export abstract class CertificationCalendar {
  abstract readonly calendar: WorkCalendar;
}

/**
 * The application's completion deadline (CE-3, working days of the service catalogue) with the
 * applicant's rectification time paused: every history entry that moved the status is a clock
 * change (returned pauses it, anything else in the process runs it). Null once decided, while
 * paused, or when the calendar of the due year is not published yet.
 */
export async function applicationDueAt(manager: EntityManager, calendar: WorkCalendar, days: number, applicationId: string, logger: Logger): Promise<Date | null> {
  const rows = await sqlRows<{ to_status: string; at: Date }>(
    manager,
    `SELECT to_status, at FROM application_history WHERE application_id = $1 AND to_status IN ('submitted', 'returned', 'approved', 'rejected') ORDER BY id`,
    [applicationId],
  );
  const last = rows.at(-1);
  if (!last || last.to_status === 'approved' || last.to_status === 'rejected') return null;
  return deadlineFromHistory(calendar, days, rows, logger, 'an application');
}

/**
 * Who must pay when the case asks the institution for its fee: the institution user who approved
 * the initial review (the workflow names them payer; any user of the institution may pay). The
 * applicant has nothing to do then, so the case event has no milestone and names the payer.
 */
function institutionFeePayer(input: RecordStepInput, actorId: string | null): CaseActionBy | null {
  const feeId = input.details?.feeId;
  if (input.nextStage !== 'payment' || input.details?.payerKind !== 'institution' || actorId === null || typeof feeId !== 'string' || !isUuid(feeId)) return null;
  return { accountId: actorId, reason: 'fee-payer', link: `/api/v1/payment/fees/${feeId}` };
}

/**
 * The activities of the application workflow (task queue `certification`). The database is the
 * authority on the case: each step is written once (the workflow's step number is unique per
 * application), so a retried activity changes nothing.
 */
@Injectable()
export class ApplicationActivities implements CertificationActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly config: CertificationConfig,
    private readonly calendar: CertificationCalendar,
    private readonly logger: Logger,
  ) {}

  /** The functions registered on the worker (bound: the worker calls them without `this`). */
  asActivities(): CertificationActivities {
    return {
      loadApplication: (input) => this.loadApplication(input),
      recordStep: (input) => this.recordStep(input),
      expireRectification: (input) => this.expireRectification(input),
      issueCertificate: (input) => this.issueCertificate(input),
    };
  }

  private async row(manager: EntityManager | DataSource, id: string, lock = false): Promise<ApplicationRow> {
    const [row] = await sqlRows<ApplicationRow>(manager, `SELECT * FROM application WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw ApplicationFailure.nonRetryable(`application ${id} does not exist`, 'UnknownApplication');
    return row;
  }

  async loadApplication({ applicationId }: { applicationId: string }): Promise<ApplicationSnapshot> {
    const r = await this.row(this.dataSource, applicationId);
    const records = await sqlRows<{ id: string; kind: keyof typeof RECORD_KINDS; position: number }>(
      this.dataSource,
      `SELECT id, kind, position FROM application_record WHERE application_id = $1 ORDER BY kind, position`,
      [applicationId],
    );
    const item = applicationItemName(r.application_type, r.field);
    const perKind = new Map<string, number>();
    return {
      applicationId: r.id,
      businessNo: r.business_no,
      applicantId: r.applicant_id,
      institutionId: r.institution_id,
      paymentBy: r.payment_by === 'person' || r.payment_by === 'institution' ? r.payment_by : null,
      itemName: item.zh,
      itemNameEn: item.en,
      feeFen: registrationFeeFen(r.grade),
      records: records.map((x) => {
        const n = (perKind.get(x.kind) ?? 0) + 1;
        perKind.set(x.kind, n);
        return { id: x.id, kind: x.kind, position: x.position, labelZh: `${RECORD_KINDS[x.kind]?.zh ?? x.kind}第${n}条` };
      }),
    };
  }

  async recordStep(input: RecordStepInput): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // The row is locked first (orders this against the applicant's requests); the same round trip says whether this step was written already.
      const [current] = await sqlRows<ApplicationRow & { step_done: boolean }>(
        manager,
        `SELECT a.*, EXISTS (SELECT 1 FROM application_history h WHERE h.application_id = a.id AND h.step = $2) AS step_done
         FROM application a WHERE a.id = $1 FOR UPDATE OF a`,
        [input.applicationId, input.step],
      );
      if (!current) throw ApplicationFailure.nonRetryable(`application ${input.applicationId} does not exist`, 'UnknownApplication');
      if (current.step_done) return;
      const returned = input.status === 'returned';
      const actorId = input.actorId !== null && isUuid(input.actorId) ? input.actorId : null;
      // The change, its history entry and the case's next version in one statement.
      const [updated] = await sqlRows<ApplicationRow>(
        manager,
        `WITH written AS (
           INSERT INTO application_history (application_id, action, actor_id, from_status, to_status, stage, opinion, round, step, details)
           VALUES ($1, $6, $7, $8, $2, $9, $10, $11, $12, $13) RETURNING 1)
         UPDATE application SET status = $2, stage = $3, returned_from = $4, round = $5, case_version = case_version + 1, updated_at = now()
         WHERE id = $1 AND EXISTS (SELECT 1 FROM written) RETURNING *`,
        [
          input.applicationId,
          input.status,
          input.nextStage,
          returned ? input.stage : null,
          returned ? input.round + 1 : current.round,
          input.action,
          actorId,
          current.status,
          input.stage,
          input.opinion,
          input.round,
          input.step,
          input.details === null ? null : JSON.stringify(input.details),
        ],
      );
      const dueAt = await applicationDueAt(manager, this.calendar.calendar, this.config.APPLICATION_DEADLINE_WORKING_DAYS, input.applicationId, this.logger);
      await appendApplicationCase(
        manager,
        this.outbox,
        applicationCaseState(updated!),
        { milestone: input.milestone, opinion: input.opinion, dueAt, institutionId: input.institutionId, actorId, actionBy: institutionFeePayer(input, actorId) },
        Number(updated!.case_version),
      );
    });
  }

  /**
   * 逾期未整改视为撤回: the returned case of `round` is deemed withdrawn, unless the applicant
   * resubmitted or withdrew it meanwhile (the row lock orders this against their requests). The
   * workflow ends itself, so nothing is left for the starter to deliver (`workflow_round = round`).
   */
  async expireRectification(input: { applicationId: string; round: number; step: number; institutionId: string | null; days: number }): Promise<RectificationExpiry> {
    return this.dataSource.transaction(async (manager) => {
      const current = await this.row(manager, input.applicationId, true);
      const [done] = await sqlRows<{ id: string }>(manager, `SELECT id FROM application_history WHERE application_id = $1 AND step = $2`, [input.applicationId, input.step]);
      if (done) return 'expired';
      if (current.status === 'withdrawn') return 'withdrawn';
      if (current.status !== 'returned' || current.round !== input.round) return 'resubmitted';
      const [updated] = await sqlRows<ApplicationRow>(
        manager,
        `UPDATE application SET status = 'withdrawn', stage = 'finished', workflow_round = round, updated_at = now() WHERE id = $1 RETURNING *`,
        [input.applicationId],
      );
      const opinion = `退回整改后 ${input.days} 日内未重新提交，申请视为撤回。`;
      await manager.query(
        `INSERT INTO application_history (application_id, action, actor_id, from_status, to_status, stage, opinion, round, step, details)
         VALUES ($1, 'rectification-expired', NULL, 'returned', 'withdrawn', 'rectification', $2, $3, $4, $5)`,
        [input.applicationId, opinion, input.round, input.step, JSON.stringify({ returnedFrom: current.returned_from })],
      );
      await appendApplicationCase(manager, this.outbox, applicationCaseState(updated!), { milestone: 'expired', opinion, dueAt: null, institutionId: input.institutionId, actorId: null });
      return 'expired';
    });
  }

  async issueCertificate({ applicationId }: { applicationId: string; actorId: string }): Promise<IssuedCertificate> {
    return this.dataSource.transaction(async (manager) => {
      const r = await this.row(manager, applicationId, true);
      const [existing] = await sqlRows<{ id: string; certificate_no: string; issued_at: Date; valid_until: Date }>(
        manager,
        `SELECT id, certificate_no, issued_at, valid_until FROM certificate WHERE application_id = $1`,
        [applicationId],
      );
      if (existing) return { certificateId: existing.id, certificateNo: existing.certificate_no, issuedAt: existing.issued_at.toISOString(), validUntil: existing.valid_until.toISOString() };
      if (!r.application_type || !r.grade || !r.field || !Object.prototype.hasOwnProperty.call(APPLICATION_TYPES, r.application_type)) {
        throw ApplicationFailure.nonRetryable(`application ${applicationId} has no type, grade or field`, 'IncompleteApplication');
      }
      const issuedAt = new Date();
      const validUntil = new Date(issuedAt);
      validUntil.setUTCFullYear(validUntil.getUTCFullYear() + 3);
      const certificateId = randomUUID();
      // The business number is unique and never reused: the certificate number derives from it.
      const certificateNo = `${r.field}-${r.business_no}`;
      await manager.query(
        `INSERT INTO certificate (id, certificate_no, application_id, person_id, application_type, grade, field, institution_id, institution_name, holder_name, issued_at, valid_until, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'valid')`,
        [certificateId, certificateNo, applicationId, r.applicant_id, r.application_type as ApplicationType, r.grade, r.field, r.institution_id, r.institution_name, r.applicant_name, issuedAt, validUntil],
      );
      // Identity owns roles: it grants `certified` when it reads this (ADR 0016).
      await this.outbox.append(manager, {
        topic: CertificationTopics.CertificateIssued,
        subjectId: r.applicant_id,
        actorId: null,
        data: {
          certificateId,
          certificateNo,
          personId: r.applicant_id,
          applicationId,
          applicationType: r.application_type,
          grade: r.grade,
          field: r.field,
          institutionId: r.institution_id,
          issuedAt: issuedAt.toISOString(),
          validUntil: validUntil.toISOString(),
        },
      });
      return { certificateId, certificateNo, issuedAt: issuedAt.toISOString(), validUntil: validUntil.toISOString() };
    });
  }
}
