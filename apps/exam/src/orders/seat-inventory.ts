import type { DataSource, EntityManager } from 'typeorm';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
import { sqlRows } from '@certhub/persistence';

/**
 * The seat counts (ST-1, ST-2). Every statement locks the pool rows it touches in id order
 * first (a canonical lock order, so concurrent orders, releases and city changes cannot
 * deadlock) and changes them in the same statement; the table's check constraint
 * (`held + paid <= quota`) is the last line of defence.
 */
export class SeatInventory {
  /**
   * The statement that holds one seat in each pool, all or nothing, for a transaction that sends
   * it together with COMMIT (no parameters: the ids are checked to be UUIDs and inlined). Rows are
   * locked in id order; a pool with no seat left breaks `ck_seat_pool_counts`, the statement fails
   * and nothing commits ({@link isFull} tells that failure).
   */
  static holdStatement(poolIds: string[]): string {
    if (poolIds.length === 0 || !poolIds.every((id) => UUID.test(id))) throw new Error('seat pools must be UUIDs');
    const list = [...poolIds].sort().map((id) => `'${id}'`).join(', ');
    return `WITH locked AS (SELECT id FROM seat_pool WHERE id IN (${list}) ORDER BY id FOR UPDATE)
UPDATE seat_pool s SET held = s.held + 1 FROM locked WHERE s.id = locked.id`;
  }

  /** Whether a failed statement failed because a pool had no seat left. */
  static isFull(err: unknown): boolean {
    const driver = (err as { driverError?: { code?: string; constraint?: string } } | null)?.driverError;
    return driver?.code === '23514' && driver.constraint === 'ck_seat_pool_counts';
  }

  /** The pools (of `poolIds`) without a free seat now. */
  static async fullAmong(runner: EntityManager | DataSource, poolIds: string[]): Promise<string[]> {
    const rows = await sqlRows<{ id: string }>(runner, `SELECT id FROM seat_pool WHERE id = ANY($1::uuid[]) AND held + paid >= quota`, [poolIds]);
    return rows.map((r) => r.id);
  }

  /** Releases held seats (expiry, cancel). */
  static async releaseHeld(manager: EntityManager, poolIds: string[]): Promise<void> {
    if (poolIds.length === 0) return;
    await manager.query(
      `WITH locked AS (SELECT id FROM seat_pool WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
       UPDATE seat_pool s SET held = s.held - 1 FROM locked WHERE s.id = locked.id`,
      [poolIds],
    );
  }

  /** Payment confirmed: held → paid. */
  static async markPaid(manager: EntityManager, poolIds: string[]): Promise<void> {
    if (poolIds.length === 0) return;
    await manager.query(
      `WITH locked AS (SELECT id FROM seat_pool WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
       UPDATE seat_pool s SET held = s.held - 1, paid = s.paid + 1 FROM locked WHERE s.id = locked.id`,
      [poolIds],
    );
  }

  /** Refund requested: paid seats released. */
  static async releasePaid(manager: EntityManager, poolIds: string[]): Promise<void> {
    if (poolIds.length === 0) return;
    await manager.query(
      `WITH locked AS (SELECT id FROM seat_pool WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
       UPDATE seat_pool s SET paid = s.paid - 1 FROM locked WHERE s.id = locked.id`,
      [poolIds],
    );
  }

  /**
   * Moves paid seats from `fromIds[i]` to `toIds[i]` (EX-10), all or nothing: every pool of both
   * cities is locked in id order, then the new seats are taken only when every one is free.
   * Returns the target pools that were full (nothing changed then).
   */
  static async movePaid(manager: EntityManager, fromIds: string[], toIds: string[]): Promise<{ full: string[] }> {
    await manager.query(`SELECT id FROM seat_pool WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [[...fromIds, ...toIds]]);
    const free = await sqlRows<{ id: string }>(manager, `SELECT id FROM seat_pool WHERE id = ANY($1::uuid[]) AND held + paid < quota`, [toIds]);
    const freeIds = new Set(free.map((r) => r.id));
    const full = toIds.filter((id) => !freeIds.has(id));
    if (full.length > 0) return { full };
    await manager.query(`UPDATE seat_pool SET paid = paid + 1 WHERE id = ANY($1::uuid[])`, [toIds]);
    await manager.query(`UPDATE seat_pool SET paid = paid - 1 WHERE id = ANY($1::uuid[])`, [fromIds]);
    return { full: [] };
  }
}
