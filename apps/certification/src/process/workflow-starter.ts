import { Injectable } from '@nestjs/common';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { BusinessNo, CaseStage, CaseStatus, CaseType } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { sqlRows } from '@certhub/persistence';
import { startWorkflowOnce, workflowHandle } from '@certhub/temporal';
import { certApplication, CERT_REGISTRATION_CASE_TYPE, resubmitSignal, withdrawSignal } from '@certhub/workflows-certification';
import { CertificationConfig } from '../certification.config';
import { PendingDelivery } from './pending-delivery';

interface PendingRow {
  id: string;
  status: string;
  applicant_id: string;
  business_no: string;
  stage: string;
  round: number;
  workflow_round: number;
}

/**
 * Delivers submits to Temporal: a first submit starts `cert-application:<id>`, a resubmit after a
 * return signals `resubmit` with its round. The submit itself is only a database change (status
 * `submitted`, `round` > `workflow_round`), so Temporal being down loses nothing: the request
 * tries once right after its commit, and the runtime's loop delivers whatever is still pending.
 * Starting is idempotent by workflow id and the signal by round, so two deliveries are harmless.
 * A withdrawal of a returned application (`withdrawn`, `round` > `workflow_round` > 0) is
 * delivered the same way, as the signal `withdraw` with its round.
 */
@Injectable()
export class ApplicationWorkflowStarter extends PendingDelivery<PendingRow> {
  protected readonly notDelivered = 'submit not delivered to the workflow yet; the starter retries';

  constructor(
    private readonly dataSource: DataSource,
    private readonly temporal: Client,
    private readonly config: CertificationConfig,
    protected readonly logger: Logger,
  ) {
    super();
  }

  protected async pendingRow(applicationId: string): Promise<PendingRow | undefined> {
    const [row] = await sqlRows<PendingRow>(
      this.dataSource,
      `SELECT id, status, applicant_id, business_no, stage, round, workflow_round FROM application
        WHERE id = $1 AND workflow_round < round AND (status = 'submitted' OR (status = 'withdrawn' AND workflow_round > 0))`,
      [applicationId],
    );
    return row;
  }

  protected async pendingIds(limit: number): Promise<string[]> {
    const submitted = await sqlRows<{ id: string }>(
      this.dataSource,
      `SELECT id FROM application WHERE status = 'submitted' AND workflow_round < round ORDER BY submitted_at LIMIT $1`,
      [limit],
    );
    const withdrawn = await sqlRows<{ id: string }>(
      this.dataSource,
      `SELECT id FROM application WHERE status = 'withdrawn' AND workflow_round > 0 AND workflow_round < round ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return [...submitted, ...withdrawn].map((r) => r.id);
  }

  protected async deliverRow(row: PendingRow): Promise<void> {
    if (row.status === 'withdrawn') {
      try {
        await workflowHandle(this.temporal, certApplication, row.id).signal(withdrawSignal, { round: row.round });
        this.logger.info('application workflow told of the withdrawal', { applicationId: row.id, round: row.round });
      } catch (err) {
        // Closed already (ended by ops): there is nothing left to end.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        this.logger.warn('withdrawn application has no running workflow', { applicationId: row.id });
      }
    } else if (row.workflow_round === 0) {
      const { alreadyStarted } = await startWorkflowOnce(this.temporal, certApplication, row.id, {
        args: [
          {
            applicationId: row.id,
            businessNo: row.business_no,
            applicantId: row.applicant_id,
            reviewWorkingDays: this.config.APPLICATION_REVIEW_WORKING_DAYS,
            escalationWorkingDays: this.config.APPLICATION_ESCALATION_WORKING_DAYS,
            feeDueDays: this.config.APPLICATION_FEE_DUE_DAYS,
            rectificationDays: this.config.RECTIFICATION_DAYS,
          },
        ],
        typedSearchAttributes: [
          { key: BusinessNo, value: row.business_no },
          { key: CaseType, value: CERT_REGISTRATION_CASE_TYPE },
          { key: CaseStage, value: row.stage },
          { key: CaseStatus, value: 'submitted' },
        ],
      });
      this.logger.info('application workflow started', { applicationId: row.id, alreadyStarted });
    } else {
      await workflowHandle(this.temporal, certApplication, row.id).signal(resubmitSignal, { round: row.round });
      this.logger.info('application workflow told of the resubmit', { applicationId: row.id, round: row.round });
    }
    await this.dataSource.query(`UPDATE application SET workflow_round = $2 WHERE id = $1 AND workflow_round < $2`, [row.id, row.round]);
  }
}
