import type { KafkaMessage } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { CaseTopics, validateEvent, type CaseChangedV1, type CaseMilestone, type EventEnvelope } from '@certhub/contracts';
import { writeCaseChanges, type CaseChangeRecord, type CaseState } from '../audit/audit.writer';
import type { MessageCategory } from '../messages/message.entity';
import { writeMessages, type NewMessage } from '../messages/message.writer';
import { textArray } from './text-array';

/**
 * Applying `<domain>.case.changed.v1` events to the workbench's tables: my items (WB-3), the
 * case history (WB-2) and the applicant's messages (WB-4). Everything here runs inside the
 * caller's transaction and is idempotent: my_item keeps the highest version, and audit entries and
 * messages carry a dedupe key per event (the audit entry is also the mark of an event seen before).
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

const caseKey = (domain: string, businessNo: string) => `${domain}\u0000${businessNo}`;

/**
 * Applies events in the caller's transaction; returns the events that were new (duplicates, within
 * the list or seen before, are skipped).
 *
 * Every event, new or not, takes part in the upsert of my_item, where the highest version wins: a
 * redelivery changes nothing and a replay after `TRUNCATE my_item` (the rebuild) restores the rows.
 * The event's audit entry (dedupe key `case-event:<eventId>`, never purged) tells whether the event
 * was seen before; only new events get their message. One statement per table, whatever the number
 * of events, in the order my_item, audit_entry, message.
 */
export async function applyCaseEvents(manager: EntityManager, events: CaseEvent[]): Promise<CaseEvent[]> {
  // The events of each case by version, duplicates dropped; the cases in a stable order (domain,
  // business number): rows are locked in that order, so two writers of overlapping cases (a rebuild next
  // to the live projection) cannot deadlock.
  const byDomain = new Map<string, Map<string, CaseEvent[]>>();
  for (const e of events) {
    const { domain, businessNo } = e.envelope.data;
    let cases = byDomain.get(domain);
    if (!cases) byDomain.set(domain, (cases = new Map()));
    const list = cases.get(businessNo);
    if (!list) cases.set(businessNo, [e]);
    else if (!list.some((other) => sameEvent(other, e))) list.push(e);
  }
  const lists: CaseEvent[][] = [];
  for (const domain of [...byDomain.keys()].sort()) {
    const cases = byDomain.get(domain)!;
    for (const businessNo of [...cases.keys()].sort()) {
      const list = cases.get(businessNo)!;
      if (list.length > 1) list.sort(byVersion);
      lists.push(list);
    }
  }
  if (lists.length === 0) return [];

  // The newest event of each case; the rows it replaces come back with their old values. A row
  // that is not replaced has a version at or above every event of its case, so it is never the
  // previous version of one of them.
  const replaced = await upsertItems(manager, lists.map((list) => list[list.length - 1]!.envelope.data));

  // One entry per event, by case and version (the history lists entries of equal time by id).
  const audits: CaseChangeRecord[] = [];
  for (const list of lists) {
    const { domain, businessNo } = list[0]!.envelope.data;
    const old = replaced.size > 0 ? replaced.get(caseKey(domain, businessNo)) : undefined;
    for (let i = 0; i < list.length; i++) {
      const { version } = list[i]!.envelope.data;
      // The previous version: an event of the list, else the row the upsert replaced.
      let previous: CaseState | undefined = old?.version === version - 1 ? old : undefined;
      for (let j = i - 1; j >= 0 && list[j]!.envelope.data.version >= version - 1; j--) {
        if (list[j]!.envelope.data.version === version - 1) {
          previous = list[j]!.envelope.data;
          break;
        }
      }
      audits.push(auditOf(list[i]!.envelope, previous));
    }
  }
  const written = await writeCaseChanges(manager, audits);

  const fresh: CaseEvent[] = [];
  const messages: NewMessage[] = [];
  let k = 0;
  for (const list of lists) {
    for (const e of list) {
      if (!written.has(audits[k++]!.dedupeKey)) continue;
      fresh.push(e);
      messages.push(...messagesOf(e.envelope));
    }
  }
  await writeMessages(manager, messages);
  return fresh;
}

/** The same event delivered twice (event ids are UUIDs, compared regardless of case). */
function sameEvent(a: CaseEvent, b: CaseEvent): boolean {
  return a.envelope.eventId === b.envelope.eventId || a.envelope.eventId.toLowerCase() === b.envelope.eventId.toLowerCase();
}

function byVersion(a: CaseEvent, b: CaseEvent): number {
  return a.envelope.data.version - b.envelope.data.version || (a.envelope.eventId < b.envelope.eventId ? -1 : 1);
}

