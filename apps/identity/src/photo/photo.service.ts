import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdentityTopics } from '@certhub/contracts';
import { OutboxWriter } from '@certhub/persistence';
import { IdentityErrors } from '../identity.errors';
import { auditPhoto } from './photo-audit';
import { Photo } from './photo.entity';

/** PH-1 … PH-4: audits an upload and keeps the processed 295×413 photo once accepted. */
@Injectable()
export class PhotoService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  async upload(accountId: string, body: Buffer | undefined) {
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw IdentityErrors.error('IDENTITY_PHOTO_REJECTED', { field: 'body', extra: { checks: [] } });
    }
    const result = await auditPhoto(body);
    const checks = result.checks.map((c) => ({ rule: c.rule, passed: c.passed, code: c.code, message: c.message, messageZh: c.messageZh, measured: c.measured }));
    if (!result.accepted || !result.processed) {
      // A rejected upload changes nothing: a previously accepted photo stays.
      throw IdentityErrors.error('IDENTITY_PHOTO_REJECTED', { field: 'body', extra: { checks } });
    }
    const processed = result.processed;
    await this.dataSource.transaction(async (manager) => {
      // The original is dropped as soon as the processed photo is accepted (PH-4).
      await manager.getRepository(Photo).upsert(
        { accountId, status: 'accepted', original: null, processed: processed.jpeg, checks },
        { conflictPaths: ['accountId'] },
      );
      await this.outbox.append(manager, { topic: IdentityTopics.PhotoAccepted, subjectId: accountId, actorId: accountId, data: { accountId, bytes: processed.bytes } });
    });
    return { accepted: true as const, checks, width: processed.width, height: processed.height, bytes: processed.bytes };
  }

  async processed(accountId: string): Promise<Buffer> {
    const photo = await this.dataSource.getRepository(Photo).findOne({ where: { accountId }, select: { accountId: true, status: true, processed: true } });
    if (!photo?.processed || photo.status !== 'accepted') throw IdentityErrors.error('IDENTITY_PHOTO_MISSING');
    return photo.processed;
  }
}
