import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { nextBusinessNumber, OutboxWriter, sqlRows, uniqueViolation } from '@certhub/persistence';
import { certApplicationWorkflowId } from '@certhub/workflows-certification';
import { appendApplicationCase, applicationCaseState, applicationItemName, stageName, type ApplicationRow } from '../cases/application-case';
import { CertificationConfig } from '../certification.config';
import { CertificationErrors } from '../certification.errors';
import { applicationDueAt, CertificationCalendar } from '../process/application.activities';
import { ApplicationWorkflowStarter } from '../process/workflow-starter';
import { Logger } from '@certhub/logging';
import { IdentityClient, type LibraryEducation, type LibraryRecord } from '../library/identity-client';
import { LIBRARY_KIND, recordFromLibrary } from '../library/library-mapping';
import {
  APPLICATION_KINDS,
  APPLICATION_TYPES,
  fieldName,
  PAYMENT_METHODS,
  RECORD_KIND_CODES,
  type ApplicationType,
  type Named,
  type RecordKind,
} from './application-catalogue';
import type { ApplicationFormDto, LibraryCopyItemDto } from './application.dtos';
import { isEditable, OPEN_STATUSES } from './application.entities';
import { formFromDto } from './form-rules';
import { gradeName, incompleteError, submissionReadiness, type ApplicationForm, type FormRecord } from './readiness';
import { validRecord, type RecordData } from './records';


