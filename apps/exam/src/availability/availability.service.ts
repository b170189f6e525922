import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import { ExamConfig } from '../exam.config';
import { ExamErrors } from '../exam.errors';

export interface Availability {
  offerings: Array<{ offeringId: string; code: string; sessionCode: string; subject: string; cities: Array<{ cityCode: string; remaining: number }> }>;
  /** When the counts were read (the snapshot lags the database by at most the refresh interval). */
  asOf: string;
}

interface Snapshot {
  at: number;
  value?: Availability;
  loading?: Promise<Availability>;
}

/**
 * Live seats (ST-5) from an in-process snapshot per period, refreshed at most every
 * AVAILABILITY_REFRESH_MS with one query; concurrent readers share the refresh in flight.
 * Only what is shown may lag; what is sold is decided by the seat pools.
 */
@Injectable()
export class AvailabilityService implements BeforeApplicationShutdown {
  private readonly snapshots = new Map<string, Snapshot>();
  /** Open server-sent event streams: ended before the HTTP server closes, so shutdown does not wait for clients. */
  private readonly streams = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ExamConfig,
  ) {}

  async of(periodId: string): Promise<Availability> {
    const now = Date.now();
    let snap = this.snapshots.get(periodId);
    if (snap?.value && now - snap.at < this.config.AVAILABILITY_REFRESH_MS) return snap.value;
    if (snap?.loading) return snap.loading;
    if (!snap) {
      snap = { at: 0 };
      this.snapshots.set(periodId, snap);
    }
    const entry = snap;
    entry.loading = this.load(periodId)
      .then((value) => {
        entry.value = value;
        entry.at = Date.now();
        return value;
      })
      .finally(() => {
        entry.loading = undefined;
      });
    try {
      return await entry.loading;
    } catch (err) {
      if (!entry.value) this.snapshots.delete(periodId);
      throw err;
    }
  }

  private async load(periodId: string): Promise<Availability> {
    const rows = await sqlRows<{ offering_id: string; code: string; session_code: string; subject: string; city_code: string | null; remaining: number | null; known: boolean }>(
      this.dataSource,
      `SELECT o.id AS offering_id, o.code, s.code AS session_code, o.subject, p.city_code, p.quota - p.held - p.paid AS remaining, true AS known
         FROM exam_period e
         LEFT JOIN offering o ON o.period_id = e.id
         LEFT JOIN exam_session s ON s.id = o.session_id
         LEFT JOIN seat_pool p ON p.offering_id = o.id
         LEFT JOIN exam_city c ON c.period_id = e.id AND c.code = p.city_code
        WHERE e.id = $1
        ORDER BY o.position, c.position`,
      [periodId],
    );
    if (rows.length === 0) throw ExamErrors.error('EXAM_NOT_FOUND', { field: 'periodId' });
    const offerings: Availability['offerings'] = [];
    for (const row of rows) {
      if (!row.offering_id) continue;
      let o = offerings[offerings.length - 1];
      if (!o || o.offeringId !== row.offering_id) {
        o = { offeringId: row.offering_id, code: row.code, sessionCode: row.session_code, subject: row.subject, cities: [] };
        offerings.push(o);
      }
      if (row.city_code) o.cities.push({ cityCode: row.city_code, remaining: Number(row.remaining) });
    }
    return { offerings, asOf: new Date().toISOString() };
  }

  /** Registers an open stream's closer; returns the function that forgets it. */
  trackStream(close: () => void): () => void {
    this.streams.add(close);
    return () => this.streams.delete(close);
  }

  beforeApplicationShutdown(): void {
    for (const close of [...this.streams]) close();
    this.streams.clear();
  }

  /** The availability restricted to some offerings (the candidate's chosen subjects). */
  static filter(a: Availability, offeringIds: string[] | undefined): Availability {
    if (!offeringIds || offeringIds.length === 0) return a;
    return { ...a, offerings: a.offerings.filter((o) => offeringIds.includes(o.offeringId)) };
  }
}
