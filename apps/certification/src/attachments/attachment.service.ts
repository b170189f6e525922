import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Logger } from '@certhub/logging';
import { sqlRows } from '@certhub/persistence';
import { checkUpload, uploadExtension, type Caller } from '@certhub/service-kit';
import { CertificationConfig } from '../certification.config';
import { CertificationErrors } from '../certification.errors';
import { ReviewCaseAccess } from '../reviews/review-case-access';
import type { ReviewCaseRow } from '../reviews/review-case-event';

/** A file a case's form names, by the form field that names it. */
export interface AttachmentRef {
  field: string;
  id: string;
}

interface AttachmentMeta {
  id: string;
  owner_id: string;
  content_type: string;
  bytes: number;
  sha256: string;
  uploaded_at: Date;
}

const META_COLUMNS = 'id, owner_id, content_type, bytes, sha256, uploaded_at';

/** Unused uploads deleted by one purge statement (a scheduled purge repeats while it deletes this many). */
export const ATTACHMENT_PURGE_BATCH = 500;

/**
 * Files people put on their cases (附件, e.g. 转会理由文件): uploaded first (JPEG, PNG or PDF by
 * content, at most `ATTACHMENT_MAX_BYTES`), then named by id in a form. A form may name only the
 * caller's own uploads; a file is served to its uploader and to whoever may read a case whose
 * form named it, and is "not found" for everyone else. Contents are never logged.
 */
