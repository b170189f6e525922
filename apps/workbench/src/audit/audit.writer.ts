import type { EntityManager } from 'typeorm';

export interface AuditRecord {
  domain: string;
  businessNo: string;
  taskId?: string | null;
  action: string;
  actorId: string | null;
  at?: Date;
  outcome?: string | null;
  opinion?: string | null;
  oldValues?: Record<string, unknown> | null;
  newValues?: Record<string, unknown> | null;
  /** Same key, same entry: a retried writer adds nothing. */
  dedupeKey: string;
}

/** Appends audit entries inside the caller's transaction (WB-2): one statement, column arrays. */
export async function writeAudit(manager: EntityManager, records: AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  const json = (v: Record<string, unknown> | null | undefined) => (v ? JSON.stringify(v) : null);
  await manager.query(
    `INSERT INTO audit_entry (domain, business_no, task_id, action, actor_id, at, outcome, opinion, old_values, new_values, dedupe_key)
     SELECT * FROM unnest($1::text[], $2::varchar[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::jsonb[], $10::jsonb[], $11::text[])
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      records.map((r) => r.domain),
      records.map((r) => r.businessNo),
      records.map((r) => r.taskId ?? null),
      records.map((r) => r.action),
      records.map((r) => r.actorId),
      records.map((r) => (r.at ?? new Date()).toISOString()),
      records.map((r) => r.outcome ?? null),
      records.map((r) => r.opinion ?? null),
      records.map((r) => json(r.oldValues)),
      records.map((r) => json(r.newValues)),
      records.map((r) => r.dedupeKey),
    ],
  );
}

/** Only the fields that changed, as old and new values. */
export function diff<T extends Record<string, unknown>>(before: T, after: Partial<T>): { oldValues: Record<string, unknown>; newValues: Record<string, unknown> } {
  const oldValues: Record<string, unknown> = {};
  const newValues: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    const was = before[k];
    const norm = (x: unknown) => (x instanceof Date ? x.toISOString() : x);
    if (JSON.stringify(norm(was)) !== JSON.stringify(norm(v))) {
      oldValues[k] = norm(was) ?? null;
      newValues[k] = norm(v) ?? null;
    }
  }
  return { oldValues, newValues };
}
