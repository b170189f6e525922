import type { DataSource } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import type { ProviderOutcome } from '@certhub/workflows-identity';

/**
 * Checks identity and education with an external verification provider (e.g. the national
 * education-credential service). Throws `ProviderUnavailable` when it cannot answer now.
 */
export abstract class VerificationProvider {
  abstract verify(account: { accountId: string; usernameKey: string }): Promise<ProviderOutcome>;
}

export class ProviderUnavailable extends Error {
  constructor() {
    super('verification provider unavailable');
    this.name = 'ProviderUnavailable';
  }
}

/**
 * Sandbox provider: answers the outcome set for the username (or the default row `*`; without
 * either, "verified"), after answering "unavailable" as many times as configured.
 */
export class SandboxVerificationProvider extends VerificationProvider {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async verify(account: { accountId: string; usernameKey: string }): Promise<ProviderOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows<{ username_key: string; outcome: ProviderOutcome; unavailable_times: number }>(
        manager,
        `SELECT username_key, outcome, unavailable_times FROM sandbox_verification_outcome
          WHERE username_key IN ($1, '*') ORDER BY (username_key = '*') LIMIT 1 FOR UPDATE`,
        [account.usernameKey],
      );
      const row = rows[0];
      if (!row) return 'verified';
      if (row.unavailable_times > 0) {
        await manager.query(`UPDATE sandbox_verification_outcome SET unavailable_times = unavailable_times - 1 WHERE username_key = $1`, [row.username_key]);
        return 'unavailable' as const;
      }
      return row.outcome;
    }).then((outcome) => {
      // Thrown after commit so the countdown of "unavailable" answers sticks.
      if (outcome === 'unavailable') throw new ProviderUnavailable();
      return outcome;
    });
  }
}
