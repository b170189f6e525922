import type { EntityManager, DataSource } from 'typeorm';

/**
 * Runs SQL and returns its rows whatever the statement: TypeORM's `query()` returns
 * `[rows, count]` for UPDATE and DELETE but plain rows otherwise.
 */
export async function sqlRows<T = Record<string, unknown>>(
  runner: EntityManager | DataSource,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result: unknown = await runner.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return (Array.isArray(result) ? result : []) as T[];
}

/** The unique index a failed statement violated (Postgres 23505), or undefined for any other error. */
export function uniqueViolation(err: unknown): string | undefined {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.driverError?.code;
  return code === '23505' ? (e.constraint ?? e.driverError?.constraint) : undefined;
}
