import type { EntityManager } from 'typeorm';
import { textArray } from '../items/text-array';

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
  const { sql, params } = auditInsert(records);
  await manager.query(sql, params);
}

/** The statement of {@link writeAudit}, for a caller that sends it with other writes of the same change. */
export function auditInsert(records: AuditRecord[]): { sql: string; params: unknown[] } {
  const json = (v: Record<string, unknown> | null | undefined) => (v ? JSON.stringify(v) : null);
  return {
    sql: `INSERT INTO audit_entry (domain, business_no, task_id, action, actor_id, at, outcome, opinion, old_values, new_values, dedupe_key)
     SELECT * FROM unnest($1::text[], $2::varchar[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::jsonb[], $10::jsonb[], $11::text[])
     ON CONFLICT (domain, business_no, dedupe_key) DO NOTHING`,
    params: [
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
  };
}

/** What the entries of a case record as its old and new values. */
export interface CaseState {
  stage: string;
  status: string;
  version: number;
}

/**
 * A change of a case as the case projection records it: action `case.changed`, outcome the
 * result; new values the stage, status and version, plus milestone and result when set; old
 * values those of the previous version when it is known.
 */
export interface CaseChangeRecord extends CaseState {
  domain: string;
  businessNo: string;
  actorId: string | null;
  /** When the case changed (ISO 8601). */
  at: string;
  milestone: string | null;
  result: string | null;
  opinion: string | null;
  previous: CaseState | null;
  /** Same key, same entry. */
  dedupeKey: string;
}

const CASE_CHANGE_COLUMNS: Array<[name: string, value: (r: CaseChangeRecord) => string | number | null]> = [
  ['domain', (r) => r.domain],
  ['business_no', (r) => r.businessNo],
  ['actor_id', (r) => r.actorId],
  ['at', (r) => r.at],
  ['stage', (r) => r.stage],
  ['status', (r) => r.status],
  ['version', (r) => r.version],
  ['milestone', (r) => r.milestone],
  ['result', (r) => r.result],
  ['opinion', (r) => r.opinion],
  ['old_stage', (r) => r.previous?.stage ?? null],
  ['old_status', (r) => r.previous?.status ?? null],
  ['old_version', (r) => r.previous?.version ?? null],
  ['dedupe_key', (r) => r.dedupeKey],
];

const CASE_CHANGE_INSERT = `INSERT INTO audit_entry (domain, business_no, task_id, action, actor_id, at, outcome, opinion, old_values, new_values, dedupe_key)
  SELECT u.domain, u.business_no, NULL, 'case.changed', u.actor_id, u.at::timestamptz, u.result, u.opinion,
    CASE WHEN u.old_version IS NOT NULL
      THEN jsonb_build_object('stage', u.old_stage, 'status', u.old_status, 'version', u.old_version::int) END,
    jsonb_build_object('stage', u.stage, 'status', u.status, 'version', u.version::int)
      || CASE WHEN u.milestone <> '' THEN jsonb_build_object('milestone', u.milestone) ELSE '{}' END
      || CASE WHEN u.result <> '' THEN jsonb_build_object('result', u.result) ELSE '{}' END,
    u.dedupe_key
  -- unnest in the select list: the columns are zipped without materialising each of them
  FROM (SELECT ${CASE_CHANGE_COLUMNS.map(([name], i) => `unnest($${i + 1}::text[]) AS ${name}`).join(', ')}) AS u
  ON CONFLICT (domain, business_no, dedupe_key) DO NOTHING
  RETURNING dedupe_key`;

/**
 * Appends the case projection's entries inside the caller's transaction (WB-2): one statement
 * whatever their number, a bind parameter per column (binary `text[]`), old and new values built
 * in the statement. An entry whose dedupe key exists already is not written again; returns the
 * dedupe keys of the entries written.
 */
export async function writeCaseChanges(manager: EntityManager, records: CaseChangeRecord[]): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const written: Array<{ dedupe_key: string }> = await manager.query(
    CASE_CHANGE_INSERT,
    CASE_CHANGE_COLUMNS.map(([, value]) => textArray(records, value)),
  );
  const keys = new Set<string>();
  for (const row of written) keys.add(row.dedupe_key);
  return keys;
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
