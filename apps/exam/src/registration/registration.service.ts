import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import { appendRegistrationCase, registrationStage, REGISTRATION_STAGES, type RegistrationCaseState } from '../cases/registration-case';
import { CatalogueService, type PeriodRow } from '../catalogue/catalogue.service';
import { ExamErrors } from '../exam.errors';
import type { RegistrationInfoDto } from './registration.dtos';
import type { RegistrationInfo, RegistrationStatus } from './registration.entities';
import { IdentityDirectory } from './identity-directory';
import { nextRegistrationNumber } from './registration-number';
import { isValidSocialCreditCode } from './social-credit-code';

export interface RegistrationRow {
  id: string;
  period_id: string;
  candidate_id: string;
  business_no: string;
  status: RegistrationStatus;
  active: boolean;
  notice_accepted_at: Date;
  info: RegistrationInfo | null;
  invoice_type: 'none' | 'personal' | 'enterprise' | null;
  invoice_title: string | null;
  invoice_tax_id: string | null;
  offering_ids: string[] | null;
  city_code: string | null;
  created_at: Date;
}

export function caseState(r: RegistrationRow): RegistrationCaseState {
  return {
    id: r.id,
    businessNo: r.business_no,
    candidateId: r.candidate_id,
    status: r.status,
    infoDone: r.info !== null,
    subjectsDone: (r.offering_ids?.length ?? 0) > 0,
    cityDone: r.city_code !== null,
    createdAt: r.created_at,
  };
}

export function registrationOpen(period: PeriodRow, now = new Date()): boolean {
  return period.registration_opens_at <= now && now < period.registration_closes_at;
}