const ITEM_COLUMNS: Array<[column: string, type: string, value: (d: CaseChangedV1) => string | number | boolean | null]> = [
  ['domain', 'text', (d) => d.domain],
  ['business_no', 'text', (d) => d.businessNo],
  ['case_id', 'text', (d) => d.caseId],
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

const ITEM_UPSERT = (() => {
  const columns = ITEM_COLUMNS.map(([c]) => c);
  return `WITH written AS (
      INSERT INTO my_item (${columns.join(', ')})
      SELECT ${ITEM_COLUMNS.map(([c, type]) => (type === 'text' ? `u.${c}` : `u.${c}::${type}`)).join(', ')}
      -- unnest in the select list: the columns are zipped without materialising each of them
      FROM (SELECT ${columns.map((c, i) => `unnest($${i + 1}::text[]) AS ${c}`).join(', ')}) AS u
      ON CONFLICT (domain, business_no) DO UPDATE SET ${columns.slice(2).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
      WHERE my_item.version < EXCLUDED.version
      RETURNING new.domain, new.business_no, old.version AS old_version, old.stage AS old_stage, old.status AS old_status
    )
    SELECT * FROM written WHERE old_version IS NOT NULL`;
})();

/**
 * One multi-row upsert (one row per case); a row only moves forward (higher version). Returns, by
 * case key, the values of the rows it replaced (not of those it inserted or left alone).
 */
async function upsertItems(manager: EntityManager, items: CaseChangedV1[]): Promise<Map<string, CaseState>> {
  const rows: Array<{ domain: string; business_no: string; old_version: number; old_stage: string; old_status: string }> = await manager.query(
    ITEM_UPSERT,
    ITEM_COLUMNS.map(([, , value]) => textArray(items, value)),
  );
  const replaced = new Map<string, CaseState>();
  for (const r of rows) replaced.set(caseKey(r.domain, r.business_no), { version: r.old_version, stage: r.old_stage, status: r.old_status });
  return replaced;
}

function auditOf(envelope: CaseEnvelope, previous: CaseState | undefined): CaseChangeRecord {
  const d = envelope.data;
  return {
    domain: d.domain,
    businessNo: d.businessNo,
    actorId: envelope.actorId,
    at: d.changedAt,
    stage: d.stage,
    status: d.status,
    version: d.version,
    milestone: d.milestone,
    result: d.result,
    opinion: d.opinion,
    // Old values only when the previous version is known; out-of-order deliveries leave them out.
    previous: previous ? { stage: previous.stage, status: previous.status, version: previous.version } : null,
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

/** The item as messages name it, with its business number, in both languages. */
function itemLabels(d: CaseChangedV1): { item: string; itemEn: string } {
  return { item: `「${d.itemName}」（业务号 ${d.businessNo}）`, itemEn: `${d.itemNameEn} (business no. ${d.businessNo})` };
}

/**
 * The messages an event makes: the applicant's for a milestone, and one for whoever else must act
 * now (`actionBy`: the institution user asked to pay the case's fee).
 */
export function messagesOf(envelope: CaseEnvelope): NewMessage[] {
  const applicant = messageOf(envelope);
  const other = actionMessageOf(envelope);
  return [...(applicant ? [applicant] : []), ...(other ? [other] : [])];
}

/** The message to the account an event names in `actionBy` (null when it names none). */
export function actionMessageOf(envelope: CaseEnvelope): NewMessage | null {
  const d = envelope.data;
  if (!d.actionBy || d.actionBy.reason !== 'fee-payer') return null;
  const { item, itemEn } = itemLabels(d);
  return {
    recipientId: d.actionBy.accountId,
    category: 'case-action-required',
    titleZh: `待缴费：${d.itemName}`,
    titleEn: `Fee to pay: ${d.itemNameEn}`,
    bodyZh: `贵机构需为${item}缴纳费用，请在“待缴费用”中办理（机构内任一用户均可缴纳）。${d.opinion ? `说明：${d.opinion}` : ''}`,
    bodyEn: `Your institution is asked to pay the fee of ${itemEn}; any user of the institution may pay it under the fees to pay.${d.opinion ? ` Note: ${d.opinion}` : ''}`,
    linkType: 'fee',
    link: d.actionBy.link,
    domain: d.domain,
    businessNo: d.businessNo,
    dedupeKey: `case-message:${envelope.eventId.toLowerCase()}:${d.actionBy.reason}`,
  };
}

/** The applicant's message for a milestone event (null when the event has no milestone). */
export function messageOf(envelope: CaseEnvelope): NewMessage | null {
  const d = envelope.data;
  if (!d.milestone) return null;
  const { item, itemEn } = itemLabels(d);
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
