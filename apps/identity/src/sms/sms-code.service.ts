import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import { IdentityConfig } from '../identity.config';
import { IdentityErrors } from '../identity.errors';
import { SmsProvider } from './sms-provider';
import type { SmsPurpose } from './sms-code.entity';

const hashCode = (phone: string, code: string) => createHash('sha256').update(`${phone}:${code}`).digest('hex');

const PURPOSE_TEXT: Record<SmsPurpose, string> = {
  register: '注册',
  'reset-password': '重置密码',
  'change-phone': '更换手机号',
  'recover-account': '找回账户',
};

@Injectable()
export class SmsCodeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: IdentityConfig,
    private readonly provider: SmsProvider,
  ) {}

  /**
   * Issues a code for a phone (ID-4). The upsert only replaces a row whose code was sent
   * more than the resend interval ago, so two concurrent requests cannot both send.
   */
  async issue(phone: string, purpose: SmsPurpose): Promise<{ expiresAt: Date }> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.SMS_CODE_TTL_SECONDS * 1000);
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO sms_code (phone, purpose, code_hash, sent_at, expires_at, failed_attempts, consumed_at)
       VALUES ($1, $2, $3, $4, $5, 0, NULL)
       ON CONFLICT (phone) DO UPDATE
         SET purpose = EXCLUDED.purpose, code_hash = EXCLUDED.code_hash, sent_at = EXCLUDED.sent_at,
             expires_at = EXCLUDED.expires_at, failed_attempts = 0, consumed_at = NULL
         WHERE sms_code.sent_at <= $4::timestamptz - make_interval(secs => $6)
       RETURNING phone`,
      [phone, purpose, hashCode(phone, code), now, expiresAt, this.config.SMS_RESEND_SECONDS],
    );
    if (rows.length === 0) throw IdentityErrors.error('IDENTITY_SMS_TOO_FREQUENT', { field: 'phone' });
    const minutes = Math.round(this.config.SMS_CODE_TTL_SECONDS / 60);
    await this.provider.send({
      phone,
      purpose,
      text: `【认证人员服务平台】您的${PURPOSE_TEXT[purpose]}验证码为 ${code}，${minutes}分钟内有效，请勿泄露。`,
    });
    return { expiresAt };
  }

  /**
   * Checks and consumes a code inside the caller's transaction, so a registration that fails
   * afterwards leaves the code usable. A wrong code counts toward a lockout of that code.
   */
  async consume(manager: EntityManager, phone: string, purpose: SmsPurpose, code: string, field = 'smsCode'): Promise<void> {
    const rows: Array<{ code_hash: string; purpose: string; expires_at: Date; failed_attempts: number; consumed_at: Date | null }> =
      await manager.query(`SELECT code_hash, purpose, expires_at, failed_attempts, consumed_at FROM sms_code WHERE phone = $1`, [phone]);
    const row = rows[0];
    if (!row || row.purpose !== purpose || row.consumed_at || row.expires_at.getTime() <= Date.now()) {
      throw IdentityErrors.error('IDENTITY_SMS_CODE_EXPIRED', { field });
    }
    if (row.failed_attempts >= this.config.SMS_MAX_ATTEMPTS) throw IdentityErrors.error('IDENTITY_SMS_CODE_LOCKED', { field });
    const expected = Buffer.from(row.code_hash, 'hex');
    const given = Buffer.from(hashCode(phone, code), 'hex');
    if (!/^\d{6}$/.test(code) || !timingSafeEqual(expected, given)) {
      // Counted on its own connection: the caller's transaction rolls back on the error below.
      await this.dataSource.query(`UPDATE sms_code SET failed_attempts = failed_attempts + 1 WHERE phone = $1`, [phone]);
      throw IdentityErrors.error('IDENTITY_SMS_CODE_INVALID', { field });
    }
    // Consumed under the row lock until commit: a concurrent use of the same code finds it consumed.
    const consumed = await sqlRows(
      manager,
      `UPDATE sms_code SET consumed_at = now() WHERE phone = $1 AND code_hash = $2 AND consumed_at IS NULL RETURNING phone`,
      [phone, row.code_hash],
    );
    if (consumed.length === 0) throw IdentityErrors.error('IDENTITY_SMS_CODE_EXPIRED', { field });
  }
}