/** EX-2 … EX-7, EX-9: the candidate's registration and its steps until an order exists. */
@Injectable()
export class RegistrationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly catalogue: CatalogueService,
    private readonly identity: IdentityDirectory,
  ) {}

  /** The caller's registration, locked for the transaction; another person's is "not found". */
  async lockOwned(manager: EntityManager, id: string, candidateId: string): Promise<RegistrationRow> {
    const [row] = await sqlRows<RegistrationRow>(manager, `SELECT * FROM registration WHERE id = $1 FOR UPDATE`, [id]);
    if (!row || row.candidate_id !== candidateId) throw ExamErrors.error('EXAM_NOT_FOUND', { field: 'id' });
    return row;
  }

  /** EX-2: open periods with the caller's status (未报考 / 报名中 / 已报考). */
  async periods(candidateId: string) {
    const periods = await this.catalogue.openPeriods();
    const mine = await sqlRows<{ id: string; period_id: string; status: RegistrationStatus }>(
      this.dataSource,
      `SELECT id, period_id, status FROM registration WHERE candidate_id = $1 AND active AND period_id = ANY($2::uuid[])`,
      [candidateId, periods.map((p) => p.id)],
    );
    return {
      periods: periods.map((p) => {
        const r = mine.find((m) => m.period_id === p.id);
        const status = !r ? 'not-registered' : r.status === 'paid' ? 'registered' : 'registering';
        return {
          id: p.id,
          code: p.code,
          name: p.name,
          registrationOpensAt: p.registration_opens_at.toISOString(),
          registrationClosesAt: p.registration_closes_at.toISOString(),
          refundWindow: { opensAt: p.refund_opens_at.toISOString(), closesAt: p.refund_closes_at.toISOString() },
          paymentTimeoutMinutes: p.payment_timeout_minutes,
          myStatus: status,
          myStatusZh: { 'not-registered': '未报考', registering: '报名中', registered: '已报考' }[status],
          registrationId: r?.id ?? null,
        };
      }),
    };
  }

  /** EX-3: starts a registration once the notice is accepted; needs an accepted photo (PH-3). */
  async start(periodId: string, candidateId: string, noticeAccepted: boolean): Promise<{ id: string; businessNo: string }> {
    if (noticeAccepted !== true) throw ExamErrors.error('EXAM_NOTICE_NOT_ACCEPTED', { field: 'noticeAccepted' });
    const period = await this.catalogue.period(this.dataSource, periodId);
    if (!registrationOpen(period)) throw ExamErrors.error('EXAM_REGISTRATION_CLOSED', { field: 'periodId' });
    const photo = await sqlRows(this.dataSource, `SELECT 1 FROM accepted_photo WHERE account_id = $1`, [candidateId]);
    if (photo.length === 0) throw ExamErrors.error('EXAM_PHOTO_REQUIRED');
    try {
      return await this.dataSource.transaction(async (manager) => {
        const id = randomUUID();
        // Taken last-but-one in a short transaction: the counter row is locked until commit.
        const businessNo = await nextRegistrationNumber(manager);
        const [row] = await sqlRows<RegistrationRow>(
          manager,
          `INSERT INTO registration (id, period_id, candidate_id, business_no, status, active, notice_accepted_at)
           VALUES ($1, $2, $3, $4, 'draft', true, now()) RETURNING *`,
          [id, periodId, candidateId, businessNo],
        );
        await appendRegistrationCase(manager, this.outbox, caseState(row!), period);
        return { id, businessNo };
      });
    } catch (err) {
      if ((err as { constraint?: string }).constraint === 'uq_registration_active') throw ExamErrors.error('EXAM_ALREADY_REGISTERED', { field: 'periodId' });
      throw err;
    }
  }

  /** Runs a step change on a draft registration inside the registration window (EX-7, ST-3). */
  private async editDraft(id: string, candidateId: string, change: (manager: EntityManager, r: RegistrationRow, period: PeriodRow) => Promise<void>) {
    return this.dataSource.transaction(async (manager) => {
      const r = await this.lockOwned(manager, id, candidateId);
      if (r.status !== 'draft') throw ExamErrors.error('EXAM_REGISTRATION_LOCKED');
      const period = await this.catalogue.period(manager, r.period_id);
      if (!registrationOpen(period)) throw ExamErrors.error('EXAM_REGISTRATION_CLOSED');
      await change(manager, r, period);
      const [updated] = await sqlRows<RegistrationRow>(manager, `SELECT * FROM registration WHERE id = $1`, [id]);
      if (registrationStage(caseState(updated!)) !== registrationStage(caseState(r))) {
        await appendRegistrationCase(manager, this.outbox, caseState(updated!), period);
      }
      return this.progress(updated!);
    });
  }

  /** EX-4. The personal invoice's title is the candidate's name from identity; enterprise needs title and a valid code. */
  async saveInfo(id: string, candidateId: string, dto: RegistrationInfoDto, authorization: string | undefined) {
    const invoice = dto.invoice;
    if (invoice.type === 'none' && (invoice.title !== undefined || invoice.taxId !== undefined)) {
      throw ExamErrors.error('EXAM_INVOICE_TITLE', { field: invoice.title !== undefined ? 'invoice.title' : 'invoice.taxId' });
    }
    if (invoice.type === 'personal' && invoice.taxId !== undefined) throw ExamErrors.error('EXAM_TAX_ID_INVALID', { field: 'invoice.taxId' });
    if (invoice.type === 'enterprise') {
      if (!invoice.title || invoice.title.trim().length === 0) throw ExamErrors.error('EXAM_INVOICE_TITLE', { field: 'invoice.title' });
      if (!invoice.taxId || !isValidSocialCreditCode(invoice.taxId)) throw ExamErrors.error('EXAM_TAX_ID_INVALID', { field: 'invoice.taxId' });
    }
    // Ownership and state first, so another person's id is "not found" before identity is asked.
    await this.dataSource.transaction((manager) => this.lockOwned(manager, id, candidateId));
    const profile = await this.identity.me(authorization);
    if (invoice.type === 'personal' && invoice.title !== undefined && invoice.title !== profile.realName) {
      throw ExamErrors.error('EXAM_INVOICE_TITLE', { field: 'invoice.title', en: 'A personal invoice is made out to the candidate; the title cannot be changed.', zh: '个人发票抬头为考生姓名，不可修改。' });
    }
    const info: RegistrationInfo = {
      nationality: dto.nationality,
      ethnicity: dto.ethnicity,
      residenceCity: dto.residenceCity,
      education: dto.education,
      workUnit: dto.workUnit ?? null,
      address: dto.address,
      email: dto.email,
      phone: dto.phone,
      realName: profile.realName,
      idType: profile.idType,
      gender: profile.gender,
      birthDate: profile.birthDate,
    };
    const title = invoice.type === 'personal' ? profile.realName : invoice.type === 'enterprise' ? invoice.title!.trim() : null;
    return this.editDraft(id, candidateId, async (manager) => {
      await manager.query(
        `UPDATE registration SET info = $2, invoice_type = $3, invoice_title = $4, invoice_tax_id = $5, updated_at = now() WHERE id = $1`,
        [id, JSON.stringify(info), invoice.type, title, invoice.type === 'enterprise' ? invoice.taxId : null],
      );
    });
  }

  /** EX-5: subjects of this period, at most one per session. */
  async saveSubjects(id: string, candidateId: string, offeringIds: string[]) {
    if (offeringIds.length === 0) throw ExamErrors.error('EXAM_SUBJECTS_EMPTY', { field: 'offeringIds' });
    const duplicate = offeringIds.findIndex((o, i) => offeringIds.indexOf(o) !== i);
    if (duplicate >= 0) throw ExamErrors.error('EXAM_SUBJECT_DUPLICATE', { field: `offeringIds[${duplicate}]` });
    return this.editDraft(id, candidateId, async (manager, r) => {
      const offerings = await this.catalogue.offerings(manager, r.period_id, offeringIds);
      const unknown = offeringIds.findIndex((o) => !offerings.some((x) => x.id === o));
      if (unknown >= 0) throw ExamErrors.error('EXAM_SUBJECT_UNKNOWN', { field: `offeringIds[${unknown}]` });
      const sessions = new Map<string, string>();
      for (const id of offeringIds) {
        const o = offerings.find((x) => x.id === id)!;
        const other = sessions.get(o.session_id);
        if (other) {
          throw ExamErrors.error('EXAM_SESSION_CONFLICT', {
            field: `offeringIds[${offeringIds.indexOf(id)}]`,
            details: { sessionCode: o.session_code, offerings: [other, o.code] },
          });
        }
        sessions.set(o.session_id, o.code);
      }
      await manager.query(`UPDATE registration SET offering_ids = $2, updated_at = now() WHERE id = $1`, [id, offeringIds]);
    });
  }

  /** EX-6: one city for the whole registration. */
  async saveCity(id: string, candidateId: string, cityCode: string) {
    return this.editDraft(id, candidateId, async (manager, r) => {
      if (!(await this.catalogue.city(manager, r.period_id, cityCode))) throw ExamErrors.error('EXAM_CITY_UNKNOWN', { field: 'cityCode' });
      await manager.query(`UPDATE registration SET city_code = $2, updated_at = now() WHERE id = $1`, [id, cityCode]);
    });
  }

  /** EX-7: the four steps. */
  progress(r: RegistrationRow) {
    const state = caseState(r);
    const stage = registrationStage(state);
    return {
      id: r.id,
      status: r.status,
      stage,
      stageName: REGISTRATION_STAGES[stage].zh,
      editable: r.status === 'draft',
      steps: {
        info: state.infoDone,
        subjects: state.subjectsDone,
        city: state.cityDone,
        payment: r.status === 'paid' || r.status === 'refunding' || r.status === 'refunded',
      },
    };
  }

  /** EX-9: everything, with each subject's paid state. */
  async view(id: string, candidateId: string) {
    const [r] = await sqlRows<RegistrationRow>(this.dataSource, `SELECT * FROM registration WHERE id = $1`, [id]);
    if (!r || r.candidate_id !== candidateId) throw ExamErrors.error('EXAM_NOT_FOUND', { field: 'id' });
    const period = await this.catalogue.period(this.dataSource, r.period_id);
    const [order] = await sqlRows<{ id: string; status: string; amount_fen: number; expires_at: Date; placed_at: Date; paid_at: Date | null; city_code: string }>(
      this.dataSource,
      `SELECT id, status, amount_fen, expires_at, placed_at, paid_at, city_code FROM exam_order WHERE registration_id = $1 ORDER BY placed_at DESC LIMIT 1`,
      [id],
    );
    const lines = order
      ? await sqlRows<{ offering_id: string; seat_state: string }>(this.dataSource, `SELECT offering_id, seat_state FROM order_line WHERE order_id = $1`, [order.id])
      : [];
    const offerings = r.offering_ids ? await this.catalogue.offerings(this.dataSource, r.period_id, r.offering_ids) : [];
    const city = r.city_code ? await this.catalogue.city(this.dataSource, r.period_id, r.city_code) : undefined;
    const [refund] = await sqlRows<{ requested_at: Date }>(this.dataSource, `SELECT requested_at FROM refund_request WHERE registration_id = $1`, [id]);
    return {
      ...this.progress(r),
      businessNo: r.business_no,
      period: { id: period.id, code: period.code, name: period.name },
      noticeAcceptedAt: r.notice_accepted_at.toISOString(),
      info: r.info,
      invoice: r.invoice_type ? { type: r.invoice_type, title: r.invoice_title, taxId: r.invoice_tax_id } : null,
      subjects: offerings.map((o) => ({
        offeringId: o.id,
        code: o.code,
        subject: o.subject,
        sessionCode: o.session_code,
        feeFen: o.fee_fen,
        paid: lines.some((l) => l.offering_id === o.id && l.seat_state === 'paid'),
      })),
      amountFen: offerings.reduce((sum, o) => sum + o.fee_fen, 0),
      city: city ? { cityCode: city.code, name: city.name } : null,
      order: order
        ? {
            orderId: order.id,
            status: order.status,
            amountFen: order.amount_fen,
            placedAt: order.placed_at.toISOString(),
            expiresAt: order.expires_at.toISOString(),
            paidAt: order.paid_at?.toISOString() ?? null,
          }
        : null,
      refund: refund ? { requestedAt: refund.requested_at.toISOString() } : null,
    };
  }
}
