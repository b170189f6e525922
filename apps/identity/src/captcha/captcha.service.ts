import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { create as createCaptcha } from 'svg-captcha';
import { DataSource } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import { IdentityConfig } from '../identity.config';
import { IdentityErrors } from '../identity.errors';
import { Captcha } from './captcha.entity';

// Characters that are easy to tell apart on screen.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

@Injectable()
export class CaptchaService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: IdentityConfig,
  ) {}

  async create(): Promise<{ captchaId: string; image: string; expiresAt: string }> {
    const { text, data: svg } = createCaptcha({ size: 4, charPreset: ALPHABET, noise: 3, color: true, background: '#f4f6f8', width: 120, height: 44, fontSize: 48 });
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + this.config.CAPTCHA_TTL_SECONDS * 1000);
    await this.dataSource.getRepository(Captcha).insert({ id, answer: text, expiresAt, usedAt: null });
    // Housekeeping: expired captchas are useless; delete a few on the way.
    void this.dataSource.query(
      `DELETE FROM captcha WHERE id IN (SELECT id FROM captcha WHERE expires_at < now() - interval '1 hour' LIMIT 100)`,
    ).catch(() => undefined);
    return { captchaId: id, image: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`, expiresAt: expiresAt.toISOString() };
  }

  /** Consumes the captcha (single use, right or wrong) and refuses a wrong or expired answer. */
  async consume(captchaId: string | undefined, text: string | undefined, field = 'captchaText'): Promise<void> {
    if (!captchaId || !text || !/^[0-9a-f-]{36}$/i.test(captchaId)) throw IdentityErrors.error('IDENTITY_CAPTCHA_INVALID', { field });
    const rows = await sqlRows<{ answer: string }>(
      this.dataSource,
      `UPDATE captcha SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now() RETURNING answer`,
      [captchaId],
    );
    const answer = rows[0]?.answer;
    if (!answer || answer.toUpperCase() !== text.trim().toUpperCase()) throw IdentityErrors.error('IDENTITY_CAPTCHA_INVALID', { field });
  }

  /** Sandbox only: the answer of a captcha, for automated clients and demos. */
  async answerOf(captchaId: string): Promise<string | null> {
    const row = await this.dataSource.getRepository(Captcha).findOne({ where: { id: captchaId } });
    return row?.answer ?? null;
  }
}
