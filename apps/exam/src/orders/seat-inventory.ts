import type { EntityManager } from 'typeorm';
import { sqlRows } from '@certhub/persistence';

/**
 * The seat counts (ST-1, ST-2). Every statement locks the pool rows it touches in id order
 * first (a canonical lock order, so concurrent orders, releases and city changes cannot
 * deadlock) and changes them in the same statement; the table's check constraint
 * (`held + paid <= quota`) is the last line of defence.
 */
export class SeatInventory {
  /**
   * Holds one seat in each pool, all or nothing: returns the ids of the pools that had no seat
   * left (empty when every seat is now held). When some are full nothing was changed by this
   * statement — the caller must roll back its transaction anyway.
   */
  static async hold(manager: EntityManager, poolIds: string[]): Promise<{ full: string[] }> {
    // The lock is taken in id order by the CTE; the UPDATE re-checks the condition on the newest
    // row version (READ COMMITTED re-evaluates it after waiting), so a pool filled meanwhile is
    // skipped rather than overfilled.
    const rows = await sqlRows<{ id: string }>(
      manager,
      `WITH locked AS (SELECT id FROM seat_pool WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
       UPDATE seat_pool s SET held = s.held + 1 FROM locked
        WHERE s.id = locked.id AND s.held + s.paid < s.quota
       RETURNING s.id`,
      [poolIds],
    );
    const taken = new Set(rows.map((r) => r.id));
    return { full: poolIds.filter((id) => !taken.has(id)) };
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
