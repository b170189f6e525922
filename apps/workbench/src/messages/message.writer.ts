import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { MessageCategory } from './message.entity';

export interface NewMessage {
  recipientId: string;
  category: MessageCategory;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  linkType: 'case' | 'task';
  link: string;
  domain?: string | null;
  businessNo?: string | null;
  taskId?: string | null;
  /** The event or change the message comes from: the same one never makes two messages. */
  dedupeKey: string;
}

/** Writes personal messages inside the caller's transaction (WB-4). */
export async function writeMessages(manager: EntityManager, messages: NewMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const cols = ['id', 'recipient_id', 'category', 'title_zh', 'title_en', 'body_zh', 'body_en', 'link_type', 'link', 'domain', 'business_no', 'task_id', 'dedupe_key'];
  const values: unknown[] = [];
  const rows = messages.map((m, i) => {
    values.push(randomUUID(), m.recipientId, m.category, m.titleZh, m.titleEn, m.bodyZh, m.bodyEn, m.linkType, m.link, m.domain ?? null, m.businessNo ?? null, m.taskId ?? null, m.dedupeKey);
    return `(${cols.map((_, j) => `$${i * cols.length + j + 1}`).join(', ')})`;
  });
  await manager.query(`INSERT INTO message (${cols.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (dedupe_key) DO NOTHING`, values);
}
