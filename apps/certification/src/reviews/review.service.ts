import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Logger } from '@certhub/logging';
import { nextBusinessNumber, OutboxWriter, sqlRows, uniqueViolation } from '@certhub/persistence';
import type { Caller } from '@certhub/service-kit';
import { REVIEW_PLANS, reviewCaseWorkflowId, type ReviewCaseKind } from '@certhub/workflows-certification';
import { AttachmentService } from '../attachments/attachment.service';
import { CertificationConfig } from '../certification.config';
import { CertificationErrors } from '../certification.errors';
import { IdentityClient } from '../library/identity-client';
import { CertificationCalendar } from '../process/application.activities';
import { CertificateService, type CertificateRow } from './certificate.service';
import { appendReviewCase, reviewDueAt, reviewItemName, reviewStageName, type ReviewCaseRow } from './review-case-event';
import { ReviewCaseAccess } from './review-case-access';
import { attachmentRefs, FIXED_FIELDS, validReviewForm, type ReviewForm } from './review-forms';
import { ReviewCaseStarter } from './review-starter';

/** Who may open a kind: personal users only, or institution users too (appeals and complaints). */
const APPLICANT_TYPES: Record<ReviewCaseKind, readonly Caller['accountType'][]> = {
  'annual-confirmation': ['personal'],
  'institution-transfer': ['personal'],
  appeal: ['personal', 'institution'],
  complaint: ['personal', 'institution'],
  'certificate-cancellation': ['personal'],
  'expert-application': ['personal'],
};

/** Where the case goes and what it is about, decided from the caller's certificates before anything is written. */
interface Routing {
  institutionId: string | null;
  targetInstitutionId: string | null;
  certificateId: string | null;
  /** One open case per this key (null: several may be open, up to the limit). */
  openKey: string | null;
  /** Facts added to the form for the reviewers (names of the institutions, the certificate number …). */
  facts: Record<string, unknown>;
}

/**
 * The review cases of CE-4 … CE-8 on the applicant's side: open one (the form is validated and
 * the subject checked against the caller's certificates; refused with nothing written), see it
 * with its history, edit and resubmit it when returned, withdraw it when returned. Every change
 * is committed with its history row and case event; the workflow is told after the commit by the
 * starter (which retries while Temporal is unreachable).
 */
