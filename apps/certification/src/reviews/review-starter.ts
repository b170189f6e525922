import { Injectable } from '@nestjs/common';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { BusinessNo, CaseStage, CaseStatus, CaseType } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { sqlRows } from '@certhub/persistence';
import { startWorkflowOnce, workflowHandle } from '@certhub/temporal';
import { reviewCaseWorkflow, reviewResubmitSignal, reviewWithdrawSignal, type ReviewCaseKind } from '@certhub/workflows-certification';
import { CertificationConfig } from '../certification.config';
import { PendingDelivery } from '../process/pending-delivery';

interface PendingRow {
  id: string;
  kind: ReviewCaseKind;
  applicant_id: string;
  business_no: string;
  status: string;
  stage: string;
  round: number;
  workflow_round: number;
}

const PENDING = `(status = 'submitted' AND workflow_round < round) OR (status = 'withdrawn' AND withdraw_delivered = false)`;

/**
 * Tells review cases' workflows what the applicant did (ADR 0016's pattern for applications): a
 * new case starts `<kind>:<id>`, a resubmit signals its round, a withdraw signals the end. Each is
 * a database change first, so Temporal being down loses nothing: the request tries right after
 * its commit, the runtime's loop delivers whatever is still pending. Starting is idempotent by
 * workflow id, the resubmit by round, the withdraw by the flag.
 */
@Injectable()
export class ReviewCaseStarter extends PendingDelivery<PendingRow> {
  protected readonly notDelivered = 'review case change not delivered to the workflow yet; the starter retries';

  constructor(
    private readonly dataSource: DataSource,
    private readonly temporal: Client,
    private readonly config: CertificationConfig,
    protected readonly logger: Logger,
  ) {
    super();
  }

  protected async pendingRow(caseId: string): Promise<PendingRow | undefined> {
    const [row] = await sqlRows<PendingRow>(this.dataSource, `SELECT id, kind, applicant_id, business_no, status, stage, round, workflow_round FROM review_case WHERE id = $1 AND (${PENDING})`, [caseId]);
    return row;
  }

  protected async pendingIds(limit: number): Promise<string[]> {
    const rows = await sqlRows<{ id: string }>(this.dataSource, `SELECT id FROM review_case WHERE ${PENDING} ORDER BY submitted_at LIMIT $1`, [limit]);
    return rows.map((r) => r.id);
  }

  protected async deliverRow(row: PendingRow): Promise<void> {
    const ref = reviewCaseWorkflow(row.kind);
    if (row.status === 'withdrawn') {
      if (row.workflow_round > 0) {
        try {
          await workflowHandle(this.temporal, ref, row.id).signal(reviewWithdrawSignal);
        } catch (err) {
          // Already ended (e.g. its rectification time ran out at the same moment): nothing to tell.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      await this.dataSource.query(`UPDATE review_case SET withdraw_delivered = true WHERE id = $1`, [row.id]);
      this.logger.info('review case workflow told of the withdraw', { caseId: row.id, kind: row.kind });
      return;
    }
    if (row.workflow_round === 0) {
      const { alreadyStarted } = await startWorkflowOnce(this.temporal, ref, row.id, {
        args: [
          {
            caseId: row.id,
            kind: row.kind,
            businessNo: row.business_no,
            applicantId: row.applicant_id,
            reviewWorkingDays: this.config.APPLICATION_REVIEW_WORKING_DAYS,
            escalationWorkingDays: this.config.APPLICATION_ESCALATION_WORKING_DAYS,
            rectificationDays: this.config.RECTIFICATION_DAYS,
          },
        ],
        typedSearchAttributes: [
          { key: BusinessNo, value: row.business_no },
          { key: CaseType, value: row.kind },
          { key: CaseStage, value: row.stage },
          { key: CaseStatus, value: 'submitted' },
        ],
      });
      this.logger.info('review case workflow started', { caseId: row.id, kind: row.kind, alreadyStarted });
    } else {
      await workflowHandle(this.temporal, ref, row.id).signal(reviewResubmitSignal, { round: row.round });
      this.logger.info('review case workflow told of the resubmit', { caseId: row.id, kind: row.kind, round: row.round });
    }
    await this.dataSource.query(`UPDATE review_case SET workflow_round = $2 WHERE id = $1 AND workflow_round < $2`, [row.id, row.round]);
  }
}
