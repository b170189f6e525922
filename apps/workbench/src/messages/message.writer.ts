import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { textArray } from '../items/text-array';
import type { MessageCategory } from './message.entity';

export interface NewMessage {
  recipientId: string;
  category: MessageCategory;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  linkType: 'case' | 'task' | 'fee';
  link: string;
  domain?: string | null;
  businessNo?: string | null;
  taskId?: string | null;
  /** The event or change the message comes from: the same one never makes two messages. */
  dedupeKey: string;
}

const MESSAGE_COLUMNS: Array<[name: string, value: (m: NewMessage) => string | null]> = [
  ['id', () => randomUUID()],
  ['recipient_id', (m) => m.recipientId],
  ['category', (m) => m.category],
  ['title_zh', (m) => m.titleZh],
  ['title_en', (m) => m.titleEn],
  ['body_zh', (m) => m.bodyZh],
  ['body_en', (m) => m.bodyEn],
  ['link_type', (m) => m.linkType],
  ['link', (m) => m.link],
  ['domain', (m) => m.domain ?? null],
  ['business_no', (m) => m.businessNo ?? null],
  ['task_id', (m) => m.taskId ?? null],
  ['dedupe_key', (m) => m.dedupeKey],
];

/**
 * Writes personal messages inside the caller's transaction (WB-4): one statement whatever their
 * number, a bind parameter per column (binary `text[]`, see textArray).
 */
export async function writeMessages(manager: EntityManager, messages: NewMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await manager.query(
    `INSERT INTO message (id, recipient_id, category, title_zh, title_en, body_zh, body_en, link_type, link, domain, business_no, task_id, dedupe_key)
     SELECT u.id::uuid, u.recipient_id::uuid, u.category, u.title_zh, u.title_en, u.body_zh, u.body_en, u.link_type, u.link, u.domain, u.business_no,
       u.task_id::uuid, u.dedupe_key
     FROM (SELECT ${MESSAGE_COLUMNS.map(([name], i) => `unnest($${i + 1}::text[]) AS ${name}`).join(', ')}) AS u
     ON CONFLICT (dedupe_key) DO NOTHING`,
    MESSAGE_COLUMNS.map(([, value]) => textArray(messages, value)),
  );
}