@Injectable()
export class ReviewCaseService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly config: CertificationConfig,
    private readonly calendar: CertificationCalendar,
    private readonly identity: IdentityClient,
    private readonly certificates: CertificateService,
    private readonly starter: ReviewCaseStarter,
    private readonly access: ReviewCaseAccess,
    private readonly attachments: AttachmentService,
    private readonly logger: Logger,
  ) {}

  // ---- open ----

  async open(kind: ReviewCaseKind, caller: Caller, body: unknown, createKey: string | undefined, authorization: string | undefined) {
    if (!APPLICANT_TYPES[kind].includes(caller.accountType)) throw CertificationErrors.error('CERT_CASE_NOT_FOUND', { details: { reason: 'account-type' } });
    const form = await validReviewForm(kind, body);
    const routing = await this.routing(kind, caller, form, authorization);
    const files = attachmentRefs(kind, form);
    try {
      const outcome = await this.dataSource.transaction(async (manager) => {
        await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('certification.review-case:' || $1, 0))`, [caller.sub]);
        if (createKey) {
          const [earlier] = await sqlRows<ReviewCaseRow>(manager, `SELECT * FROM review_case WHERE applicant_id = $1 AND create_key = $2`, [caller.sub, createKey]);
          if (earlier) return { row: earlier, replayed: true };
        }
        await this.attachments.requireOwn(manager, caller, files);
        if (routing.openKey) {
          const [other] = await sqlRows<{ id: string; business_no: string }>(manager, `SELECT id, business_no FROM review_case WHERE open_key = $1`, [routing.openKey]);
          if (other) throw CertificationErrors.error('CERT_CASE_EXISTS', { details: { id: other.id, businessNo: other.business_no } });
        }
        const [open] = await sqlRows<{ n: string }>(manager, `SELECT count(*) AS n FROM review_case WHERE applicant_id = $1 AND kind = $2 AND status IN ('submitted', 'returned')`, [caller.sub, kind]);
        if (Number(open!.n) >= this.config.MAX_OPEN_REVIEW_CASES) throw CertificationErrors.error('CERT_TOO_MANY_CASES', { details: { limit: this.config.MAX_OPEN_REVIEW_CASES } });
        const id = randomUUID();
        const stage = REVIEW_PLANS[kind].steps[0]!.stage;
        // Taken last in a short transaction: the hour's counter row stays locked until commit (ADR 0006).
        const businessNo = await nextBusinessNumber(manager);
        const [row] = await sqlRows<ReviewCaseRow>(
          manager,
          `INSERT INTO review_case (id, kind, business_no, applicant_id, applicant_type, institution_id, target_institution_id, certificate_id, form, status, stage, open_key, create_key, submitted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10, $11, $12, now()) RETURNING *`,
          [id, kind, businessNo, caller.sub, caller.accountType, routing.institutionId, routing.targetInstitutionId, routing.certificateId, JSON.stringify({ ...form, ...routing.facts }), stage, routing.openKey, createKey ?? null],
        );
        await manager.query(`INSERT INTO review_case_history (case_id, action, actor_id, from_status, to_status, stage, round) VALUES ($1, 'submitted', $2, NULL, 'submitted', $3, 1)`, [
          id,
          caller.sub,
          stage,
        ]);
        await this.attachments.link(manager, id, files, 1);
        await appendReviewCase(manager, this.outbox, row!, { milestone: 'submitted', dueAt: await reviewDueAt(manager, this.calendar.calendar, row!, this.logger), actorId: caller.sub });
        return { row: row!, replayed: false };
      });
      if (!outcome.replayed || outcome.row.workflow_round < outcome.row.round) await this.starter.deliver(outcome.row.id);
      return { id: outcome.row.id, businessNo: outcome.row.business_no, replayed: outcome.replayed, workflowId: reviewCaseWorkflowId(kind, outcome.row.id) };
    } catch (err) {
      // Backstops of the checks above (they cannot race under the applicant's advisory lock, but the indexes are the rule).
      const index = uniqueViolation(err);
      if (index === 'uq_review_case_open') throw CertificationErrors.error('CERT_CASE_EXISTS');
      throw err;
    }
  }

  /** Checks the kind's subject against the caller's certificates and the directory; nothing is written here. */
  private async routing(kind: ReviewCaseKind, caller: Caller, form: ReviewForm, authorization: string | undefined): Promise<Routing> {
    const none: Routing = { institutionId: caller.accountType === 'institution' ? caller.institutionId : null, targetInstitutionId: null, certificateId: null, openKey: null, facts: {} };
    switch (kind) {
      case 'appeal':
      case 'complaint':
        return none;
      case 'expert-application':
        if (caller.roles.includes('expert')) throw CertificationErrors.error('CERT_ALREADY_EXPERT');
        return { ...none, openKey: `${kind}:${caller.sub}` };
      case 'annual-confirmation': {
        const mine = await this.certificates.ofPerson(this.dataSource, caller.sub);
        const due = mine.filter((c) => this.certificates.dueForConfirmation(c));
        if (due.length === 0) throw CertificationErrors.error('CERT_NO_CONFIRMATION_DUE', { field: 'certificateId' });
        const certificate = mine.find((c) => c.id === form.certificateId);
        if (!certificate) throw CertificationErrors.error('CERT_CERTIFICATE_NOT_FOUND', { field: 'certificateId' });
        if (!due.includes(certificate)) {
          throw CertificationErrors.error('CERT_NO_CONFIRMATION_DUE', { field: 'certificateId', details: { validUntil: certificate.valid_until.toISOString(), due: due.map((c) => c.id) } });
        }
        if (!certificate.institution_id) throw CertificationErrors.error('CERT_NO_INSTITUTION', { field: 'certificateId' });
        return { institutionId: certificate.institution_id, targetInstitutionId: null, certificateId: certificate.id, openKey: `${kind}:${certificate.id}`, facts: { certificateNo: certificate.certificate_no } };
      }
      case 'certificate-cancellation': {
        const certificate = (await this.certificates.ofPerson(this.dataSource, caller.sub)).find((c) => c.id === form.certificateId);
        if (!certificate) throw CertificationErrors.error('CERT_CERTIFICATE_NOT_FOUND', { field: 'certificateId' });
        if (certificate.status !== 'valid') throw CertificationErrors.error('CERT_CERTIFICATE_NOT_VALID', { field: 'certificateId' });
        return { institutionId: certificate.institution_id, targetInstitutionId: null, certificateId: certificate.id, openKey: `${kind}:${certificate.id}`, facts: { certificateNo: certificate.certificate_no } };
      }
      case 'institution-transfer': {
        const valid = (await this.certificates.ofPerson(this.dataSource, caller.sub)).filter((c) => this.certificates.state(c) === 'valid');
        if (valid.length === 0) throw CertificationErrors.error('CERT_NOT_CERTIFIED');
        const current = valid[0]!;
        if (!current.institution_id) throw CertificationErrors.error('CERT_NO_INSTITUTION');
        if (form.toInstitutionId === current.institution_id) throw CertificationErrors.error('CERT_TRANSFER_SAME_INSTITUTION', { field: 'toInstitutionId' });
        const target = await this.identity.institution(form.toInstitutionId as string, authorization);
        if (!target || target.kind !== 'certification') throw CertificationErrors.error('CERT_INSTITUTION_UNKNOWN', { field: 'toInstitutionId' });
        return {
          institutionId: current.institution_id,
          targetInstitutionId: target.id,
          certificateId: null,
          openKey: `${kind}:${caller.sub}`,
          // 档案号: the person's certificate numbers; the institutions by name for the reviewers.
          facts: { archiveNo: current.certificate_no, fromInstitutionName: current.institution_name, toInstitutionName: target.name },
        };
      }
    }
  }

  // ---- read ----

  async list(caller: Caller, kind: ReviewCaseKind | undefined) {
    const rows = await sqlRows<ReviewCaseRow>(
      this.dataSource,
      `SELECT * FROM review_case WHERE applicant_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY created_at DESC LIMIT 200`,
      [caller.sub, kind ?? null],
    );
    return rows.map((r) => this.summary(r));
  }

  private summary(r: ReviewCaseRow) {
    const item = reviewItemName(r.kind);
    const stage = reviewStageName(r.stage);
    return {
      id: r.id,
      kind: r.kind,
      businessNo: r.business_no,
      itemName: item.zh,
      itemNameEn: item.en,
      status: r.status,
      result: r.result,
      stage: r.stage,
      stageName: stage.zh,
      stageNameEn: stage.en,
      round: r.round,
      submittedAt: r.submitted_at.toISOString(),
      decidedAt: r.decided_at?.toISOString() ?? null,
    };
  }

  /**
   * A case with its form and history: for the applicant, the association (staff, admins), the
   * users of an institution it is routed to, and an expert assigned to it; 404 for anyone else.
   */
  async view(id: string, caller: Caller) {
    const [row] = await sqlRows<ReviewCaseRow>(this.dataSource, `SELECT * FROM review_case WHERE id = $1`, [id]);
    if (!row || !(await this.access.mayRead(row, caller))) throw CertificationErrors.error('CERT_CASE_NOT_FOUND', { field: 'id' });
    const history = await sqlRows<{ action: string; actor_id: string | null; from_status: string | null; to_status: string; stage: string; opinion: string | null; round: number; details: Record<string, unknown> | null; at: Date }>(
      this.dataSource,
      `SELECT action, actor_id, from_status, to_status, stage, opinion, round, details, at FROM review_case_history WHERE case_id = $1 ORDER BY id`,
      [id],
    );
    const dueAt = await reviewDueAt(this.dataSource.manager, this.calendar.calendar, row, this.logger);
    return {
      ...this.summary(row),
      applicantId: row.applicant_id,
      institutionId: row.institution_id,
      targetInstitutionId: row.target_institution_id,
      certificateId: row.certificate_id,
      returnedFrom: row.returned_from,
      form: row.form,
      // The files the form named, every round's (e.g. the transfer's reason file): GET /api/v1/certification/attachments/{id}.
      attachments: await this.attachments.ofCase(row.id),
      dueAt: dueAt?.toISOString() ?? null,
      workflowId: reviewCaseWorkflowId(row.kind, row.id),
      history: history.map((h) => {
        const stage = reviewStageName(h.stage);
        return {
          action: h.action,
          stage: h.stage,
          stageName: stage.zh,
          stageNameEn: stage.en,
          round: h.round,
          actorId: h.actor_id,
          fromStatus: h.from_status,
          toStatus: h.to_status,
          outcome: (h.details?.outcome as string | undefined) ?? null,
          opinion: h.opinion,
          details: h.details,
          at: h.at.toISOString(),
        };
      }),
    };
  }

  // ---- rectification ----

  /** Locks the caller's own case; anyone else's is "not found" (its existence is not revealed). */
  private async owned(manager: EntityManager, id: string, caller: Caller): Promise<ReviewCaseRow> {
    const [row] = await sqlRows<ReviewCaseRow>(manager, `SELECT * FROM review_case WHERE id = $1 FOR UPDATE`, [id]);
    if (!row || row.applicant_id !== caller.sub) throw CertificationErrors.error('CERT_CASE_NOT_FOUND', { field: 'id' });
    return row;
  }

  /**
   * Edits and resubmits a case returned for rectification (整改后重新提交): the form is replaced
   * (the fields naming the subject stay), and the case goes back to the step that returned it.
   * Only while returned: anything else is refused with nothing changed.
   */
  async resubmit(id: string, caller: Caller, body: unknown, authorization: string | undefined) {
    const [peek] = await sqlRows<ReviewCaseRow>(this.dataSource, `SELECT * FROM review_case WHERE id = $1`, [id]);
    if (!peek || peek.applicant_id !== caller.sub) throw CertificationErrors.error('CERT_CASE_NOT_FOUND', { field: 'id' });
    if (peek.status !== 'returned') throw CertificationErrors.error('CERT_CASE_NOT_RETURNED', { details: { status: peek.status } });
    const form = await validReviewForm(peek.kind, body);
    for (const field of FIXED_FIELDS[peek.kind] ?? []) {
      if (form[field] !== peek.form[field]) throw CertificationErrors.error('CERT_FIELD_FIXED', { field });
    }
    const files = attachmentRefs(peek.kind, form);
    let facts: Record<string, unknown> = {};
    let target = peek.target_institution_id;
    if (peek.kind === 'institution-transfer') {
      const routing = await this.routing(peek.kind, caller, form, authorization);
      facts = routing.facts;
      target = routing.targetInstitutionId;
    }
    const row = await this.dataSource.transaction(async (manager) => {
      const current = await this.owned(manager, id, caller);
      if (current.status !== 'returned') throw CertificationErrors.error('CERT_CASE_NOT_RETURNED', { details: { status: current.status } });
      await this.attachments.requireOwn(manager, caller, files);
      const stage = current.returned_from ?? REVIEW_PLANS[current.kind].steps[0]!.stage;
      const [updated] = await sqlRows<ReviewCaseRow>(
        manager,
        `UPDATE review_case SET form = $2, target_institution_id = $3, status = 'submitted', stage = $4, returned_from = NULL, updated_at = now() WHERE id = $1 RETURNING *`,
        [id, JSON.stringify({ ...current.form, ...form, ...facts }), target, stage],
      );
      await manager.query(`INSERT INTO review_case_history (case_id, action, actor_id, from_status, to_status, stage, round) VALUES ($1, 'resubmitted', $2, 'returned', 'submitted', $3, $4)`, [
        id,
        caller.sub,
        stage,
        updated!.round,
      ]);
      await this.attachments.link(manager, id, files, updated!.round);
      await appendReviewCase(manager, this.outbox, updated!, { milestone: 'resubmitted', dueAt: await reviewDueAt(manager, this.calendar.calendar, updated!, this.logger), actorId: caller.sub });
      return updated!;
    });
    await this.starter.deliver(id);
    return { id, businessNo: row.business_no, status: row.status, stage: row.stage, round: row.round };
  }

  /**
   * Withdraws a case returned for rectification (撤回): it ends as withdrawn and its workflow is
   * told to end. Withdrawing again answers the same; a case under review or decided is refused.
   */
  async withdraw(id: string, caller: Caller) {
    const row = await this.dataSource.transaction(async (manager) => {
      const current = await this.owned(manager, id, caller);
      if (current.status === 'withdrawn') return current;
      if (current.status === 'decided') throw CertificationErrors.error('CERT_CASE_FINISHED', { details: { result: current.result } });
      if (current.status !== 'returned') throw CertificationErrors.error('CERT_CASE_NOT_WITHDRAWABLE', { details: { stage: current.stage } });
      const [updated] = await sqlRows<ReviewCaseRow>(
        manager,
        `UPDATE review_case SET status = 'withdrawn', result = 'withdrawn', stage = 'finished', open_key = NULL, decided_at = now(), updated_at = now() WHERE id = $1 RETURNING *`,
        [id],
      );
      await manager.query(`INSERT INTO review_case_history (case_id, action, actor_id, from_status, to_status, stage, round) VALUES ($1, 'withdrawn', $2, 'returned', 'withdrawn', 'rectification', $3)`, [
        id,
        caller.sub,
        updated!.round,
      ]);
      await appendReviewCase(manager, this.outbox, updated!, { milestone: 'withdrawn', actorId: caller.sub });
      return updated!;
    });
    await this.starter.deliver(id);
    return { id, businessNo: row.business_no, status: row.status, result: row.result };
  }
}

export type { CertificateRow };
