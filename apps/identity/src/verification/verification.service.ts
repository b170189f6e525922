import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { CaseStatus, CaseType, VERIFICATION_STATUSES, type VerificationStatus } from '@certhub/contracts';
import { checkUpload } from '@certhub/service-kit';
import { startWorkflowOnce, workflowHandle } from '@certhub/temporal';
import {
  identityVerification,
  submitProofUpdate,
  VerificationRejections,
  type VerificationState,
} from '@certhub/workflows-identity';
import { Account } from '../accounts/account.entity';
import { IdentityConfig } from '../identity.config';
import { IdentityErrors } from '../identity.errors';
import { VerificationProof, VerificationStep } from './verification.entities';

const REJECTIONS = new Set<string>(Object.values(VerificationRejections));

@Injectable()
export class VerificationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly temporal: Client,
    private readonly config: IdentityConfig,
  ) {}

  /** Started from the account-registered event (through the outbox); a duplicate start is harmless. */
  async start(accountId: string): Promise<{ workflowId: string; alreadyStarted: boolean }> {
    return startWorkflowOnce(this.temporal, identityVerification, accountId, {
      typedSearchAttributes: [
        { key: CaseType, value: 'identity-verification' },
        { key: CaseStatus, value: 'active' },
      ],
      args: [
        {
          accountId,
          proofWaitDays: this.config.VERIFICATION_PROOF_WAIT_DAYS,
          reviewWorkingDays: this.config.VERIFICATION_REVIEW_WORKING_DAYS,
          escalationWorkingDays: this.config.VERIFICATION_ESCALATION_WORKING_DAYS,
        },
      ],
    });
  }

  /** The applicant's view: status, current round, and every step with its reason. */
  async progress(accountId: string) {
    const account = await this.dataSource.getRepository(Account).findOne({ where: { id: accountId }, select: { id: true, verificationStatus: true } });
    if (!account) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
    const steps = await this.dataSource.getRepository(VerificationStep).find({ where: { accountId }, order: { step: 'ASC' } });
    const round = steps.length > 0 ? steps[steps.length - 1]!.round : 1;
    return {
      status: account.verificationStatus,
      round,
      workflowId: identityVerification.workflowId(accountId),
      history: steps.map((s) => ({ status: s.status, round: s.round, reason: s.reason, at: s.at })),
    };
  }

  /** Proof material for a "not verifiable" case; the workflow moves on to staff review. */
  async submitProof(accountId: string, contentType: string | undefined, body: Buffer | undefined, requestId: string) {
    // JPEG, PNG or PDF by content; the size is bounded by the service's body limit.
    const checked = checkUpload(contentType, body, { minBytes: 8 });
    if (!checked.ok) throw IdentityErrors.error('IDENTITY_PROOF_TYPE', { field: 'body' });
    const type = checked.contentType;
    const progress = await this.progress(accountId);
    if (progress.status !== 'awaiting-proof') throw IdentityErrors.error('IDENTITY_VERIFICATION_STATE', { details: { status: progress.status } });
    const proofId = randomUUID();
    await this.dataSource.getRepository(VerificationProof).insert({ id: proofId, accountId, round: progress.round, contentType: type, content: checked.content });
    try {
      const state = await this.update(accountId, (handle) =>
        handle.executeUpdate(submitProofUpdate, { args: [{ proofId, round: progress.round }], updateId: `proof:${requestId}` }),
      );
      return { proofId, status: state.status, round: state.round };
    } catch (err) {
      await this.dataSource.getRepository(VerificationProof).delete({ id: proofId });
      throw err;
    }
  }

  /** Staff list of verifications by status (the decisions themselves are tasks in the workbench inbox). */
  async listForStaff(status: VerificationStatus | undefined, limit: number, offset: number) {
    const wanted = status && VERIFICATION_STATUSES.includes(status) ? [status] : ['awaiting-staff', 'onsite-required'];
    const [rows, total] = await this.dataSource.getRepository(Account).findAndCount({
      where: wanted.map((s) => ({ verificationStatus: s as VerificationStatus })),
      order: { updatedAt: 'ASC' },
      take: limit,
      skip: offset,
      select: { id: true, username: true, realName: true, verificationStatus: true, updatedAt: true },
    });
    return { items: rows.map((a) => ({ accountId: a.id, username: a.username, realName: a.realName, status: a.verificationStatus, since: a.updatedAt })), total };
  }

  async caseForStaff(accountId: string) {
    const progress = await this.progress(accountId);
    const proofs = await this.dataSource.getRepository(VerificationProof).find({
      where: { accountId },
      order: { uploadedAt: 'ASC' },
      select: { id: true, round: true, contentType: true, uploadedAt: true },
    });
    return { ...progress, accountId, proofs };
  }

  async proof(accountId: string, proofId: string): Promise<VerificationProof> {
    const proof = await this.dataSource.getRepository(VerificationProof).findOne({ where: { id: proofId, accountId } });
    if (!proof) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
    return proof;
  }

  private async update(
    accountId: string,
    send: (handle: WorkflowHandle) => Promise<VerificationState>,
  ): Promise<VerificationState> {
    try {
      return await send(workflowHandle(this.temporal, identityVerification, accountId));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause?.message ?? '';
        if (REJECTIONS.has(reason)) throw IdentityErrors.error('IDENTITY_VERIFICATION_STATE', { details: { reason } });
      }
      if (err instanceof WorkflowNotFoundError) throw IdentityErrors.error('IDENTITY_VERIFICATION_STATE', { details: { reason: 'NO_RUNNING_VERIFICATION' } });
      const e = err as { name?: string };
      if (e.name === 'ServiceError' || e.name === 'ConnectionError') throw IdentityErrors.error('IDENTITY_VERIFICATION_UNAVAILABLE');
      throw err;
    }
  }
}
