import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdentityTopics } from '@certhub/contracts';
import { OutboxWriter } from '@certhub/persistence';
import { Account, type IdType } from '../accounts/account.entity';
import { normaliseDocument } from '../accounts/identity-document';
import { checkPassword } from '../accounts/registration.service';
import { IdentityErrors } from '../identity.errors';
import { PasswordHasher } from '../sessions/password-hasher';
import { SessionService } from '../sessions/session.service';
import { SmsCodeService } from '../sms/sms-code.service';

export interface IdentityClaim {
  realName: string;
  idType: IdType;
  idNumber: string;
}

/** ID-9: password recovery by security question or by SMS, and account recovery by SMS. */
@Injectable()
export class RecoveryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly sms: SmsCodeService,
    private readonly sessions: SessionService,
    private readonly outbox: OutboxWriter,
  ) {}

  private async findByDocument(idType: IdType, idNumber: string): Promise<Account | null> {
    let doc;
    try {
      doc = normaliseDocument(idType, idNumber);
    } catch {
      return null;
    }
    return this.dataSource.getRepository(Account).findOne({ where: { idType: doc.idType, idNumber: doc.idNumber } });
  }

  private async findByClaim(claim: IdentityClaim): Promise<Account> {
    const account = await this.findByDocument(claim.idType, claim.idNumber);
    if (!account || account.realName !== claim.realName.trim()) throw IdentityErrors.error('IDENTITY_RECOVERY_FAILED', { field: 'idNumber' });
    return account;
  }

  /** Way (a), step 1: name + document number → the security question. */
  async question(claim: IdentityClaim): Promise<{ question: string }> {
    const account = await this.findByClaim(claim);
    if (!account.recoveryQuestion) throw IdentityErrors.error('IDENTITY_NO_RECOVERY_QUESTION');
    return { question: account.recoveryQuestion };
  }

  /** Way (a), step 2: the answer → new password. A wrong answer counts like a failed login. */
  async resetByAnswer(claim: IdentityClaim & { answer: string; newPassword: string }): Promise<void> {
    const account = await this.findByClaim(claim);
    if (account.lockedUntil && account.lockedUntil.getTime() > Date.now()) throw IdentityErrors.error('IDENTITY_ACCOUNT_LOCKED');
    if (!account.recoveryAnswerHash) throw IdentityErrors.error('IDENTITY_NO_RECOVERY_QUESTION');
    if (!(await this.hasher.verify(claim.answer.trim(), account.recoveryAnswerHash))) {
      await this.sessions.countFailure(account.id);
      throw IdentityErrors.error('IDENTITY_RECOVERY_FAILED', { field: 'answer' });
    }
    checkPassword(claim.newPassword, 'newPassword');
    await this.setPassword(account.id, claim.newPassword);
  }

  /** Way (b): name + document number + registered phone + SMS code → new password. */
  async resetBySms(claim: IdentityClaim & { phone: string; smsCode: string; newPassword: string }): Promise<void> {
    const account = await this.findByClaim(claim);
    if (account.phone !== claim.phone) throw IdentityErrors.error('IDENTITY_RECOVERY_FAILED', { field: 'phone' });
    checkPassword(claim.newPassword, 'newPassword');
    await this.setPassword(account.id, claim.newPassword, async (manager) => {
      await this.sms.consume(manager, claim.phone, 'reset-password', claim.smsCode);
    });
  }

  /** 找回账户: document number + the registered phone's SMS code → the username. */
  async recoverAccount(input: { idType: IdType; idNumber: string; phone: string; smsCode: string }): Promise<{ username: string }> {
    const account = await this.findByDocument(input.idType, input.idNumber);
    if (!account || account.phone !== input.phone) throw IdentityErrors.error('IDENTITY_RECOVERY_FAILED', { field: 'idNumber' });
    await this.dataSource.transaction((manager) => this.sms.consume(manager, input.phone, 'recover-account', input.smsCode));
    return { username: account.username };
  }

  private async setPassword(accountId: string, password: string, before?: (m: import('typeorm').EntityManager) => Promise<void>): Promise<void> {
    const hash = await this.hasher.hash(password);
    await this.dataSource.transaction(async (manager) => {
      if (before) await before(manager);
      await manager.query(
        `UPDATE account SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = now(), version = version + 1 WHERE id = $1`,
        [accountId, hash],
      );
      await this.sessions.revokeAll(accountId, manager, 'account-recovered');
      await this.outbox.append(manager, { topic: IdentityTopics.AccountChanged, subjectId: accountId, actorId: accountId, data: { accountId, changed: ['password'] } });
    });
  }
}
