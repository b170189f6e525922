import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { IdentityTopics, type SessionRevokedV1 } from '@certhub/contracts';
import { OutboxWriter, sqlRows } from '@certhub/persistence';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { Account } from '../accounts/account.entity';
import { CaptchaService } from '../captcha/captcha.service';
import { IdentityConfig } from '../identity.config';
import { IdentityErrors } from '../identity.errors';
import { PasswordHasher } from './password-hasher';
import { RefreshToken } from './refresh-token.entity';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

@Injectable()
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: IdentityConfig,
    private readonly hasher: PasswordHasher,
    private readonly captchas: CaptchaService,
    private readonly outbox: OutboxWriter,
  ) {}

  /**
   * ID-8: login with username, password and captcha. Failed passwords count; reaching the limit
   * locks the account for a while. The captcha is checked first and consumed either way.
   */
  async login(input: { username: string; password: string; captchaId: string; captchaText: string }): Promise<TokenPair> {
    await this.captchas.consume(input.captchaId, input.captchaText);
    const account = await this.dataSource.getRepository(Account).findOne({ where: { usernameKey: input.username.toLowerCase() } });
    if (!account) {
      await this.hasher.burn(input.password);
      throw IdentityErrors.error('IDENTITY_LOGIN_FAILED', { field: 'password' });
    }
    if (account.lockedUntil && account.lockedUntil.getTime() > Date.now()) {
      throw IdentityErrors.error('IDENTITY_ACCOUNT_LOCKED', { details: { lockedUntil: account.lockedUntil.toISOString() } });
    }
    if (!(await this.hasher.verify(input.password, account.passwordHash))) {
      const failure = await this.countFailure(account.id);
      const lockedUntil = failure.locked_until;
      if (lockedUntil && lockedUntil.getTime() > Date.now()) {
        throw IdentityErrors.error('IDENTITY_ACCOUNT_LOCKED', { details: { lockedUntil: lockedUntil.toISOString() } });
      }
      throw IdentityErrors.error('IDENTITY_LOGIN_FAILED', {
        field: 'password',
        details: { remainingAttempts: this.config.LOGIN_MAX_FAILURES - failure.failed_logins },
      });
    }
    if (account.failedLogins > 0 || account.lockedUntil) {
      await this.dataSource.query(`UPDATE account SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [account.id]);
    }
    return this.issue(account, randomUUID());
  }

  /**
   * Rotation: a refresh token is good once. Using it marks it replaced and returns a new pair of
   * the same family; presenting a replaced token again is treated as theft and revokes the family.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const tokenHash = hashToken(refreshToken);
    return this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows<{ id: string; family_id: string; account_id: string; expires_at: Date; replaced_at: Date | null; revoked_at: Date | null }>(
        manager,
        `SELECT id, family_id, account_id, expires_at, replaced_at, revoked_at FROM refresh_token WHERE token_hash = $1 FOR UPDATE`,
        [tokenHash],
      );
      const row = rows[0];
      if (!row) throw IdentityErrors.error('IDENTITY_REFRESH_TOKEN_INVALID', { field: 'refreshToken' });
      if (row.replaced_at && !row.revoked_at) {
        await manager.query(`UPDATE refresh_token SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [row.family_id]);
        await this.announceRevoked(manager, row.account_id, [row.family_id], 'refresh-token-reuse');
        return null;
      }
      if (row.revoked_at || row.expires_at.getTime() <= Date.now()) {
        throw IdentityErrors.error('IDENTITY_REFRESH_TOKEN_INVALID', { field: 'refreshToken' });
      }
      await manager.query(`UPDATE refresh_token SET replaced_at = now() WHERE id = $1`, [row.id]);
      const account = await manager.getRepository(Account).findOneOrFail({ where: { id: row.account_id } });
      return this.issue(account, row.family_id, manager);
    }).then((pair) => {
      // The family revocation above must commit, so the refusal is thrown after the transaction.
      if (!pair) throw IdentityErrors.error('IDENTITY_REFRESH_TOKEN_INVALID', { field: 'refreshToken' });
      return pair;
    });
  }

  /** Logout: revokes the refresh-token family of the current session. */
  async revokeSession(accountId: string, familyId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE refresh_token SET revoked_at = now() WHERE family_id = $1 AND account_id = $2 AND revoked_at IS NULL`, [familyId, accountId]);
      await this.announceRevoked(manager, accountId, [familyId], 'logout');
    });
  }

  /**
   * Tells the platform that sessions ended (`identity.session.revoked.v1`, in the caller's
   * transaction): the gateway refuses their access tokens from then on instead of until expiry.
   */
  private async announceRevoked(manager: EntityManager, accountId: string, sessionIds: string[], reason: SessionRevokedV1['reason']): Promise<void> {
    await this.outbox.append(manager, {
      topic: IdentityTopics.SessionRevoked,
      subjectId: accountId,
      actorId: accountId,
      data: { accountId, sessionIds: [...new Set(sessionIds)], reason, revokedAt: new Date().toISOString() },
    });
  }

  /**
   * Counts a failed proof of identity (wrong password, wrong recovery answer). Reaching the limit
   * locks the account for the configured time and resets the count. Atomic: concurrent wrong
   * guesses all count.
   */
  async countFailure(accountId: string): Promise<{ failed_logins: number; locked_until: Date | null }> {
    const rows = await sqlRows<{ failed_logins: number; locked_until: Date | null }>(
      this.dataSource,
      `UPDATE account SET
         failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
       WHERE id = $1 RETURNING failed_logins, locked_until`,
      [accountId, this.config.LOGIN_MAX_FAILURES, this.config.LOGIN_LOCK_SECONDS],
    );
    return rows[0] ?? { failed_logins: 0, locked_until: null };
  }

  /** Whether the session an access token was issued for is still live (not logged out or revoked). */
  async isLive(caller: Caller): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM refresh_token WHERE family_id = $1 AND account_id = $2 AND revoked_at IS NULL LIMIT 1`,
      [caller.sid, caller.sub],
    );
    return rows.length > 0;
  }

  /** After a password change or recovery every session of the account ends (inside the caller's transaction). */
  async revokeAll(accountId: string, manager: EntityManager, reason: 'password-changed' | 'account-recovered'): Promise<void> {
    const revoked = await sqlRows<{ family_id: string }>(
      manager,
      `UPDATE refresh_token SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL RETURNING family_id`,
      [accountId],
    );
    await this.announceRevoked(manager, accountId, revoked.map((r) => r.family_id), reason);
  }

  callerOf(account: Account, sid: string): Caller {
    return {
      sub: account.id,
      username: account.username,
      accountType: account.accountType,
      roles: account.roles,
      institutionId: account.institutionId,
      sid,
    };
  }

  private async issue(account: Account, familyId: string, manager = this.dataSource.manager): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    await manager.getRepository(RefreshToken).insert({
      id: randomUUID(),
      familyId,
      accountId: account.id,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000),
      replacedAt: null,
      revokedAt: null,
    });
    const ttl = this.config.ACCESS_TOKEN_TTL_SECONDS;
    return {
      accessToken: signAccessToken(this.callerOf(account, familyId), this.config.CERTHUB_JWT_SECRET, ttl),
      refreshToken,
      expiresIn: ttl,
      tokenType: 'Bearer',
    };
  }
}
