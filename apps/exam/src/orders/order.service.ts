import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ExamTopics, type CaseMilestone, type EventEnvelope, type OrderCancelledV1, type OrderExpiredV1, type OrderPaidV1, type OrderRefundedV1 } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { OutboxWriter, sqlRows, transactionClosingWith } from '@certhub/persistence';
import { appendRegistrationCase, registrationCaseEntry } from '../cases/registration-case';
import { CatalogueService, type OfferingRow, type PeriodRow } from '../catalogue/catalogue.service';
import { ExamErrors } from '../exam.errors';
import { caseState, registrationOpen, RegistrationService, type RegistrationRow } from '../registration/registration.service';
import type { OrderStatus } from './order.entities';
import { PaymentClient } from './payment-client';
import { SeatInventory } from './seat-inventory';

interface OrderRow {
  id: string;
  registration_id: string;
  period_id: string;
  candidate_id: string;
  city_code: string;
  amount_fen: number;
  status: OrderStatus;
  placed_at: Date;
  expires_at: Date;
}

interface LineRow {
  id: string;
  offering_id: string;
  seat_pool_id: string;
  code: string;
  subject: string;
  seat_state: 'held' | 'paid' | 'released';
}

/**
 * Orders, seats, city change and refund request (EX-8, EX-10, ST-1 … ST-3, PY-4), and the exam
 * side of the payment service's events. Lock order everywhere: registration row, order row,
 * seat pools (by id).
 */
