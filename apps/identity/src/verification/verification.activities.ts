import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { IdentityTopics } from '@certhub/contracts';
import { runWithContext, type Logger } from '@certhub/logging';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import type { IdentityActivities, RecordVerificationInput } from '@certhub/workflows-identity';
import { Account } from '../accounts/account.entity';
import { ProviderUnavailable, type VerificationProvider } from './verification-provider';

export interface IdentityActivityDeps {
  dataSource: DataSource;
  provider: VerificationProvider;
  outbox: OutboxWriter;
  logger: Logger;
}

/** Activities of the identity workflows, built with their dependencies (imported by workflows as types only). */
export function createIdentityActivities(deps: IdentityActivityDeps): IdentityActivities {
  const { dataSource, provider, outbox, logger } = deps;
  return {
    async checkWithVerificationProvider({ accountId }) {
      const account = await dataSource.getRepository(Account).findOne({ where: { id: accountId }, select: { id: true, usernameKey: true } });
      if (!account) throw ApplicationFailure.nonRetryable(`account ${accountId} does not exist`, 'InvalidAccount');
      try {
        return { outcome: await provider.verify({ accountId, usernameKey: account.usernameKey }) };
      } catch (err) {
        if (err instanceof ProviderUnavailable) throw ApplicationFailure.retryable('verification provider unavailable', 'ProviderUnavailable');
        throw err;
      }
    },

    /** Idempotent by (workflowId, step): a retried activity records and emits nothing twice. */
    async recordVerification(input: RecordVerificationInput) {
      // Events of one case share its workflow id as correlation id.
      await runWithContext({ correlationId: input.workflowId, actorId: input.actorId ?? undefined }, () => record(input));
    },

    async remindVerificationStaff({ accountId, round, waitingSinceDays }) {
      logger.warn('verification decision overdue', { accountId, round, waitingSinceDays });
    },
  };

  async function record(input: RecordVerificationInput): Promise<void> {
    await dataSource.transaction(async (manager) => {
      const inserted = await sqlRows(
        manager,
        `INSERT INTO verification_step (id, account_id, workflow_id, step, round, status, reason, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workflow_id, step) DO NOTHING RETURNING id`,
        [randomUUID(), input.accountId, input.workflowId, input.step, input.round, input.status, input.reason, input.actorId],
      );
      if (inserted.length === 0) return;
      await manager.query(`UPDATE account SET verification_status = $2, updated_at = now() WHERE id = $1`, [input.accountId, input.status]);
      await outbox.append(manager, {
        topic: IdentityTopics.VerificationChanged,
        subjectId: input.accountId,
        actorId: input.actorId,
        data: {
          accountId: input.accountId,
          status: input.status,
          previousStatus: input.previousStatus,
          workflowId: input.workflowId,
          reason: input.reason,
        },
      });
    });
  }
}
