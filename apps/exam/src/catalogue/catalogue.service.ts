import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import { ExamErrors } from '../exam.errors';
import { parsePeriodImport, type PeriodImport } from './period-import';

export interface PeriodRow {
  id: string;
  code: string;
  name: string;
  registration_opens_at: Date;
  registration_closes_at: Date;
  refund_opens_at: Date;
  refund_closes_at: Date;
  ticket_print_opens_at: Date | null;
  ticket_print_closes_at: Date | null;
  payment_timeout_minutes: number;
}

export interface OfferingRow {
  id: string;
  code: string;
  subject: string;
  fee_fen: number;
  session_id: string;
  session_code: string;
}

/**
 * What an order needs of a period besides its windows: offerings and the seat pool of every
 * offering × city. Both are fixed once the period is imported (there is no edit), so the exam
 * service keeps them in memory rather than reading them in every order transaction.
 */
export interface PeriodLayout {
  offerings: ReadonlyMap<string, OfferingRow>;
  /** Seat pool id by `${offeringId}|${cityCode}`. */
  pools: ReadonlyMap<string, string>;
}

const LAYOUTS_KEPT = 32;

/** The exam catalogue (EX-1): periods imported whole, read by registration and availability. */
@Injectable()
export class CatalogueService {
  private readonly layouts = new Map<string, Promise<PeriodLayout>>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The period's offerings and seat pools, loaded once per process (immutable after import).
   * Inside a transaction pass its manager: loading on another pooled connection while holding
   * one could starve the pool when many transactions arrive at once.
   */
  layout(periodId: string, runner: EntityManager | DataSource = this.dataSource): Promise<PeriodLayout> {
    let cached = this.layouts.get(periodId);
    if (!cached) {
      cached = this.loadLayout(runner, periodId);
      this.layouts.set(periodId, cached);
      cached.catch(() => this.layouts.delete(periodId));
      if (this.layouts.size > LAYOUTS_KEPT) this.layouts.delete(this.layouts.keys().next().value!);
    }
    return cached;
  }

  private async loadLayout(runner: EntityManager | DataSource, periodId: string): Promise<PeriodLayout> {
    const offerings = await this.offerings(runner, periodId);
    const pools = await sqlRows<{ id: string; offering_id: string; city_code: string }>(
      runner,
      `SELECT id, offering_id, city_code FROM seat_pool WHERE period_id = $1`,
      [periodId],
    );
    return {
      offerings: new Map(offerings.map((o) => [o.id, o])),
      pools: new Map(pools.map((p) => [`${p.offering_id}|${p.city_code}`, p.id])),
    };
  }

