import type { KafkaMessage } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { CaseTopics, validateEvent, type CaseChangedV1, type CaseMilestone, type EventEnvelope } from '@certhub/contracts';
import { writeAudit, type AuditRecord } from '../audit/audit.writer';
import type { MessageCategory } from '../messages/message.entity';
import { writeMessages, type NewMessage } from '../messages/message.writer';

/**
 * Applying `<domain>.case.changed.v1` events to the workbench's tables: my items (WB-3), the
 * case history (WB-2) and the applicant's messages (WB-4). Everything here runs inside the
 * caller's transaction and is idempotent: processed_event skips events seen before, my_item keeps
 * the highest version, and audit entries and messages carry a dedupe key per event.
 */

export const CASE_TOPICS: readonly string[] = Object.values(CaseTopics);

export type CaseEnvelope = EventEnvelope<CaseChangedV1>;

export interface CaseEvent {
  topic: string;
  envelope: CaseEnvelope;
}

export type ParsedMessage = { ok: true; event: CaseEvent } | { ok: false; reason: string };

/** Parses and validates one Kafka message of a case topic. */
export function parseCaseMessage(topic: string, message: Pick<KafkaMessage, 'value'>): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(message.value?.toString('utf8') ?? 'null');
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  const check = validateEvent(topic, value);
  if (!check.ok) return { ok: false, reason: check.error };
  const envelope = value as CaseEnvelope;
  if (topic !== `${envelope.data.domain}.case.changed.v1`) {
    return { ok: false, reason: `data.domain ${envelope.data.domain} does not match topic ${topic}` };
  }
  return { ok: true, event: { topic, envelope } };
}

/** Statements stay well below PostgreSQL's 65535 bind parameters. */
const WRITE_CHUNK = 1000;

const caseKey = (d: Pick<CaseChangedV1, 'domain' | 'caseId'>) => `${d.domain}\u0000${d.caseId}`;

interface StageState {
  version: number;
  stage: string;
  status: string;
}

/**
 * Applies events in the caller's transaction; returns the events that were new for `group`
 * (duplicates, within the list or seen before, are skipped).
 */
