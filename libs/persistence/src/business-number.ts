import type { EntityManager } from 'typeorm';

export class BusinessNumberExhausted extends Error {
  constructor(hour: string) {
    super(`business numbers of hour ${hour} are exhausted`);
  }
}

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** `yyyyMMddHH` of an instant in China Standard Time (UTC+8, no daylight saving). */
export function businessHour(at: Date): string {
  const cst = new Date(at.getTime() + CHINA_OFFSET_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${cst.getUTCFullYear()}${p(cst.getUTCMonth() + 1)}${p(cst.getUTCDate())}${p(cst.getUTCHours())}`;
}

export function formatBusinessNumber(hour: string, seq: number): string {
  return `${hour}${String(seq).padStart(4, '0')}`;
}

/**
 * Issues the next business number (14 digits: `yyyyMMddHH` + a 4-digit sequence within that
 * hour). The counter row is upserted in one statement, so concurrent callers serialise on the
 * row lock and never share a number; run it inside the caller's transaction.
 */
export async function nextBusinessNumber(manager: EntityManager, at: Date = new Date()): Promise<string> {
  const hour = businessHour(at);
  const rows: Array<{ seq: number }> = await manager.query(
    `INSERT INTO business_number_counter (hour, seq) VALUES ($1, 1)
     ON CONFLICT (hour) DO UPDATE SET seq = business_number_counter.seq + 1
     RETURNING seq`,
    [hour],
  );
  const seq = Number(rows[0]?.seq);
  if (!Number.isInteger(seq) || seq > 9999) throw new BusinessNumberExhausted(hour);
  return formatBusinessNumber(hour, seq);
}