interface RecordRow {
  id: string;
  application_id: string;
  kind: RecordKind;
  position: number;
  data: RecordData;
  library_record_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const formOf = (r: ApplicationRow): ApplicationForm => ({
  applicationType: r.application_type,
  grade: r.grade,
  field: r.field,
  kind: r.kind,
  specialty: r.specialty,
  narrowScope: r.narrow_scope,
  paymentBy: r.payment_by,
  institutionId: r.institution_id,
});


const named = (n: Named | null | undefined) => (n ? { nameZh: n.zh, nameEn: n.en } : null);
const lookup = (catalogue: Record<string, Named>, code: string | null) => (code && Object.prototype.hasOwnProperty.call(catalogue, code) ? catalogue[code] : null);

function recordView(r: RecordRow) {
  return { id: r.id, kind: r.kind, ...r.data, source: r.library_record_id ? 'library' : 'direct', libraryRecordId: r.library_record_id, updatedAt: r.updated_at.toISOString() };
}

function feeOf(history: Array<{ details: Record<string, unknown> | null }>) {
  // The step that asked for it names the fee first; the payment step's entry says how it ended.
  const asked = history.find((h) => typeof h.details?.feeId === 'string' && typeof h.details?.amountFen === 'number');
  if (!asked) return null;
  const feeId = asked.details!.feeId as string;
  const settled = history.find((h) => h.details?.feeId === feeId && typeof h.details?.feeOutcome === 'string');
  // Who pays it (cases asked before the institution's fee child existed name no payer: the applicant).
  const payerKind = asked.details!.payerKind === 'institution' ? 'institution' : 'person';
  return { feeId, amountFen: asked.details!.amountFen as number, payerKind, outcome: (settled?.details?.feeOutcome as string | undefined) ?? null, link: `/api/v1/payment/fees/${feeId}` };
}


/**
 * The applicant's registration applications while they are drafts (CE-1, CE-2): the form, its
 * records (added directly or copied from the basic info library), the view with its readiness,
 * and the case in my items. Every read and write is the applicant's own: another person's id is
 * "not found". Edits happen only while the application is a draft or returned for rectification.
 */
@Injectable()
export class ApplicationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly identity: IdentityClient,
    private readonly config: CertificationConfig,
    private readonly starter: ApplicationWorkflowStarter,
    private readonly calendar: CertificationCalendar,
    private readonly logger: Logger,
  ) {}

  // ---- reading ----

  private async owned(runner: EntityManager | DataSource, id: string, applicantId: string, lock = false): Promise<ApplicationRow> {
    const [row] = await sqlRows<ApplicationRow>(runner, `SELECT * FROM application WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row || row.applicant_id !== applicantId) throw CertificationErrors.error('CERT_APPLICATION_NOT_FOUND', { field: 'id' });
    return row;
  }

  /** The caller's application, locked for the transaction, and editable (draft or returned). */
  private async editable(manager: EntityManager, id: string, applicantId: string): Promise<ApplicationRow> {
    const row = await this.owned(manager, id, applicantId, true);
    if (!isEditable(row.status)) throw CertificationErrors.error('CERT_APPLICATION_LOCKED', { details: { status: row.status } });
    return row;
  }

  private async records(runner: EntityManager | DataSource, applicationId: string): Promise<RecordRow[]> {
    return sqlRows<RecordRow>(runner, `SELECT * FROM application_record WHERE application_id = $1 ORDER BY kind, position`, [applicationId]);
  }

  async list(applicantId: string) {
    const rows = await sqlRows<ApplicationRow>(this.dataSource, `SELECT * FROM application WHERE applicant_id = $1 ORDER BY created_at DESC LIMIT 200`, [applicantId]);
    return {
      applications: rows.map((r) => {
        const item = applicationItemName(r.application_type, r.field);
        const stage = stageName(r.stage);
        return {
          id: r.id,
          businessNo: r.business_no,
          itemName: item.zh,
          itemNameEn: item.en,
          status: r.status,
          stage: r.stage,
          stageName: stage.zh,
          stageNameEn: stage.en,
          editable: isEditable(r.status),
          createdAt: r.created_at.toISOString(),
          updatedAt: r.updated_at.toISOString(),
        };
      }),
    };
  }

  /** Everything of one application: form, records by kind, readiness, history (owner only). */
  async view(id: string, applicantId: string) {
    const r = await this.owned(this.dataSource, id, applicantId);
    return this.viewOf(this.dataSource, r);
  }

  private async viewOf(runner: EntityManager | DataSource, r: ApplicationRow) {
    const [records, history] = await Promise.all([
      this.records(runner, r.id),
      sqlRows<{ action: string; actor_id: string | null; from_status: string | null; to_status: string; stage: string; opinion: string | null; round: number; details: Record<string, unknown> | null; at: Date }>(
        runner,
        `SELECT action, actor_id, from_status, to_status, stage, opinion, round, details, at FROM application_history WHERE application_id = $1 ORDER BY id`,
        [r.id],
      ),
    ]);
    const [certificate] = await sqlRows<{ certificate_no: string; grade: string; field: string; issued_at: Date; valid_until: Date; status: string }>(
      runner,
      `SELECT certificate_no, grade, field, issued_at, valid_until, status FROM certificate WHERE application_id = $1`,
      [r.id],
    );
    const form = formOf(r);
    const type = lookup(APPLICATION_TYPES, r.application_type) as (typeof APPLICATION_TYPES)[ApplicationType] | null;
    const item = applicationItemName(r.application_type, r.field);
    const stage = stageName(r.stage);
    const byKind = Object.fromEntries(RECORD_KIND_CODES.map((k) => [k, records.filter((x) => x.kind === k).map(recordView)]));
    return {
      id: r.id,
      businessNo: r.business_no,
      itemName: item.zh,
      itemNameEn: item.en,
      status: r.status,
      stage: r.stage,
      stageName: stage.zh,
      stageNameEn: stage.en,
      editable: isEditable(r.status),
      form: {
        applicationType: r.application_type,
        applicationTypeName: named(type),
        grade: r.grade,
        gradeName: named(gradeName(r.application_type, r.grade)),
        field: r.field,
        fieldName: named(r.application_type && r.field && type ? fieldName(r.application_type as ApplicationType, r.field) : null),
        kind: r.kind,
        kindName: named(lookup(APPLICATION_KINDS, r.kind)),
        specialty: r.specialty,
        narrowScope: r.narrow_scope,
        paymentBy: r.payment_by,
        paymentByName: named(lookup(PAYMENT_METHODS, r.payment_by)),
        institution: r.institution_id ? { id: r.institution_id, name: r.institution_name } : null,
      },
      records: byKind,
      readiness: submissionReadiness(form, records.map((x): FormRecord => ({ id: x.id, kind: x.kind, data: x.data }))),
      history: history.map((h) => ({
        action: h.action,
        actorId: h.actor_id,
        fromStatus: h.from_status,
        toStatus: h.to_status,
        stage: h.stage,
        stageName: stageName(h.stage).zh,
        stageNameEn: stageName(h.stage).en,
        round: h.round,
        opinion: h.opinion,
        // The reviewer's outcome, the expert's verdicts per record and the non-conformities, the assigned expert, the fee.
        details: h.details,
        at: h.at.toISOString(),
      })),
      round: r.round,
      returnedFrom: r.returned_from,
      // The registration fee the applicant is asked to pay (payment service: GET /api/v1/payment/fees/{feeId}).
      fee: feeOf(history),
      certificate: certificate
        ? { certificateNo: certificate.certificate_no, grade: certificate.grade, field: certificate.field, issuedAt: certificate.issued_at.toISOString(), validUntil: certificate.valid_until.toISOString(), status: certificate.status }
        : null,
      workflowId: r.status === 'draft' ? null : certApplicationWorkflowId(r.id),
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
      submittedAt: r.submitted_at?.toISOString() ?? null,
    };
  }

  // ---- submit (CE-3) ----

  /**
   * CE-3 submit: a complete draft goes to the institution review and starts the application
   * workflow; an application returned for rectification goes back to the review that returned it
   * (the running workflow is signalled). Incomplete → 422 with everything missing, nothing
   * changed. Submitting again while submitted answers the same (one workflow). The change is
   * committed first; the workflow is told right after, or by the runtime's starter when Temporal
   * is not reachable.
   */
  async submit(id: string, applicantId: string, authorization?: string) {
    const applicantName = await this.holderName(applicantId, authorization);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const row = await this.owned(manager, id, applicantId, true);
      if (row.status === 'submitted') return { row, replayed: true };
      if (!isEditable(row.status)) throw CertificationErrors.error('CERT_APPLICATION_NOT_SUBMITTABLE', { details: { status: row.status } });
      const records = await this.records(manager, id);
      const readiness = submissionReadiness(formOf(row), records.map((x): FormRecord => ({ id: x.id, kind: x.kind, data: x.data })));
      if (!readiness.ready) throw incompleteError(readiness);
      const first = row.status === 'draft';
      const stage = first ? 'institution-review' : (row.returned_from ?? 'institution-review');
      const [updated] = await sqlRows<ApplicationRow>(
        manager,
        `UPDATE application SET status = 'submitted', stage = $2, submitted_at = COALESCE(submitted_at, now()), returned_from = NULL, applicant_name = COALESCE($3, applicant_name), updated_at = now() WHERE id = $1 RETURNING *`,
        [id, stage, applicantName],
      );
      await manager.query(
        `INSERT INTO application_history (application_id, action, actor_id, from_status, to_status, stage, round) VALUES ($1, $2, $3, $4, 'submitted', $5, $6)`,
        [id, first ? 'submitted' : 'resubmitted', applicantId, row.status, stage, updated!.round],
      );
      const dueAt = await applicationDueAt(manager, this.calendar.calendar, this.config.APPLICATION_DEADLINE_WORKING_DAYS, id, this.logger);
      await appendApplicationCase(manager, this.outbox, applicationCaseState(updated!), {
        milestone: first ? 'submitted' : 'resubmitted',
        dueAt,
        institutionId: updated!.institution_id,
        actorId: applicantId,
      });
      return { row: updated!, replayed: false };
    });
    if (!outcome.replayed || outcome.row.workflow_round < outcome.row.round) await this.starter.deliver(id);
    return { id, businessNo: outcome.row.business_no, status: 'submitted' as const, stage: outcome.row.stage, round: outcome.row.round, workflowId: certApplicationWorkflowId(id) };
  }

  // ---- withdraw (撤回, CE-3) ----

  /**
   * 撤回: the applicant gives up a draft, or an application returned for rectification (the
   * applicant has it). Status `withdrawn`, stage `finished`, a history entry and the case event
   * with milestone `withdrawn` (my items: done). A returned case's workflow waits for the
   * resubmit: it is told with the signal `withdraw` right after the commit, or by the starter when
   * Temporal is not reachable (`workflow_round < round` while withdrawn), and ends. An
   * application under review or decided → 409 `CERT_APPLICATION_NOT_WITHDRAWABLE`; withdrawing
   * again answers the same.
   */
  async withdraw(id: string, applicantId: string) {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const row = await this.owned(manager, id, applicantId, true);
      if (row.status === 'withdrawn') return row;
      if (row.status !== 'draft' && row.status !== 'returned') {
        throw CertificationErrors.error('CERT_APPLICATION_NOT_WITHDRAWABLE', { field: 'status', details: { status: row.status, stage: row.stage } });
      }
      const [updated] = await sqlRows<ApplicationRow>(manager, `UPDATE application SET status = 'withdrawn', stage = 'finished', updated_at = now() WHERE id = $1 RETURNING *`, [id]);
      await manager.query(
        `INSERT INTO application_history (application_id, action, actor_id, from_status, to_status, stage, round) VALUES ($1, 'withdrawn', $2, $3, 'withdrawn', $4, $5)`,
        [id, applicantId, row.status, row.stage, row.round],
      );
      await appendApplicationCase(manager, this.outbox, applicationCaseState(updated!), {
        milestone: 'withdrawn',
        dueAt: null,
        // A draft was never routed to the institution; a returned case was.
        institutionId: row.status === 'draft' ? null : updated!.institution_id,
        actorId: applicantId,
      });
      return updated!;
    });
    const hasWorkflow = outcome.workflow_round > 0;
    if (hasWorkflow && outcome.workflow_round < outcome.round) await this.starter.deliver(id);
    return { id, businessNo: outcome.business_no, status: 'withdrawn' as const, stage: outcome.stage, round: outcome.round, workflowId: hasWorkflow ? certApplicationWorkflowId(id) : null };
  }

  /**
   * The holder's name for the certificate (CE-9: the public query matches number and name), as
   * identity has it at the submit; asked before the transaction. The submit does not wait for
   * identity: when it cannot answer, the name stays as the last submit stored it (null at first)
   * and a certificate issued without one is not found by the public query until it is set.
   */
  private async holderName(applicantId: string, authorization: string | undefined): Promise<string | null> {
    if (authorization === undefined) return null;
    try {
      return (await this.identity.profile(authorization)).realName;
    } catch (err) {
      this.logger.warn('the applicant\'s name could not be read from identity at the submit; kept as it was', { applicationOwner: applicantId, err: err instanceof Error ? err.message : String(err) });
      return null;
    }
  }

  // ---- the form ----

  /** The institution's name from identity's directory; a certification body only. Asked before any transaction. */
  private async institutionName(institutionId: string, authorization: string | undefined): Promise<string> {
    const institution = await this.identity.institution(institutionId, authorization);
    if (!institution || institution.kind !== 'certification') throw CertificationErrors.error('CERT_INSTITUTION_UNKNOWN', { field: 'institutionId' });
    return institution.name;
  }

  private async refuseSecondOpen(manager: EntityManager, applicantId: string, form: ApplicationForm, exceptId: string | null): Promise<void> {
    if (!form.applicationType || !form.field) return;
    const [other] = await sqlRows<{ id: string; business_no: string }>(
      manager,
      `SELECT id, business_no FROM application
        WHERE applicant_id = $1 AND application_type = $2 AND field = $3 AND status = ANY($4::text[]) AND id IS DISTINCT FROM $5::uuid`,
      [applicantId, form.applicationType, form.field, OPEN_STATUSES, exceptId],
    );
    if (other) throw CertificationErrors.error('CERT_APPLICATION_EXISTS', { field: 'field', details: { id: other.id, businessNo: other.business_no } });
  }

  /**
   * CE-2: starts a draft. One open application per type and field; at most
   * MAX_OPEN_APPLICATIONS open ones; a create repeated with the same Idempotency-Key returns the
   * first one (`replayed`). The applicant's creates are serialised by an advisory lock, so the
   * checks and the insert cannot interleave.
   */
  async create(applicantId: string, dto: ApplicationFormDto, createKey: string | undefined, authorization: string | undefined) {
    const form = formFromDto(dto);
    const institutionName = form.institutionId ? await this.institutionName(form.institutionId, authorization) : null;
    try {
      return await this.dataSource.transaction(async (manager) => {
        await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('certification.application:' || $1, 0))`, [applicantId]);
        if (createKey) {
          const [earlier] = await sqlRows<{ id: string; business_no: string }>(manager, `SELECT id, business_no FROM application WHERE applicant_id = $1 AND create_key = $2`, [
            applicantId,
            createKey,
          ]);
          if (earlier) return { id: earlier.id, businessNo: earlier.business_no, replayed: true };
        }
        const [open] = await sqlRows<{ n: string }>(manager, `SELECT count(*) AS n FROM application WHERE applicant_id = $1 AND status = ANY($2::text[])`, [
          applicantId,
          OPEN_STATUSES,
        ]);
        if (Number(open!.n) >= this.config.MAX_OPEN_APPLICATIONS) {
          throw CertificationErrors.error('CERT_TOO_MANY_APPLICATIONS', { details: { limit: this.config.MAX_OPEN_APPLICATIONS } });
        }
        await this.refuseSecondOpen(manager, applicantId, form, null);
        const id = randomUUID();
        // Taken last in a short transaction: the hour's counter row stays locked until commit (ADR 0006).
        const businessNo = await nextBusinessNumber(manager);
        const [row] = await sqlRows<ApplicationRow>(
          manager,
          `INSERT INTO application (id, applicant_id, business_no, status, stage, application_type, grade, field, kind, specialty, narrow_scope, payment_by,
                                   institution_id, institution_name, create_key)
           VALUES ($1, $2, $3, 'draft', 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
          [id, applicantId, businessNo, form.applicationType, form.grade, form.field, form.kind, form.specialty, form.narrowScope, form.paymentBy, form.institutionId, institutionName, createKey ?? null],
        );
        await manager.query(
          `INSERT INTO application_history (application_id, action, actor_id, from_status, to_status, stage) VALUES ($1, 'created', $2, NULL, 'draft', 'draft')`,
          [id, applicantId],
        );
        await appendApplicationCase(manager, this.outbox, applicationCaseState(row!));
        return { id, businessNo, replayed: false };
      });
    } catch (err) {
      // Backstops of the checks above (they cannot race under the advisory lock, but the indexes are the rule).
      if (uniqueViolation(err) === 'uq_application_open_per_field') throw CertificationErrors.error('CERT_APPLICATION_EXISTS', { field: 'field' });
      throw err;
    }
  }

  /** CE-2: saves the form of a draft (or of an application returned for rectification). */
  async updateForm(id: string, applicantId: string, dto: ApplicationFormDto, authorization: string | undefined) {
    const form = formFromDto(dto);
    // Ownership and state first: another person's id is "not found" before identity is asked.
    const current = await this.owned(this.dataSource, id, applicantId);
    if (!isEditable(current.status)) throw CertificationErrors.error('CERT_APPLICATION_LOCKED', { details: { status: current.status } });
    let institutionName: string | null = null;
    if (form.institutionId) {
      institutionName = form.institutionId === current.institution_id && current.institution_name ? current.institution_name : await this.institutionName(form.institutionId, authorization);
    }
    try {
      return await this.dataSource.transaction(async (manager) => {
        const before = await this.editable(manager, id, applicantId);
        await this.refuseSecondOpen(manager, applicantId, form, id);
        const [after] = await sqlRows<ApplicationRow>(
          manager,
          `UPDATE application SET application_type = $2, grade = $3, field = $4, kind = $5, specialty = $6, narrow_scope = $7, payment_by = $8,
                  institution_id = $9, institution_name = $10, updated_at = now()
            WHERE id = $1 RETURNING *`,
          [id, form.applicationType, form.grade, form.field, form.kind, form.specialty, form.narrowScope, form.paymentBy, form.institutionId, institutionName],
        );
        // My items shows the item name: a new event only when it changed (no history entry per keystroke).
        const nameBefore = applicationItemName(before.application_type, before.field);
        const nameAfter = applicationItemName(after!.application_type, after!.field);
        if (nameBefore.zh !== nameAfter.zh) await appendApplicationCase(manager, this.outbox, applicationCaseState(after!));
        return this.viewOf(manager, after!);
      });
    } catch (err) {
      if (uniqueViolation(err) === 'uq_application_open_per_field') throw CertificationErrors.error('CERT_APPLICATION_EXISTS', { field: 'field' });
      throw err;
    }
  }

  // ---- records ----

  private async refuseOverLimit(manager: EntityManager, applicationId: string, kind: RecordKind, adding: number): Promise<number> {
    const [row] = await sqlRows<{ n: string; last: number | null }>(manager, `SELECT count(*) AS n, max(position) AS last FROM application_record WHERE application_id = $1 AND kind = $2`, [
      applicationId,
      kind,
    ]);
    if (Number(row!.n) + adding > this.config.MAX_RECORDS_PER_KIND) {
      throw CertificationErrors.error('CERT_TOO_MANY_RECORDS', { field: `records.${kind}`, details: { limit: this.config.MAX_RECORDS_PER_KIND } });
    }
    return row!.last === null ? 0 : Number(row!.last) + 1;
  }

  private async touch(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE application SET updated_at = now() WHERE id = $1`, [id]);
  }

  async addRecord(id: string, applicantId: string, kind: RecordKind, body: unknown) {
    const data = await validRecord(kind, body);
    return this.dataSource.transaction(async (manager) => {
      await this.editable(manager, id, applicantId);
      const position = await this.refuseOverLimit(manager, id, kind, 1);
      const [row] = await sqlRows<RecordRow>(
        manager,
        `INSERT INTO application_record (id, application_id, kind, position, data) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [randomUUID(), id, kind, position, JSON.stringify(data)],
      );
      await this.touch(manager, id);
      return recordView(row!);
    });
  }

  async updateRecord(id: string, applicantId: string, kind: RecordKind, recordId: string, body: unknown) {
    const data = await validRecord(kind, body);
    return this.dataSource.transaction(async (manager) => {
      await this.editable(manager, id, applicantId);
      const [row] = await sqlRows<RecordRow>(
        manager,
        `UPDATE application_record SET data = $4, updated_at = now() WHERE id = $1 AND application_id = $2 AND kind = $3 RETURNING *`,
        [recordId, id, kind, JSON.stringify(data)],
      );
      if (!row) throw CertificationErrors.error('CERT_RECORD_NOT_FOUND', { field: 'recordId' });
      await this.touch(manager, id);
      return recordView(row);
    });
  }

  async removeRecord(id: string, applicantId: string, kind: RecordKind, recordId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.editable(manager, id, applicantId);
      const rows = await sqlRows<{ id: string }>(manager, `DELETE FROM application_record WHERE id = $1 AND application_id = $2 AND kind = $3 RETURNING id`, [recordId, id, kind]);
      if (rows.length === 0) throw CertificationErrors.error('CERT_RECORD_NOT_FOUND', { field: 'recordId' });
      await this.touch(manager, id);
    });
  }

  /**
   * 从基本信息库添加 (ID-11, CE-1): copies the chosen library records into the application, all or
   * none. The library is read from identity with the caller's token (ADR 0013) before the
   * transaction; a record the caller's library does not hold is "not found", one already copied
   * into this application is refused.
   */
  async copyFromLibrary(id: string, applicantId: string, items: LibraryCopyItemDto[], authorization: string | undefined) {
    const current = await this.owned(this.dataSource, id, applicantId);
    if (!isEditable(current.status)) throw CertificationErrors.error('CERT_APPLICATION_LOCKED', { details: { status: current.status } });
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const key = item.libraryRecordId.toLowerCase();
      if (seen.has(key)) throw CertificationErrors.error('CERT_RECORD_ALREADY_COPIED', { field: `items[${i}].libraryRecordId` });
      seen.set(key, i);
    });
    const needsEducation = items.some((i) => i.kind === 'education');
    const needsRecords = items.some((i) => i.kind !== 'education');
    const [educations, library] = await Promise.all([
      needsEducation ? this.identity.profile(authorization).then((p) => p.educations) : Promise.resolve([] as LibraryEducation[]),
      needsRecords ? this.identity.records(authorization) : Promise.resolve([] as LibraryRecord[]),
    ]);
    const copies = items.map((item, i) => {
      const key = item.libraryRecordId.toLowerCase();
      const source =
        item.kind === 'education'
          ? educations.find((e) => e.id.toLowerCase() === key)
          : library.find((r) => r.id.toLowerCase() === key && r.kind === LIBRARY_KIND[item.kind]);
      if (!source) throw CertificationErrors.error('CERT_LIBRARY_RECORD_NOT_FOUND', { field: `items[${i}].libraryRecordId` });
      return { kind: item.kind, libraryRecordId: key, data: recordFromLibrary(item.kind, source) };
    });
    try {
      return await this.copyInTransaction(id, applicantId, copies);
    } catch (err) {
      if (uniqueViolation(err) === 'uq_application_record_library') throw CertificationErrors.error('CERT_RECORD_ALREADY_COPIED', { field: 'items' });
      throw err;
    }
  }

  private copyInTransaction(id: string, applicantId: string, copies: Array<{ kind: RecordKind; libraryRecordId: string; data: RecordData }>) {
    return this.dataSource.transaction(async (manager) => {
      await this.editable(manager, id, applicantId);
      const existing = await sqlRows<{ library_record_id: string }>(
        manager,
        `SELECT library_record_id FROM application_record WHERE application_id = $1 AND library_record_id = ANY($2::uuid[])`,
        [id, copies.map((c) => c.libraryRecordId)],
      );
      const already = copies.findIndex((c) => existing.some((e) => e.library_record_id === c.libraryRecordId));
      if (already >= 0) throw CertificationErrors.error('CERT_RECORD_ALREADY_COPIED', { field: `items[${already}].libraryRecordId` });
      const next = new Map<RecordKind, number>();
      for (const kind of new Set(copies.map((c) => c.kind))) {
        next.set(kind, await this.refuseOverLimit(manager, id, kind, copies.filter((c) => c.kind === kind).length));
      }
      const created: RecordRow[] = [];
      for (const c of copies) {
        const position = next.get(c.kind)!;
        next.set(c.kind, position + 1);
        const [row] = await sqlRows<RecordRow>(
          manager,
          `INSERT INTO application_record (id, application_id, kind, position, data, library_record_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [randomUUID(), id, c.kind, position, JSON.stringify(c.data), c.libraryRecordId],
        );
        created.push(row!);
      }
      await this.touch(manager, id);
      return { records: created.map(recordView) };
    });
  }
}
