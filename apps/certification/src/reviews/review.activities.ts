import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CertificationTopics } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import { REVIEW_PLANS, type RecordReviewStepInput, type ReviewCaseActivities, type ReviewCaseSnapshot, type ReviewEffectResult } from '@certhub/workflows-certification';
import { isUuid } from '@certhub/service-kit';
import { CertificationCalendar } from '../process/application.activities';
import type { CertificateRow } from './certificate.service';
import { appendReviewCase, reviewDueAt, reviewItemName, type ReviewCaseRow } from './review-case-event';

type EffectRow = ReviewCaseRow & { effect_applied_at: Date | null; effect_details: Record<string, unknown> | null };

/**
 * The activities of the review-case workflows (task queue `certification`). The database is the
 * authority on the case: each step is written once (the step number is unique per case), and the
 * effect of an approved case is applied once (`effect_applied_at`), so retries change nothing.
 */
@Injectable()
export class ReviewCaseActivitiesImpl implements ReviewCaseActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly calendar: CertificationCalendar,
    private readonly logger: Logger,
  ) {}

  asActivities(): ReviewCaseActivities {
    return {
      loadReviewCase: (input) => this.loadReviewCase(input),
      recordReviewStep: (input) => this.recordReviewStep(input),
      applyReviewEffect: (input) => this.applyReviewEffect(input),
    };
  }

  private async row(manager: EntityManager | DataSource, id: string, lock = false): Promise<EffectRow> {
    const [row] = await sqlRows<EffectRow>(manager, `SELECT * FROM review_case WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw ApplicationFailure.nonRetryable(`review case ${id} does not exist`, 'UnknownReviewCase');
    return row;
  }

  async loadReviewCase({ caseId }: { caseId: string }): Promise<ReviewCaseSnapshot> {
    const r = await this.row(this.dataSource, caseId);
    const item = reviewItemName(r.kind);
    return {
      caseId: r.id,
      kind: r.kind,
      businessNo: r.business_no,
      applicantId: r.applicant_id,
      institutionId: r.institution_id,
      targetInstitutionId: r.target_institution_id,
      itemName: item.zh,
      itemNameEn: item.en,
    };
  }

  async recordReviewStep(input: RecordReviewStepInput): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.row(manager, input.caseId, true);
      const [done] = await sqlRows<{ id: string }>(manager, `SELECT id FROM review_case_history WHERE case_id = $1 AND step = $2`, [input.caseId, input.step]);
      if (done) return;
      const actorId = input.actorId !== null && isUuid(input.actorId) ? input.actorId : null;
      const insertHistory = (from: string) =>
        manager.query(
          `INSERT INTO review_case_history (case_id, action, actor_id, from_status, to_status, stage, opinion, round, step, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [input.caseId, input.action, actorId, from, input.status, input.stage, input.opinion, input.round, input.step, input.details === null ? null : JSON.stringify(input.details)],
        );
      if (current.status === 'withdrawn' || current.status === 'decided') {
        // Finished by the applicant meanwhile (a withdraw racing the rectification time): kept in the history only.
        await insertHistory(current.status);
        return;
      }
      const finished = input.status === 'decided' || input.status === 'withdrawn';
      const returned = input.status === 'returned';
      const [updated] = await sqlRows<ReviewCaseRow>(
        manager,
        `UPDATE review_case SET status = $2, stage = $3, result = $4, returned_from = $5, round = $6,
                decided_at = CASE WHEN $7 THEN now() ELSE decided_at END, open_key = CASE WHEN $7 THEN NULL ELSE open_key END, updated_at = now()
          WHERE id = $1 RETURNING *`,
        [input.caseId, input.status, input.nextStage, input.result, returned ? input.stage : null, returned ? input.round + 1 : current.round, finished],
      );
      await insertHistory(current.status);
      await appendReviewCase(manager, this.outbox, updated!, {
        milestone: input.milestone,
        opinion: input.opinion,
        dueAt: await reviewDueAt(manager, this.calendar.calendar, updated!, this.logger),
        actorId,
      });
    });
  }

  async applyReviewEffect({ caseId }: { caseId: string; actorId: string }): Promise<ReviewEffectResult> {
    return this.dataSource.transaction(async (manager) => {
      const r = await this.row(manager, caseId, true);
      const effect = REVIEW_PLANS[r.kind].effect;
      if (effect === null) throw ApplicationFailure.nonRetryable(`${r.kind} has no effect`, 'NoEffect');
      if (r.effect_applied_at) return { effect, details: r.effect_details ?? {} };
      let details: Record<string, unknown>;
      switch (effect) {
        case 'confirm-certificate':
          details = await this.confirmCertificate(manager, r);
          break;
        case 'transfer-institution':
          details = await this.transferInstitution(manager, r);
          break;
        case 'cancel-certificate':
          details = await this.cancelCertificate(manager, r);
          break;
        case 'grant-expert':
          details = await this.appointExpert(manager, r);
          break;
      }
      await manager.query(`UPDATE review_case SET effect_applied_at = now(), effect_details = $2 WHERE id = $1`, [caseId, JSON.stringify(details)]);
      return { effect, details };
    });
  }

  private async certificate(manager: EntityManager, id: string | null): Promise<CertificateRow> {
    const [c] = await sqlRows<CertificateRow>(manager, `SELECT * FROM certificate WHERE id = $1 FOR UPDATE`, [id]);
    if (!c) throw ApplicationFailure.nonRetryable(`certificate ${id} does not exist`, 'UnknownCertificate');
    return c;
  }

  /** CE-4: the confirmed certificate stays valid a year longer, counted from its end or, when already expired, from today. */
  private async confirmCertificate(manager: EntityManager, r: ReviewCaseRow): Promise<Record<string, unknown>> {
    const c = await this.certificate(manager, r.certificate_id);
    const now = new Date();
    const from = c.valid_until.getTime() > now.getTime() ? new Date(c.valid_until) : now;
    const validUntil = new Date(from);
    validUntil.setUTCFullYear(validUntil.getUTCFullYear() + 1);
    const year = Number(r.form.year);
    await manager.query(
      `UPDATE certificate SET valid_until = $2, status = CASE WHEN status = 'expired' THEN 'valid' ELSE status END, confirmed_year = $3, last_confirmed_at = now() WHERE id = $1`,
      [c.id, validUntil, year],
    );
    return { certificateNo: c.certificate_no, previousValidUntil: c.valid_until.toISOString(), validUntil: validUntil.toISOString(), confirmedYear: year };
  }

  /** CE-5: every certificate of the person that is not cancelled or revoked moves to the new institution; identity follows the event. */
  private async transferInstitution(manager: EntityManager, r: ReviewCaseRow): Promise<Record<string, unknown>> {
    const to = r.target_institution_id;
    if (!to) throw ApplicationFailure.nonRetryable(`transfer ${r.id} has no target institution`, 'NoTarget');
    const toName = typeof r.form.toInstitutionName === 'string' ? r.form.toInstitutionName : null;
    const moved = await sqlRows<{ id: string }>(
      manager,
      `UPDATE certificate SET institution_id = $2, institution_name = $3 WHERE person_id = $1 AND status IN ('valid', 'expired', 'suspended') RETURNING id`,
      [r.applicant_id, to, toName],
    );
    const transferredAt = new Date().toISOString();
    await this.outbox.append(manager, {
      topic: CertificationTopics.PersonTransferred,
      subjectId: r.applicant_id,
      actorId: null,
      data: { personId: r.applicant_id, caseId: r.id, fromInstitutionId: r.institution_id, toInstitutionId: to, certificateIds: moved.map((m) => m.id), transferredAt },
    });
    return { fromInstitutionId: r.institution_id, toInstitutionId: to, certificates: moved.length };
  }

  /** CE-8: the certificate is cancelled; identity drops `certified` when no valid certificate is left. */
  private async cancelCertificate(manager: EntityManager, r: ReviewCaseRow): Promise<Record<string, unknown>> {
    const c = await this.certificate(manager, r.certificate_id);
    const cancelledAt = new Date();
    await manager.query(`UPDATE certificate SET status = 'cancelled', cancelled_at = $2 WHERE id = $1`, [c.id, cancelledAt]);
    const [other] = await sqlRows<{ id: string }>(manager, `SELECT id FROM certificate WHERE person_id = $1 AND id <> $2 AND status = 'valid' AND valid_until > now() LIMIT 1`, [
      r.applicant_id,
      c.id,
    ]);
    await this.outbox.append(manager, {
      topic: CertificationTopics.CertificateCancelled,
      subjectId: r.applicant_id,
      actorId: null,
      data: { certificateId: c.id, certificateNo: c.certificate_no, personId: r.applicant_id, caseId: r.id, cancelledAt: cancelledAt.toISOString(), stillCertified: other !== undefined },
    });
    return { certificateNo: c.certificate_no, cancelledAt: cancelledAt.toISOString() };
  }

  /** CE-8: identity grants the `expert` role from the event. */
  private async appointExpert(manager: EntityManager, r: ReviewCaseRow): Promise<Record<string, unknown>> {
    const fields = Array.isArray(r.form.fields) ? (r.form.fields as string[]) : [];
    const appointedAt = new Date().toISOString();
    await this.outbox.append(manager, { topic: CertificationTopics.ExpertAppointed, subjectId: r.applicant_id, actorId: null, data: { personId: r.applicant_id, caseId: r.id, fields, appointedAt } });
    return { fields, appointedAt };
  }
}
