import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import { isUuid, type Caller } from '@certhub/service-kit';
import { WorkbenchErrors } from '../workbench.errors';
import { inboxView, type InboxRow, type MessageListQuery, type NoticeListQuery, type PublishNoticeBody } from './message.views';

export interface UnreadCounts {
  messages: number;
  notices: number;
  total: number;
}

/**
 * The caller's personal messages (not cleared). Parameters: $1 the caller.
 * Uses ix_message_recipient / ix_message_unread.
 */
const MESSAGES_SQL = `
  SELECT m.id, 'message' AS kind, m.category, m.title_zh, m.title_en, m.body_zh, m.body_en, m.link, m.link_type,
         m.created_at, (m.read_at IS NOT NULL) AS read
  FROM message m WHERE m.recipient_id = $1 AND m.cleared_at IS NULL`;

/**
 * Notices of the caller's audiences, not cleared (one by one, or all before the cursor), with
 * their read state (a receipt, or published before "mark all read"). Parameters: $1 the caller,
 * $2 the audiences.
 */
const NOTICES_SQL = `
  SELECT n.id, 'notice' AS kind, NULL::text AS category, n.title_zh, n.title_en, n.body_zh, n.body_en, NULL::text AS link,
         NULL::text AS link_type, n.published_at AS created_at,
         (r.read_at IS NOT NULL OR coalesce(n.published_at <= c.read_before, false)) AS read
  FROM notice n
  LEFT JOIN notice_receipt r ON r.notice_id = n.id AND r.account_id = $1
  LEFT JOIN notice_cursor c ON c.account_id = $1
  WHERE n.audience = ANY($2::text[])
    AND (c.cleared_before IS NULL OR n.published_at > c.cleared_before)
    AND r.cleared_at IS NULL`;

/** WB-4 message center: personal messages (消息) and broadcast notices (通知). */
@Injectable()
export class MessageService {
  constructor(private readonly dataSource: DataSource) {}

  async list(caller: Caller, query: MessageListQuery) {
    const kind = query.kind ?? 'all';
    const size = query.size ?? 20;
    const page = query.page ?? 1;
    const offset = (page - 1) * size;
    const unreadOnly = query.unread === 'true';
    const parts: string[] = [];
    const filter = unreadOnly ? ' AND NOT x.read' : '';
    // Each branch is cut to what the page can need before they are merged.
    if (kind !== 'notice') parts.push(`(SELECT * FROM (${MESSAGES_SQL}) x WHERE true${filter} ORDER BY x.created_at DESC, x.id LIMIT ${offset + size})`);
    if (kind !== 'message') parts.push(`(SELECT * FROM (${NOTICES_SQL}) x WHERE true${filter} ORDER BY x.created_at DESC, x.id LIMIT ${offset + size})`);
    // $2 (audiences) only when notices are part of the query: PostgreSQL refuses untyped unused parameters.
    const params = kind === 'message' ? [caller.sub] : [caller.sub, audiencesOf(caller)];
    const [rows, unread, total] = await Promise.all([
      this.dataSource.query(`SELECT * FROM (${parts.join(' UNION ALL ')}) u ORDER BY u.created_at DESC, u.id LIMIT ${size} OFFSET ${offset}`, params) as Promise<InboxRow[]>,
      this.unreadCounts(caller),
      this.count(caller, kind, unreadOnly),
    ]);
    return { items: rows.map(inboxView), total, unread, page, size };
  }

