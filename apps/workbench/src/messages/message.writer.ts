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

/** Writes personal messages inside the caller's transaction (WB-4): one statement, column arrays. */
export async function writeMessages(manager: EntityManager, messages: NewMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await manager.query(
    `INSERT INTO message (id, recipient_id, category, title_zh, title_en, body_zh, body_en, link_type, link, domain, business_no, task_id, dedupe_key)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::varchar[], $12::uuid[], $13::text[])
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      messages.map(() => randomUUID()),
      messages.map((m) => m.recipientId),
      messages.map((m) => m.category),
      messages.map((m) => m.titleZh),
      messages.map((m) => m.titleEn),
      messages.map((m) => m.bodyZh),
      messages.map((m) => m.bodyEn),
      messages.map((m) => m.linkType),
      messages.map((m) => m.link),
      messages.map((m) => m.domain ?? null),
      messages.map((m) => m.businessNo ?? null),
      messages.map((m) => m.taskId ?? null),
      messages.map((m) => m.dedupeKey),
    ],
  );
}
