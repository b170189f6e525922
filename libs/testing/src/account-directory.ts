/** An account as workbench's account directory keeps it (ids and roles only). */
export interface DirectoryEntry {
  accountId: string;
  accountType: string;
  roles: string[];
  institutionId?: string | null;
}

/**
 * Puts accounts into workbench's account directory as identity's account and role events would,
 * for tests and benchmarks that sign their callers' tokens themselves (the workbench checks the
 * directory before handing someone a task or naming them, e.g., the expert of a case). An account
 * already there is left as it is. `db` is any connection to the platform's database.
 */
export async function putInAccountDirectory(db: { query(text: string, values?: unknown[]): Promise<unknown> }, entries: readonly DirectoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO workbench.directory_account (account_id, account_type, roles, institution_id, changed_at)
     SELECT e.account_id, e.account_type, ARRAY(SELECT jsonb_array_elements_text(e.roles)), e.institution_id, now()
     FROM jsonb_to_recordset($1::jsonb) AS e(account_id uuid, account_type text, roles jsonb, institution_id uuid)
     ON CONFLICT (account_id) DO NOTHING`,
    [JSON.stringify(entries.map((e) => ({ account_id: e.accountId, account_type: e.accountType, roles: e.roles, institution_id: e.institutionId ?? null })))],
  );
}
