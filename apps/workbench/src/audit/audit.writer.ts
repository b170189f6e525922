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

/** Appends audit entries inside the caller's transaction (WB-2). */
export async function writeAudit(manager: EntityManager, records: AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  const cols = ['domain', 'business_no', 'task_id', 'action', 'actor_id', 'at', 'outcome', 'opinion', 'old_values', 'new_values', 'dedupe_key'];
  const values: unknown[] = [];
  const rows = records.map((r, i) => {
    values.push(
      r.domain,
      r.businessNo,
      r.taskId ?? null,
      r.action,
      r.actorId,
      (r.at ?? new Date()).toISOString(),
      r.outcome ?? null,
      r.opinion ?? null,
      r.oldValues ? JSON.stringify(r.oldValues) : null,
      r.newValues ? JSON.stringify(r.newValues) : null,
      r.dedupeKey,
    );
    return `(${cols.map((_, j) => `$${i * cols.length + j + 1}`).join(', ')})`;
  });
  await manager.query(`INSERT INTO audit_entry (${cols.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (dedupe_key) DO NOTHING`, values);
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
