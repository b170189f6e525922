import type { DataSource, EntityManager } from 'typeorm';

export interface ClosingWork<T> {
  /**
   * The transaction's last statement, sent together with `COMMIT` in one simple-protocol
   * round trip. It takes no parameters: every value in it must come from validated data the
   * caller controls (ids read from the database, numbers), never from a request as text.
   */
  closing: string;
  result: T;
}

/**
 * Runs a transaction whose last statement and COMMIT reach PostgreSQL together.
 *
 * Use it when the last statement locks a row many transactions want at once (the seat count of
 * a hot offering): the lock is then held only while the server runs that statement and flushes
 * the commit — not also while the result travels back and this process's event loop, busy with
 * other requests, gets round to sending COMMIT. If the closing statement fails, PostgreSQL skips
 * the COMMIT; the transaction is rolled back here and the error rethrown.
 */
export async function transactionClosingWith<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<ClosingWork<T>>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  let open = false;
  try {
    await runner.query('BEGIN');
    open = true;
    const { closing, result } = await work(runner.manager);
    await runner.query(`${closing};\nCOMMIT`);
    open = false;
    return result;
  } catch (err) {
    if (open) {
      // A failed ROLLBACK means a lost connection: the server rolls back on its own then.
      await runner.query('ROLLBACK').catch(() => undefined);
    }
    throw err;
  } finally {
    await runner.release();
  }
}