@Injectable()
export class OrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly catalogue: CatalogueService,
    private readonly registrations: RegistrationService,
    private readonly payment: PaymentClient,
    private readonly logger: Logger,
  ) {}

  private async fullError(manager: EntityManager | DataSource, period: PeriodRow, offerings: OfferingRow[], fullOfferingIds: string[], cityCode: string) {
    const citiesWithSeats = await this.catalogue.citiesWithSeats(manager, period.id, offerings.map((o) => o.id));
    return ExamErrors.error('EXAM_SEAT_FULL', {
      field: 'cityCode',
      details: {
        cityCode,
        fullOfferings: offerings.filter((o) => fullOfferingIds.includes(o.id)).map((o) => ({ offeringId: o.id, code: o.code, subject: o.subject })),
        citiesWithSeats,
      },
    });
  }

  /**
   * EX-8: one transaction — registration locked, order, lines and events written, then every
   * seat held or none. Five round trips: BEGIN; the registration locked with its period's
   * windows; order + lines + registration in one statement; both events in one; the seats
   * together with COMMIT (the hot pool row stays locked only while the server runs that statement
   * and flushes the commit). The offerings and pools come from the in-memory period layout.
   */
  async place(registrationId: string, candidateId: string, confirmed: boolean) {
    if (confirmed !== true) throw ExamErrors.error('EXAM_CONFIRMATION_REQUIRED', { field: 'confirmed' });
    let chosen: { period: PeriodRow; offerings: OfferingRow[]; poolIds: string[]; cityCode: string } | undefined;
    try {
      return await transactionClosingWith(this.dataSource, async (manager) => {
        const [row] = await sqlRows<RegistrationRow & { case_version: number } & PeriodRow & { period_code: string; period_name: string }>(
          manager,
          `SELECT r.*, p.code AS period_code, p.name AS period_name, p.registration_opens_at, p.registration_closes_at, p.payment_timeout_minutes
             FROM registration r JOIN exam_period p ON p.id = r.period_id
            WHERE r.id = $1 FOR UPDATE OF r`,
          [registrationId],
        );
        if (!row || row.candidate_id !== candidateId) throw ExamErrors.error('EXAM_NOT_FOUND', { field: 'id' });
        const r: RegistrationRow = row;
        const period = { ...row, id: row.period_id, code: row.period_code, name: row.period_name } as PeriodRow;
        if (r.status !== 'draft') throw ExamErrors.error('EXAM_ORDER_EXISTS');
        if (!registrationOpen(period)) throw ExamErrors.error('EXAM_REGISTRATION_CLOSED');
        if (!r.info || !r.invoice_type) throw ExamErrors.error('EXAM_STEPS_INCOMPLETE', { field: 'info' });
        if (!r.offering_ids?.length) throw ExamErrors.error('EXAM_STEPS_INCOMPLETE', { field: 'offeringIds' });
        if (!r.city_code) throw ExamErrors.error('EXAM_STEPS_INCOMPLETE', { field: 'cityCode' });
        const layout = await this.catalogue.layout(r.period_id, manager);
        const offerings = [...layout.offerings.values()].filter((o) => r.offering_ids!.includes(o.id));
        const poolOf = (o: OfferingRow) => layout.pools.get(`${o.id}|${r.city_code}`);
        const missing = offerings.filter((o) => !poolOf(o)).map((o) => o.id);
        if (missing.length > 0) throw await this.fullError(manager, period, offerings, missing, r.city_code);
        const poolIds = offerings.map((o) => poolOf(o)!);
        chosen = { period, offerings, poolIds, cityCode: r.city_code };

        const orderId = randomUUID();
        const placedAt = new Date();
        const expiresAt = new Date(placedAt.getTime() + period.payment_timeout_minutes * 60_000);
        const amountFen = offerings.reduce((sum, o) => sum + o.fee_fen, 0);
        const caseVersion = Number(row.case_version) + 1;
        await manager.query(
          `WITH placed AS (
             INSERT INTO exam_order (id, registration_id, period_id, candidate_id, city_code, amount_fen, status, placed_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id),
           _lines AS (
             INSERT INTO order_line (id, order_id, offering_id, seat_pool_id, code, subject, session_code, fee_fen, seat_state)
             SELECT u.id, (SELECT id FROM placed), u.offering_id, u.seat_pool_id, u.code, u.subject, u.session_code, u.fee_fen, 'held'
               FROM unnest($9::uuid[], $10::uuid[], $11::uuid[], $12::text[], $13::text[], $14::text[], $15::int[])
                 AS u(id, offering_id, seat_pool_id, code, subject, session_code, fee_fen))
           UPDATE registration SET status = 'ordered', case_version = $16, updated_at = now() WHERE id = $2`,
          [
            orderId,
            r.id,
            r.period_id,
            candidateId,
            r.city_code,
            amountFen,
            placedAt,
            expiresAt,
            offerings.map(() => randomUUID()),
            offerings.map((o) => o.id),
            poolIds,
            offerings.map((o) => o.code),
            offerings.map((o) => o.subject),
            offerings.map((o) => o.session_code),
            offerings.map((o) => o.fee_fen),
            caseVersion,
          ],
        );
        await this.outbox.appendAll(manager, [
          {
            topic: ExamTopics.OrderPlaced,
            subjectId: orderId,
            actorId: candidateId,
            data: {
              orderId,
              registrationId: r.id,
              businessNo: r.business_no,
              periodId: period.id,
              periodName: period.name.slice(0, 200),
              candidateId,
              cityCode: r.city_code,
              amountFen,
              lines: offerings.map((o) => ({ offeringId: o.id, code: o.code, subject: o.subject, sessionCode: o.session_code, feeFen: o.fee_fen })),
              invoice: { type: r.invoice_type, title: r.invoice_title, taxId: r.invoice_tax_id },
              placedAt: placedAt.toISOString(),
              expiresAt: expiresAt.toISOString(),
            },
          },
          registrationCaseEntry(caseState({ ...r, status: 'ordered' }), period, caseVersion, {
            milestone: 'action-required',
            dueAt: expiresAt,
            submittedAt: placedAt,
          }),
        ]);
        // The seats last, sent with COMMIT: a full pool breaks the count check and nothing commits.
        return { closing: SeatInventory.holdStatement(poolIds), result: { orderId, amountFen, expiresAt: expiresAt.toISOString() } };
      });
    } catch (err) {
      if (!chosen || !SeatInventory.isFull(err)) throw err;
      const { period, offerings, poolIds, cityCode } = chosen;
      const full = await SeatInventory.fullAmong(this.dataSource, poolIds);
      const fullOfferings = offerings.filter((_, i) => full.includes(poolIds[i]!)).map((o) => o.id);
      // Seats freed meanwhile: still this attempt found them full; name every chosen offering then.
      throw await this.fullError(this.dataSource, period, offerings, fullOfferings.length > 0 ? fullOfferings : offerings.map((o) => o.id), cityCode);
    }
  }

  /** ST-3: the payment service cancels the unpaid order (it asks the provider), then the seats are released here. */
  async cancel(registrationId: string, candidateId: string, authorization: string | undefined, requestId: string) {
    const [r] = await sqlRows<RegistrationRow>(this.dataSource, `SELECT * FROM registration WHERE id = $1`, [registrationId]);
    if (!r || r.candidate_id !== candidateId) throw ExamErrors.error('EXAM_NOT_FOUND', { field: 'id' });
    const [order] = await sqlRows<OrderRow>(this.dataSource, `SELECT * FROM exam_order WHERE registration_id = $1 AND status IN ('pending', 'paid')`, [registrationId]);
    if (!order) throw ExamErrors.error('EXAM_NO_ACTIVE_ORDER');
    if (order.status === 'paid') throw ExamErrors.error('EXAM_ORDER_PAID');
    let outcome;
    try {
      outcome = await this.payment.cancel(order.id, authorization, requestId);
    } catch (err) {
      this.logger.warn('payment cancel failed', { orderId: order.id, err });
      throw ExamErrors.error('EXAM_PAYMENT_UNAVAILABLE');
    }
    if (outcome === 'paid') throw ExamErrors.error('EXAM_ORDER_PAID');
    if (outcome === 'unknown-order') throw ExamErrors.error('EXAM_ORDER_NOT_READY', { details: { retryAfterSeconds: 1 } });
    await this.dataSource.transaction((manager) => this.closeUnpaid(manager, order.id, 'cancelled', 'withdrawn'));
    return { status: 'cancelled', orderId: order.id };
  }

  /**
   * An unpaid order ends (cancel, expiry): its seats are released and the registration is
   * editable again. Idempotent: an order no longer pending is left as it is.
   */
  private async closeUnpaid(manager: EntityManager, orderId: string, status: 'cancelled' | 'expired', milestone: CaseMilestone): Promise<boolean> {
    const [peek] = await sqlRows<OrderRow>(manager, `SELECT * FROM exam_order WHERE id = $1`, [orderId]);
    if (!peek) return false;
    const [r] = await sqlRows<RegistrationRow>(manager, `SELECT * FROM registration WHERE id = $1 FOR UPDATE`, [peek.registration_id]);
    const changed = await sqlRows<OrderRow>(
      manager,
      `UPDATE exam_order SET status = $2, closed_at = now() WHERE id = $1 AND status = 'pending' RETURNING *`,
      [orderId, status],
    );
    if (changed.length === 0) return false;
    const lines = await sqlRows<LineRow>(manager, `UPDATE order_line SET seat_state = 'released' WHERE order_id = $1 AND seat_state = 'held' RETURNING *`, [orderId]);
    await SeatInventory.releaseHeld(manager, lines.map((l) => l.seat_pool_id).sort());
    if (r && r.status === 'ordered') {
      await manager.query(`UPDATE registration SET status = 'draft', updated_at = now() WHERE id = $1`, [r.id]);
      const period = await this.catalogue.period(manager, r.period_id);
      await appendRegistrationCase(manager, this.outbox, caseState({ ...r, status: 'draft' }), period, { milestone });
    }
    return true;
  }

  private async lockOrder(manager: EntityManager, orderId: string): Promise<{ order: OrderRow; registration: RegistrationRow } | undefined> {
    const [peek] = await sqlRows<OrderRow>(manager, `SELECT * FROM exam_order WHERE id = $1`, [orderId]);
    if (!peek) return undefined;
    const [registration] = await sqlRows<RegistrationRow>(manager, `SELECT * FROM registration WHERE id = $1 FOR UPDATE`, [peek.registration_id]);
    const [order] = await sqlRows<OrderRow>(manager, `SELECT * FROM exam_order WHERE id = $1 FOR UPDATE`, [orderId]);
    return { order: order!, registration: registration! };
  }

  /** `payment.order.paid.v1`: seats held → paid, the registration is 已报考. */
  async onPaid(manager: EntityManager, event: EventEnvelope<OrderPaidV1>): Promise<void> {
    const locked = await this.lockOrder(manager, event.data.orderId);
    if (!locked) return this.logger.warn('paid event for an unknown order; ignored', { orderId: event.data.orderId });
    const { order, registration } = locked;
    if (order.status !== 'pending') {
      if (order.status !== 'paid') this.logger.warn('paid event for an order that is no longer pending', { orderId: order.id, status: order.status });
      return;
    }
    if (event.data.amountFen !== order.amount_fen) this.logger.warn('paid amount differs from the order amount', { orderId: order.id });
    await manager.query(`UPDATE exam_order SET status = 'paid', paid_at = $2 WHERE id = $1`, [order.id, new Date(event.data.paidAt)]);
    const lines = await sqlRows<LineRow>(manager, `UPDATE order_line SET seat_state = 'paid' WHERE order_id = $1 AND seat_state = 'held' RETURNING *`, [order.id]);
    await SeatInventory.markPaid(manager, lines.map((l) => l.seat_pool_id).sort());
    await manager.query(`UPDATE registration SET status = 'paid', updated_at = now() WHERE id = $1`, [registration.id]);
    const period = await this.catalogue.period(manager, registration.period_id);
    await appendRegistrationCase(manager, this.outbox, caseState({ ...registration, status: 'paid' }), period, { milestone: 'decided', submittedAt: order.placed_at });
  }

  async onExpired(manager: EntityManager, event: EventEnvelope<OrderExpiredV1>): Promise<void> {
    await this.closeUnpaid(manager, event.data.orderId, 'expired', 'expired');
  }

  async onCancelled(manager: EntityManager, event: EventEnvelope<OrderCancelledV1>): Promise<void> {
    await this.closeUnpaid(manager, event.data.orderId, 'cancelled', 'withdrawn');
  }

  /** `payment.order.refunded.v1`: the requested refund is done (seats were released at the request). */
  async onRefunded(manager: EntityManager, event: EventEnvelope<OrderRefundedV1>): Promise<void> {
    const locked = await this.lockOrder(manager, event.data.orderId);
    if (!locked) return;
    const { order, registration } = locked;
    // A late payment's refund (PY-2) concerns an order that never held paid seats here.
    if (order.status !== 'refunding') return;
    await manager.query(`UPDATE exam_order SET status = 'refunded', closed_at = now() WHERE id = $1`, [order.id]);
    if (registration.status === 'refunding') {
      await manager.query(`UPDATE registration SET status = 'refunded', updated_at = now() WHERE id = $1`, [registration.id]);
      const period = await this.catalogue.period(manager, registration.period_id);
      await appendRegistrationCase(manager, this.outbox, caseState({ ...registration, status: 'refunded' }), period, { milestone: 'decided' });
    }
  }

  /** EX-10: after payment, inside the window, every paid seat moves to the new city or nothing changes. */
  async changeCity(registrationId: string, candidateId: string, cityCode: string) {
    return this.dataSource.transaction(async (manager) => {
      const r = await this.registrations.lockOwned(manager, registrationId, candidateId);
      if (r.status !== 'paid') {
        throw ExamErrors.error('EXAM_NOT_PAID', r.status === 'ordered' ? { en: 'Not paid yet: cancel the unpaid order to choose another city.', zh: '订单尚未支付，如需更换城市请先取消订单。' } : {});
      }
      const period = await this.catalogue.period(manager, r.period_id);
      if (!registrationOpen(period)) throw ExamErrors.error('EXAM_REGISTRATION_CLOSED');
      if (!(await this.catalogue.city(manager, r.period_id, cityCode))) throw ExamErrors.error('EXAM_CITY_UNKNOWN', { field: 'cityCode' });
      if (cityCode === r.city_code) throw ExamErrors.error('EXAM_CITY_CHANGE_SAME', { field: 'cityCode' });
      const [order] = await sqlRows<OrderRow>(manager, `SELECT * FROM exam_order WHERE registration_id = $1 AND status = 'paid' FOR UPDATE`, [r.id]);
      if (!order) throw ExamErrors.error('EXAM_NOT_PAID');
      const lines = await sqlRows<LineRow>(manager, `SELECT * FROM order_line WHERE order_id = $1 AND seat_state = 'paid'`, [order.id]);
      const targets = await sqlRows<{ id: string; offering_id: string }>(
        manager,
        `SELECT id, offering_id FROM seat_pool WHERE offering_id = ANY($1::uuid[]) AND city_code = $2`,
        [lines.map((l) => l.offering_id), cityCode],
      );
      const offerings = await this.catalogue.offerings(manager, r.period_id, lines.map((l) => l.offering_id));
      const missing = lines.filter((l) => !targets.some((t) => t.offering_id === l.offering_id)).map((l) => l.offering_id);
      if (missing.length > 0) throw await this.fullError(manager, period, offerings, missing, cityCode);
      const toIds = lines.map((l) => targets.find((t) => t.offering_id === l.offering_id)!.id);
      const { full } = await SeatInventory.movePaid(manager, lines.map((l) => l.seat_pool_id), toIds);
      if (full.length > 0) throw await this.fullError(manager, period, offerings, targets.filter((t) => full.includes(t.id)).map((t) => t.offering_id), cityCode);
      for (const [i, line] of lines.entries()) {
        await manager.query(`UPDATE order_line SET seat_pool_id = $2 WHERE id = $1`, [line.id, toIds[i]]);
      }
      await manager.query(`UPDATE exam_order SET city_code = $2 WHERE id = $1`, [order.id, cityCode]);
      await manager.query(`UPDATE registration SET city_code = $2, updated_at = now() WHERE id = $1`, [r.id, cityCode]);
      await appendRegistrationCase(manager, this.outbox, caseState({ ...r, city_code: cityCode }), period);
      return { cityCode };
    });
  }

  /** PY-4: once per person per period, inside the refund window; seats released now, money by the payment service. */
  async requestRefund(registrationId: string, candidateId: string) {
    return this.dataSource.transaction(async (manager) => {
      const r = await this.registrations.lockOwned(manager, registrationId, candidateId);
      const used = await sqlRows(manager, `SELECT 1 FROM refund_request WHERE period_id = $1 AND candidate_id = $2`, [r.period_id, candidateId]);
      if (used.length > 0) throw ExamErrors.error('EXAM_REFUND_USED');
      if (r.status !== 'paid') throw ExamErrors.error('EXAM_NOT_PAID');
      const period = await this.catalogue.period(manager, r.period_id);
      const now = new Date();
      if (!(period.refund_opens_at <= now && now < period.refund_closes_at)) throw ExamErrors.error('EXAM_REFUND_CLOSED');
      const [order] = await sqlRows<OrderRow>(manager, `SELECT * FROM exam_order WHERE registration_id = $1 AND status = 'paid' FOR UPDATE`, [r.id]);
      if (!order) throw ExamErrors.error('EXAM_NOT_PAID');
      const inserted = await sqlRows(
        manager,
        `INSERT INTO refund_request (id, period_id, candidate_id, registration_id, order_id, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (period_id, candidate_id) DO NOTHING RETURNING id`,
        [randomUUID(), r.period_id, candidateId, r.id, order.id, now],
      );
      if (inserted.length === 0) throw ExamErrors.error('EXAM_REFUND_USED');
      await manager.query(`UPDATE exam_order SET status = 'refunding' WHERE id = $1`, [order.id]);
      const lines = await sqlRows<LineRow>(manager, `UPDATE order_line SET seat_state = 'released' WHERE order_id = $1 AND seat_state = 'paid' RETURNING *`, [order.id]);
      await SeatInventory.releasePaid(manager, lines.map((l) => l.seat_pool_id).sort());
      await manager.query(`UPDATE registration SET status = 'refunding', active = false, updated_at = now() WHERE id = $1`, [r.id]);
      await this.outbox.append(manager, {
        topic: ExamTopics.RefundRequested,
        subjectId: order.id,
        actorId: candidateId,
        data: {
          orderId: order.id,
          registrationId: r.id,
          businessNo: r.business_no,
          periodId: r.period_id,
          candidateId,
          amountFen: order.amount_fen,
          requestedAt: now.toISOString(),
        },
      });
      await appendRegistrationCase(manager, this.outbox, caseState({ ...r, status: 'refunding' }), period, { milestone: 'submitted', submittedAt: now });
      return { status: 'refunding', orderId: order.id };
    });
  }
}
