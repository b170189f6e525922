import type { DataSource } from 'typeorm';
import { CatalogueService } from './catalogue/catalogue.service';

/**
 * The embedded default's exam period: `apps/exam/seed/exam-period-2021-2.json` (a copy of shared/data) with every time
 * shifted so that registration opened an hour ago (demo candidates can register now), under the
 * code `<code>-demo`. Idempotent: a period with that code is left alone (its windows do not move).
 */
export async function seedExam(dataSource: DataSource, period: Record<string, unknown>, now = new Date()): Promise<{ id: string; created: boolean }> {
  const opens = Date.parse(String(period.registrationOpensAt));
  if (Number.isNaN(opens)) throw new Error('the seed period has no registrationOpensAt');
  const shift = now.getTime() - 3600_000 - opens;
  const shifted = shiftTimes(period, shift) as Record<string, unknown>;
  shifted.code = `${String(period.code)}-demo`;
  return new CatalogueService(dataSource).importIfMissing(shifted);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Every ISO time in the document moved by `ms`, written in China time (+08:00). */
export function shiftTimes(value: unknown, ms: number): unknown {
  if (typeof value === 'string' && ISO.test(value)) {
    const at = new Date(Date.parse(value) + ms + 8 * 3600_000);
    return `${at.toISOString().slice(0, 19)}+08:00`;
  }
  if (Array.isArray(value)) return value.map((v) => shiftTimes(v, ms));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftTimes(v, ms)]));
  return value;
}