  /** Imports a period in one transaction; the same code twice → 409. */
  async importPeriod(body: unknown): Promise<{ id: string }> {
    const period = parsePeriodImport(body);
    try {
      return await this.dataSource.transaction((manager) => this.insert(manager, period));
    } catch (err) {
      if ((err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'uq_exam_period_code') {
        throw ExamErrors.error('EXAM_PERIOD_EXISTS', { field: 'code' });
      }
      throw err;
    }
  }

  /** Imports unless a period with the code exists (the embedded default's seed). */
  async importIfMissing(body: unknown): Promise<{ id: string; created: boolean }> {
    const period = parsePeriodImport(body);
    const existing = await sqlRows<{ id: string }>(this.dataSource, `SELECT id FROM exam_period WHERE code = $1`, [period.code]);
    if (existing[0]) return { id: existing[0].id, created: false };
    return { ...(await this.importPeriod(body)), created: true };
  }

  private async insert(manager: EntityManager, p: PeriodImport): Promise<{ id: string }> {
    const id = randomUUID();
    await manager.query(
      `INSERT INTO exam_period (id, code, name, registration_opens_at, registration_closes_at, refund_opens_at, refund_closes_at,
         ticket_print_opens_at, ticket_print_closes_at, payment_timeout_minutes, requires_qualification_review)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        id, p.code, p.name, p.registrationOpensAt, p.registrationClosesAt, p.refundWindow.opensAt, p.refundWindow.closesAt,
        p.ticketPrintWindow?.opensAt ?? null, p.ticketPrintWindow?.closesAt ?? null, p.paymentTimeoutMinutes, p.requiresQualificationReview,
      ],
    );
    const offeringIds = new Map<string, string>();
    let position = 0;
    for (const s of p.sessions) {
      const sessionId = randomUUID();
      await manager.query(`INSERT INTO exam_session (id, period_id, code, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5)`, [sessionId, id, s.code, s.startsAt, s.endsAt]);
      for (const o of s.offerings) {
        const offeringId = randomUUID();
        offeringIds.set(o.code, offeringId);
        await manager.query(
          `INSERT INTO offering (id, period_id, session_id, code, subject, fee_fen, position) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [offeringId, id, sessionId, o.code, o.subject, o.feeFen, position++],
        );
      }
    }
    const pools: { ids: string[]; offerings: string[]; cities: string[]; quotas: number[] } = { ids: [], offerings: [], cities: [], quotas: [] };
    for (const [i, c] of p.cities.entries()) {
      await manager.query(`INSERT INTO exam_city (id, period_id, code, name, position) VALUES ($1, $2, $3, $4, $5)`, [randomUUID(), id, c.code, c.name, i]);
      for (const [code, quota] of c.seats) {
        pools.ids.push(randomUUID());
        pools.offerings.push(offeringIds.get(code)!);
        pools.cities.push(c.code);
        pools.quotas.push(quota);
      }
    }
    await manager.query(
      `INSERT INTO seat_pool (id, period_id, offering_id, city_code, quota, held, paid)
       SELECT u.id, $1, u.offering_id, u.city_code, u.quota, 0, 0 FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::int[]) AS u(id, offering_id, city_code, quota)`,
      [id, pools.ids, pools.offerings, pools.cities, pools.quotas],
    );
    return { id };
  }

  async period(manager: EntityManager | DataSource, periodId: string): Promise<PeriodRow> {
    const [row] = await sqlRows<PeriodRow>(manager, `SELECT * FROM exam_period WHERE id = $1`, [periodId]);
    if (!row) throw ExamErrors.error('EXAM_NOT_FOUND', { field: 'periodId' });
    return row;
  }

  async openPeriods(now = new Date()): Promise<PeriodRow[]> {
    return sqlRows<PeriodRow>(
      this.dataSource,
      `SELECT * FROM exam_period WHERE registration_opens_at <= $1 AND registration_closes_at > $1 ORDER BY registration_opens_at, code`,
      [now],
    );
  }

  async offerings(manager: EntityManager | DataSource, periodId: string, ids?: string[]): Promise<OfferingRow[]> {
    return sqlRows<OfferingRow>(
      manager,
      `SELECT o.id, o.code, o.subject, o.fee_fen, o.session_id, s.code AS session_code
         FROM offering o JOIN exam_session s ON s.id = o.session_id
        WHERE o.period_id = $1 AND ($2::uuid[] IS NULL OR o.id = ANY($2::uuid[]))
        ORDER BY o.position`,
      [periodId, ids ?? null],
    );
  }

  async city(manager: EntityManager | DataSource, periodId: string, cityCode: string): Promise<{ code: string; name: string } | undefined> {
    const [row] = await sqlRows<{ code: string; name: string }>(manager, `SELECT code, name FROM exam_city WHERE period_id = $1 AND code = $2`, [periodId, cityCode]);
    return row;
  }

  /** Cities that still have a seat for every one of the offerings (ST-2's hint), in catalogue order. */
  async citiesWithSeats(manager: EntityManager | DataSource, periodId: string, offeringIds: string[]): Promise<Array<{ cityCode: string; name: string }>> {
    return sqlRows<{ cityCode: string; name: string }>(
      manager,
      `SELECT c.code AS "cityCode", c.name FROM exam_city c
        WHERE c.period_id = $1 AND NOT EXISTS (
          SELECT 1 FROM unnest($2::uuid[]) AS o(id)
          LEFT JOIN seat_pool p ON p.offering_id = o.id AND p.city_code = c.code
          WHERE p.id IS NULL OR p.held + p.paid >= p.quota)
        ORDER BY c.position`,
      [periodId, offeringIds],
    );
  }
}