@Injectable()
export class AttachmentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: CertificationConfig,
    private readonly access: ReviewCaseAccess,
    private readonly logger: Logger,
  ) {}

  /**
   * Stores an upload. A replay of the same request (same `X-Request-Id` of the same person) gets
   * the same file back; refusals (type, empty, too large, too many today) store nothing.
   */
  async upload(caller: Caller, contentType: string | undefined, body: unknown, requestId: string) {
    const checked = checkUpload(contentType, body, { maxBytes: this.config.ATTACHMENT_MAX_BYTES });
    if (!checked.ok) {
      if (checked.refusal === 'empty') throw CertificationErrors.error('CERT_ATTACHMENT_EMPTY', { field: 'body' });
      if (checked.refusal === 'too-large') throw CertificationErrors.error('CERT_ATTACHMENT_TOO_LARGE', { field: 'body', details: { maxBytes: checked.maxBytes } });
      throw CertificationErrors.error('CERT_ATTACHMENT_TYPE', { field: 'body', details: { accepted: ['image/jpeg', 'image/png', 'application/pdf'] } });
    }
    const { contentType: type, content } = checked;
    const stored = await this.dataSource.transaction(async (manager) => {
      // One upload of a person at a time: the replay check and the daily count cannot race.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('certification.attachment:' || $1, 0))`, [caller.sub]);
      const [earlier] = await sqlRows<AttachmentMeta>(manager, `SELECT ${META_COLUMNS} FROM attachment WHERE owner_id = $1 AND request_id = $2`, [caller.sub, requestId]);
      if (earlier) return { row: earlier, replayed: true };
      const [today] = await sqlRows<{ n: number }>(manager, `SELECT count(*)::int AS n FROM attachment WHERE owner_id = $1 AND uploaded_at > now() - interval '24 hours'`, [caller.sub]);
      if (today!.n >= this.config.ATTACHMENTS_PER_DAY) throw CertificationErrors.error('CERT_TOO_MANY_ATTACHMENTS', { details: { limit: this.config.ATTACHMENTS_PER_DAY } });
      const [row] = await sqlRows<AttachmentMeta>(
        manager,
        `INSERT INTO attachment (id, owner_id, content_type, content, bytes, sha256, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${META_COLUMNS}`,
        [randomUUID(), caller.sub, type, content, content.length, createHash('sha256').update(content).digest('hex'), requestId],
      );
      return { row: row!, replayed: false };
    });
    if (!stored.replayed) this.logger.info('certification attachment stored', { attachmentId: stored.row.id, contentType: type, bytes: content.length });
    return { ...this.view(stored.row), replayed: stored.replayed };
  }

  private view(row: AttachmentMeta) {
    return { id: row.id, contentType: row.content_type, bytes: row.bytes, sha256: row.sha256, uploadedAt: row.uploaded_at.toISOString() };
  }

  /** The file for its uploader or a reader of a case that names it; "not found" for anyone else. */
  async file(id: string, caller: Caller): Promise<{ id: string; contentType: string; ext: string; content: Buffer }> {
    const [meta] = await sqlRows<AttachmentMeta>(this.dataSource, `SELECT ${META_COLUMNS} FROM attachment WHERE id = $1`, [id]);
    if (!meta || !(meta.owner_id === caller.sub || (await this.readableThroughCase(id, caller)))) {
      throw CertificationErrors.error('CERT_ATTACHMENT_NOT_FOUND', { field: 'id' });
    }
    const [file] = await sqlRows<{ content: Buffer }>(this.dataSource, `SELECT content FROM attachment WHERE id = $1`, [id]);
    return { id, contentType: meta.content_type, ext: uploadExtension(meta.content_type), content: file!.content };
  }

  private async readableThroughCase(id: string, caller: Caller): Promise<boolean> {
    const cases = await sqlRows<Pick<ReviewCaseRow, 'id' | 'kind' | 'applicant_id' | 'institution_id' | 'target_institution_id'>>(
      this.dataSource,
      `SELECT c.id, c.kind, c.applicant_id, c.institution_id, c.target_institution_id FROM review_case_attachment l JOIN review_case c ON c.id = l.case_id WHERE l.attachment_id = $1`,
      [id],
    );
    for (const c of cases) {
      if (await this.access.mayRead(c, caller)) return true;
    }
    return false;
  }

  /**
   * Refuses a form naming a file that is not one of the caller's uploads (unknown, or someone
   * else's: the same answer, so ids of others' files reveal nothing), with the field at fault.
   */
  async requireOwn(manager: EntityManager, caller: Caller, refs: readonly AttachmentRef[]): Promise<void> {
    for (const ref of refs) {
      // Locked until the form's transaction ends: the purge of unused uploads passes it by (and a
      // file the purge is deleting at this moment is not found once it is gone).
      const [own] = await sqlRows<{ id: string }>(manager, `SELECT id FROM attachment WHERE id = $1 AND owner_id = $2 FOR KEY SHARE`, [ref.id, caller.sub]);
      if (!own) {
        throw CertificationErrors.error('CERT_ATTACHMENT_NOT_FOUND', {
          field: ref.field,
          en: 'The file was not found among your uploads: upload it first (POST /api/v1/certification/attachments) and name the id it answered.',
          zh: '未在您上传的文件中找到该文件，请先上传文件，再填写上传后返回的文件编号。',
        });
      }
    }
  }

  /**
   * Deletes uploads that no case's form names, `olderThanDays` after they were uploaded, oldest
   * first, at most `limit` in one call; the number deleted. An upload a form is naming at this
   * moment (locked by `requireOwn`) is passed by and kept: its link is written with the form.
   */
  async purgeUnused(olderThanDays: number, limit = ATTACHMENT_PURGE_BATCH): Promise<number> {
    const rows = await sqlRows<{ id: string }>(
      this.dataSource,
      `WITH doomed AS (
         SELECT a.id FROM attachment a
          WHERE a.uploaded_at < now() - make_interval(days => $1)
            AND NOT EXISTS (SELECT 1 FROM review_case_attachment l WHERE l.attachment_id = a.id)
          ORDER BY a.uploaded_at
          LIMIT $2
            FOR UPDATE SKIP LOCKED)
       DELETE FROM attachment a USING doomed d WHERE a.id = d.id RETURNING a.id`,
      [olderThanDays, limit],
    );
    if (rows.length > 0) this.logger.info('unused certification attachments deleted', { count: rows.length, olderThanDays });
    return rows.length;
  }

  /** Records that the case's form (of this round) names the files: the case's readers may read them from now on. */
  async link(manager: EntityManager, caseId: string, refs: readonly AttachmentRef[], round: number): Promise<void> {
    for (const ref of refs) {
      await manager.query(`INSERT INTO review_case_attachment (case_id, attachment_id, field, round) VALUES ($1, $2, $3, $4) ON CONFLICT (case_id, attachment_id) DO NOTHING`, [
        caseId,
        ref.id,
        ref.field,
        round,
      ]);
    }
  }

  /** The files every round of the case's form named, oldest first (without their contents). */
  async ofCase(caseId: string) {
    const rows = await sqlRows<AttachmentMeta & { field: string; round: number }>(
      this.dataSource,
      `SELECT a.id, a.owner_id, a.content_type, a.bytes, a.sha256, a.uploaded_at, l.field, l.round FROM review_case_attachment l JOIN attachment a ON a.id = l.attachment_id WHERE l.case_id = $1 ORDER BY l.created_at, a.id`,
      [caseId],
    );
    return rows.map((r) => ({ field: r.field, round: r.round, ...this.view(r) }));
  }
}