  async unreadCounts(caller: Caller): Promise<UnreadCounts> {
    const rows: Array<{ messages: string; notices: string }> = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM message m WHERE m.recipient_id = $1 AND m.cleared_at IS NULL AND m.read_at IS NULL) AS messages,
              (SELECT count(*) FROM (${NOTICES_SQL}) x WHERE NOT x.read) AS notices`,
      [caller.sub, audiencesOf(caller)],
    );
    const messages = Number(rows[0]?.messages ?? 0);
    const notices = Number(rows[0]?.notices ?? 0);
    return { messages, notices, total: messages + notices };
  }

  /** Marks one message or notice read; someone else's (or an unknown id) answers 404. */
  async markRead(caller: Caller, id: string) {
    if (!isUuid(id)) throw notFound();
    const updated = await sqlRows(
      this.dataSource,
      `UPDATE message SET read_at = coalesce(read_at, now()) WHERE id = $1 AND recipient_id = $2 AND cleared_at IS NULL RETURNING id`,
      [id, caller.sub],
    );
    if (updated.length > 0) return { id, kind: 'message' as const, read: true };
    const visible: unknown[] = await this.dataSource.query(`SELECT x.id FROM (${NOTICES_SQL}) x WHERE x.id = $3`, [caller.sub, audiencesOf(caller), id]);
    if (visible.length === 0) throw notFound();
    await this.dataSource.query(
      `INSERT INTO notice_receipt (notice_id, account_id, read_at) VALUES ($1, $2, now())
       ON CONFLICT (notice_id, account_id) DO UPDATE SET read_at = coalesce(notice_receipt.read_at, EXCLUDED.read_at)`,
      [id, caller.sub],
    );
    return { id, kind: 'notice' as const, read: true };
  }

  /** Marks every message and notice read (notices through the reader's cursor). */
  async markAllRead(caller: Caller): Promise<{ unread: UnreadCounts }> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE message SET read_at = now() WHERE recipient_id = $1 AND cleared_at IS NULL AND read_at IS NULL`, [caller.sub]);
      await manager.query(
        `INSERT INTO notice_cursor (account_id, read_before) VALUES ($1, now())
         ON CONFLICT (account_id) DO UPDATE SET read_before = greatest(notice_cursor.read_before, EXCLUDED.read_before)`,
        [caller.sub],
      );
    });
    return { unread: await this.unreadCounts(caller) };
  }

  /** Clears every message and notice from the caller's list. */
  async clearAll(caller: Caller): Promise<{ unread: UnreadCounts }> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE message SET cleared_at = now() WHERE recipient_id = $1 AND cleared_at IS NULL`, [caller.sub]);
      await manager.query(
        `INSERT INTO notice_cursor (account_id, cleared_before) VALUES ($1, now())
         ON CONFLICT (account_id) DO UPDATE SET cleared_before = greatest(notice_cursor.cleared_before, EXCLUDED.cleared_before)`,
        [caller.sub],
      );
    });
    return { unread: await this.unreadCounts(caller) };
  }

  // ------------------------------------------------------------------------------------------
  // Notices (admin)
  // ------------------------------------------------------------------------------------------

  async publish(caller: Caller, body: PublishNoticeBody): Promise<{ id: string }> {
    const id = randomUUID();
    await this.dataSource.query(
      `INSERT INTO notice (id, audience, title_zh, title_en, body_zh, body_en, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, body.audience, body.titleZh.trim(), body.titleEn.trim(), body.bodyZh, body.bodyEn, caller.sub],
    );
    return { id };
  }

  async listNotices(query: NoticeListQuery) {
    const size = query.size ?? 20;
    const page = query.page ?? 1;
    const [rows, count] = await Promise.all([
      this.dataSource.query(
        `SELECT id, audience, title_zh, title_en, body_zh, body_en, published_by, published_at FROM notice
         ORDER BY published_at DESC, id LIMIT $1 OFFSET $2`,
        [size, (page - 1) * size],
      ) as Promise<Array<Record<string, unknown> & { published_at: Date }>>,
      this.dataSource.query(`SELECT count(*) AS n FROM notice`) as Promise<Array<{ n: string }>>,
    ]);
    return {
      items: rows.map((r) => ({
        id: r.id,
        audience: r.audience,
        titleZh: r.title_zh,
        titleEn: r.title_en,
        bodyZh: r.body_zh,
        bodyEn: r.body_en,
        publishedBy: r.published_by,
        publishedAt: r.published_at.toISOString(),
      })),
      total: Number(count[0]?.n ?? 0),
      page,
      size,
    };
  }

  private async count(caller: Caller, kind: string, unreadOnly: boolean): Promise<number> {
    const filter = unreadOnly ? ' WHERE NOT x.read' : '';
    const parts: string[] = [];
    if (kind !== 'notice') parts.push(`(SELECT count(*) FROM (${MESSAGES_SQL}) x${filter})`);
    if (kind !== 'message') parts.push(`(SELECT count(*) FROM (${NOTICES_SQL}) x${filter})`);
    const params = kind === 'message' ? [caller.sub] : [caller.sub, audiencesOf(caller)];
    const rows: Array<{ n: string }> = await this.dataSource.query(`SELECT ${parts.join(' + ')} AS n`, params);
    return Number(rows[0]?.n ?? 0);
  }
}

/** The notice audiences a caller belongs to. */
export function audiencesOf(caller: Caller): string[] {
  return ['all', caller.accountType];
}

function notFound() {
  return WorkbenchErrors.error('WORKBENCH_MESSAGE_NOT_FOUND', { field: 'id' });
}
