import type { EntityManager } from 'typeorm';
import { businessHour, formatBusinessNumber, sqlRows } from '@certhub/persistence';

/** How many hours ahead a registration number may borrow before giving up. */
const MAX_HOURS_AHEAD = 48;

/**
 * The business number of a registration (ADR 0006 format: `yyyyMMddHH` + 4 digits, from the
 * service's `business_number_counter`). Registration opening creates more than 9 999 cases an
 * hour, so when the hour's sequence is used up the number is taken from the next hour's counter
 * (and so on): numbers stay unique, 14 digits and in creation order; the hour of a number is then
 * the earliest hour it could be issued in, not necessarily the creation hour. A full counter is
 * left unchanged, so nothing is wasted.
 */
export async function nextRegistrationNumber(manager: EntityManager, at: Date = new Date()): Promise<string> {
  for (let ahead = 0; ahead <= MAX_HOURS_AHEAD; ahead++) {
    const hour = businessHour(new Date(at.getTime() + ahead * 3600_000));
    const rows = await sqlRows<{ seq: number }>(
      manager,
      `INSERT INTO business_number_counter (hour, seq) VALUES ($1, 1)
       ON CONFLICT (hour) DO UPDATE SET seq = business_number_counter.seq + 1 WHERE business_number_counter.seq < 9999
       RETURNING seq`,
      [hour],
    );
    if (rows[0]) return formatBusinessNumber(hour, Number(rows[0].seq));
  }
  throw new Error(`registration numbers of the next ${MAX_HOURS_AHEAD} hours are exhausted`);
}