export async function applyCaseEvents(manager: EntityManager, group: string, events: CaseEvent[]): Promise<CaseEvent[]> {
  const byId = new Map<string, CaseEvent>();
  for (const e of events) {
    const id = e.envelope.eventId.toLowerCase();
    if (!byId.has(id)) byId.set(id, e);
  }
  if (byId.size === 0) return [];
  // Sorted: two writers marking overlapping events (a rebuild next to the live projection) lock in one order.
  const ids = [...byId.keys()].sort();
  const inserted: Array<{ event_id: string }> = await manager.query(
    `INSERT INTO processed_event (consumer_group, event_id, topic)
     SELECT $1, u.event_id, u.topic FROM unnest($2::uuid[], $3::text[]) AS u(event_id, topic)
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [group, ids, ids.map((id) => byId.get(id)!.topic)],
  );
  const fresh = inserted.map((r) => byId.get(r.event_id)).filter((e): e is CaseEvent => e !== undefined);
  if (fresh.length === 0) return [];

  // Newest event per case, in a stable order (rows are locked in that order).
  const perCase = new Map<string, CaseEvent[]>();
  for (const e of fresh) {
    const key = caseKey(e.envelope.data);
    const list = perCase.get(key);
    if (list) list.push(e);
    else perCase.set(key, [e]);
  }
  const keys = [...perCase.keys()].sort();
  const domains = keys.map((k) => perCase.get(k)![0]!.envelope.data.domain);
  const caseIds = keys.map((k) => perCase.get(k)![0]!.envelope.data.caseId);

  // The current rows: an event that is the next version of one knows its old values.
  const existing: Array<{ domain: string; case_id: string; version: number; stage: string; status: string }> = await manager.query(
    `SELECT m.domain, m.case_id, m.version, m.stage, m.status FROM my_item m
     WHERE (m.domain, m.case_id) IN (SELECT k.d, k.c FROM unnest($1::text[], $2::text[]) AS k(d, c))
     ORDER BY m.domain, m.case_id FOR UPDATE`,
    [domains, caseIds],
  );
  const known = new Map<string, Map<number, StageState>>();
  for (const row of existing) {
    known.set(caseKey({ domain: row.domain as CaseChangedV1['domain'], caseId: row.case_id }), new Map([[row.version, row]]));
  }

  const newest: CaseChangedV1[] = [];
  const audits: AuditRecord[] = [];
  const messages: NewMessage[] = [];
  for (const key of keys) {
    const list = perCase.get(key)!.sort((a, b) => a.envelope.data.version - b.envelope.data.version);
    newest.push(list[list.length - 1]!.envelope.data);
    const versions = known.get(key) ?? new Map<number, StageState>();
    for (const e of list) versions.set(e.envelope.data.version, e.envelope.data);
    for (const e of list) {
      const d = e.envelope.data;
      const previous = versions.get(d.version - 1);
      audits.push(auditOf(e.envelope, previous));
      const message = messageOf(e.envelope);
      if (message) messages.push(message);
    }
  }

  await upsertItems(manager, newest);
  for (let i = 0; i < audits.length; i += WRITE_CHUNK) await writeAudit(manager, audits.slice(i, i + WRITE_CHUNK));
  for (let i = 0; i < messages.length; i += WRITE_CHUNK) await writeMessages(manager, messages.slice(i, i + WRITE_CHUNK));
  return fresh;
}

const ITEM_COLUMNS: Array<[column: string, type: string, value: (d: CaseChangedV1) => unknown]> = [
  ['domain', 'text', (d) => d.domain],
  ['case_id', 'text', (d) => d.caseId],
  ['business_no', 'varchar', (d) => d.businessNo],
  ['case_type', 'text', (d) => d.caseType],
  ['item_name', 'text', (d) => d.itemName],
  ['item_name_en', 'text', (d) => d.itemNameEn],
  ['applicant_id', 'uuid', (d) => d.applicantId],
  ['institution_id', 'uuid', (d) => d.institutionId],
  ['stage', 'text', (d) => d.stage],
  ['stage_name', 'text', (d) => d.stageName],
  ['stage_name_en', 'text', (d) => d.stageNameEn],
  ['status', 'text', (d) => d.status],
  ['result', 'text', (d) => d.result],
  ['version', 'int', (d) => d.version],
  ['changed_at', 'timestamptz', (d) => d.changedAt],
  ['submitted_at', 'timestamptz', (d) => d.submittedAt],
  ['due_at', 'timestamptz', (d) => d.dueAt],
  ['clock_paused', 'boolean', (d) => d.clockPaused],
  ['workflow_id', 'text', (d) => d.workflowId],
  ['link', 'text', (d) => d.link],
];

/** One multi-row upsert; a row only moves forward (higher version). */
async function upsertItems(manager: EntityManager, items: CaseChangedV1[]): Promise<void> {
  for (let i = 0; i < items.length; i += WRITE_CHUNK) {
    const chunk = items.slice(i, i + WRITE_CHUNK);
    const columns = ITEM_COLUMNS.map(([c]) => c);
    const arrays = ITEM_COLUMNS.map(([, , value]) => chunk.map(value));
    const updates = columns.filter((c) => c !== 'domain' && c !== 'case_id').map((c) => `${c} = EXCLUDED.${c}`);
    await manager.query(
      `INSERT INTO my_item (${columns.join(', ')})
       SELECT * FROM unnest(${ITEM_COLUMNS.map(([, type], j) => `$${j + 1}::${type}[]`).join(', ')})
       ON CONFLICT (domain, case_id) DO UPDATE SET ${updates.join(', ')}
       WHERE my_item.version < EXCLUDED.version`,
      arrays,
    );
  }
}

function auditOf(envelope: CaseEnvelope, previous: StageState | undefined): AuditRecord {
  const d = envelope.data;
  const newValues: Record<string, unknown> = { stage: d.stage, status: d.status, version: d.version };
  if (d.milestone) newValues.milestone = d.milestone;
  if (d.result) newValues.result = d.result;
  return {
    domain: d.domain,
    businessNo: d.businessNo,
    action: 'case.changed',
    actorId: envelope.actorId,
    at: new Date(d.changedAt),
    outcome: d.result,
    opinion: d.opinion,
    // Old values only when the previous version is known; out-of-order deliveries leave them out.
    oldValues: previous ? { stage: previous.stage, status: previous.status, version: previous.version } : null,
    newValues,
    dedupeKey: `case-event:${envelope.eventId.toLowerCase()}`,
  };
}

const RESULT_NAMES: Record<string, [zh: string, en: string]> = {
  approved: ['通过', 'approved'],
  rejected: ['不通过', 'rejected'],
  verified: ['核验通过', 'verified'],
  failed: ['未通过', 'not passed'],
  passed: ['通过', 'passed'],
  issued: ['已发证', 'certificate issued'],
  cancelled: ['已注销', 'cancelled'],
};

const CATEGORY_OF: Record<CaseMilestone, MessageCategory> = {
  submitted: 'case-submitted',
  resubmitted: 'case-submitted',
  'action-required': 'case-action-required',
  returned: 'case-returned',
  decided: 'case-decided',
  withdrawn: 'case-withdrawn',
  expired: 'case-expired',
};

/** The applicant's message for a milestone event (null when the event has no milestone). */
export function messageOf(envelope: CaseEnvelope): NewMessage | null {
  const d = envelope.data;
  if (!d.milestone) return null;
  const item = `「${d.itemName}」（业务号 ${d.businessNo}）`;
  const itemEn = `${d.itemNameEn} (business no. ${d.businessNo})`;
  const opinionZh = d.opinion ? `意见：${d.opinion}` : '';
  const opinionEn = d.opinion ? ` Opinion: ${d.opinion}` : '';
  let text: [titleZh: string, titleEn: string, bodyZh: string, bodyEn: string];
  switch (d.milestone) {
    case 'submitted':
      text = [
        `事项已提交：${d.itemName}`,
        `Submitted: ${d.itemNameEn}`,
        `您的事项${item}已提交，当前环节：${d.stageName}。`,
        `Your ${itemEn} has been submitted; current stage: ${d.stageNameEn}.`,
      ];
      break;
    case 'resubmitted':
      text = [
        `事项已重新提交：${d.itemName}`,
        `Resubmitted: ${d.itemNameEn}`,
        `您的事项${item}已重新提交，当前环节：${d.stageName}。`,
        `Your ${itemEn} has been resubmitted; current stage: ${d.stageNameEn}.`,
      ];
      break;
    case 'action-required':
      text = [
        `事项待您处理：${d.itemName}`,
        `Action needed: ${d.itemNameEn}`,
        `您的事项${item}需要您处理，当前环节：${d.stageName}。${opinionZh}`,
        `Your ${itemEn} needs your action; current stage: ${d.stageNameEn}.${opinionEn}`,
      ];
      break;
    case 'returned':
      text = [
        `事项被退回整改：${d.itemName}`,
        `Returned for rectification: ${d.itemNameEn}`,
        `您的事项${item}被退回整改，请修改后重新提交。${d.opinion ? `整改意见：${d.opinion}` : ''}`,
        `Your ${itemEn} was returned for rectification; please edit and resubmit it.${d.opinion ? ` Rectification opinion: ${d.opinion}` : ''}`,
      ];
      break;
    case 'decided': {
      const [resultZh, resultEn] = (d.result && RESULT_NAMES[d.result]) || [d.result ?? '已办结', d.result ?? 'decided'];
      text = [
        `事项已办结：${d.itemName}`,
        `Decided: ${d.itemNameEn}`,
        `您的事项${item}已办结，办理结果：${resultZh}。${opinionZh}`,
        `Your ${itemEn} has been decided; result: ${resultEn}.${opinionEn}`,
      ];
      break;
    }
    case 'withdrawn':
      text = [
        `事项已撤回：${d.itemName}`,
        `Withdrawn: ${d.itemNameEn}`,
        `您的事项${item}已撤回。${opinionZh}`,
        `Your ${itemEn} has been withdrawn.${opinionEn}`,
      ];
      break;
    case 'expired':
      text = [
        `事项已过期：${d.itemName}`,
        `Expired: ${d.itemNameEn}`,
        `您的事项${item}已超过办理期限，已自动终止。${opinionZh}`,
        `Your ${itemEn} has expired and was closed.${opinionEn}`,
      ];
      break;
  }
  return {
    recipientId: d.applicantId,
    category: CATEGORY_OF[d.milestone],
    titleZh: text[0],
    titleEn: text[1],
    bodyZh: text[2],
    bodyEn: text[3],
    linkType: 'case',
    link: d.link,
    domain: d.domain,
    businessNo: d.businessNo,
    dedupeKey: `case-message:${envelope.eventId.toLowerCase()}`,
  };
}
