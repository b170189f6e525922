import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { logLevel, Kafka, type KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { CaseTopics, dlqTopic } from '@certhub/contracts';
import { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, type SerializedProducer } from '@certhub/messaging';
import { eventually, KafkaProbe, serviceTestEnv, testEnvironment } from '@certhub/testing';
import { rebuildItemsFromEnv } from '../rebuild-items';
import { testCaller, WorkbenchHarness, type TestCaller } from '../testing/workbench-harness';
import { caseData, caseEnvelope, CaseEventSender, randomBusinessNo } from './case-event.fixtures';
import { CaseProjection } from './case-projection';

type Item = Record<string, unknown> & { businessNo: string; stage: string; status: string };
type ItemList = { items: Item[]; total: number; counts: Record<string, number> };
type History = { entries: Array<{ action: string; actorId: string | null; outcome: string | null; opinion: string | null; oldValues: unknown; newValues: Record<string, unknown> }> };
type Inbox = { items: Array<Record<string, unknown> & { category?: string; title: string; body: string }>; total: number };

const WAIT = { timeoutMs: 90_000, intervalMs: 200 };

describe('case projection: case.changed events into my items, history and messages (WB-2, WB-3, WB-4)', () => {
  let h: WorkbenchHarness;
  let sender: CaseEventSender;
  let probe: KafkaProbe;
  const applicants: TestCaller[] = [];

  const person = () => {
    const caller = testCaller('personal');
    applicants.push(caller);
    return caller;
  };
  const myItems = async (caller: TestCaller) => (await h.request<ItemList>('GET', '/api/v1/workbench/items?size=100', { caller })).body;
  const auditCount = async (domain: string, businessNo: string) =>
    Number((await h.dataSource.query('SELECT count(*) AS n FROM audit_entry WHERE domain = $1 AND business_no = $2', [domain, businessNo]))[0].n);
  const messageCount = async (recipientId: string) => Number((await h.dataSource.query('SELECT count(*) AS n FROM message WHERE recipient_id = $1', [recipientId]))[0].n);

  before(async () => {
    h = await WorkbenchHarness.start({ RUN_WORKER: 'false' });
    sender = await CaseEventSender.connect(testEnvironment().kafkaBrokers);
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([dlqTopic(CaseTopics.certification)]);
  });
  after(async () => {
    await probe?.stop();
    await sender?.stop();
    await h?.stop();
  });

  it('projects a case through Kafka: the item, its history with old and new values, and a message per milestone', async () => {
    const applicant = person();
    const v1 = caseData({
      applicantId: applicant.sub,
      version: 1,
      milestone: 'submitted',
      submittedAt: new Date().toISOString(),
      dueAt: new Date(Date.now() + 20 * 86400_000).toISOString(),
    });
    const e1 = caseEnvelope(v1);
    await sender.send(e1);
    const first = await eventually(async () => (await myItems(applicant)).items.find((i) => i.businessNo === v1.businessNo), { ...WAIT, what: 'the item' });
    assert.deepEqual(first, {
      domain: 'certification',
      caseId: v1.caseId,
      businessNo: v1.businessNo,
      itemName: '人员注册申请',
      itemNameEn: 'Personnel registration application',
      caseType: 'cert-registration',
      stage: 'institution-review',
      stageName: '机构初核',
      stageNameEn: 'Institution review',
      status: 'active',
      result: null,
      changedAt: new Date(v1.changedAt).toISOString(),
      submittedAt: new Date(v1.submittedAt!).toISOString(),
      dueAt: new Date(v1.dueAt!).toISOString(),
      clockPaused: false,
      link: v1.link,
    });

    const reviewer = randomUUID();
    const v2 = caseEnvelope(
      { ...v1, version: 2, stage: 'rectification', stageName: '退回整改', stageNameEn: 'Rectification', milestone: 'returned', opinion: '工作经历证明不完整', clockPaused: true, changedAt: new Date().toISOString() },
      { actorId: reviewer },
    );
    await sender.send(v2);
    await eventually(async () => (await myItems(applicant)).items.find((i) => i.businessNo === v1.businessNo && i.stage === 'rectification'), { ...WAIT, what: 'version 2' });

    const history = await h.request<History>('GET', `/api/v1/workbench/cases/certification/${v1.businessNo}/history`, { caller: applicant });
    assert.equal(history.status, 200, JSON.stringify(history.body));
    assert.equal(history.body.entries.length, 2);
    const [h1, h2] = history.body.entries;
    assert.equal(h1!.action, 'case.changed');
    assert.equal(h1!.actorId, applicant.sub);
    assert.equal(h1!.oldValues, null);
    assert.deepEqual(h1!.newValues, { stage: 'institution-review', status: 'active', version: 1, milestone: 'submitted' });
    assert.equal(h2!.actorId, reviewer);
    assert.equal(h2!.opinion, '工作经历证明不完整');
    assert.deepEqual(h2!.oldValues, { stage: 'institution-review', status: 'active', version: 1 });
    assert.deepEqual(h2!.newValues, { stage: 'rectification', status: 'active', version: 2, milestone: 'returned' });

    const inbox = (await h.request<Inbox>('GET', '/api/v1/workbench/messages?kind=message', { caller: applicant })).body;
    assert.deepEqual(inbox.items.map((m) => m.category), ['case-returned', 'case-submitted']);
    const returned = inbox.items[0]!;
    assert.match(returned.title, /退回整改/);
    assert.match(returned.body, /人员注册申请/);
    assert.ok(returned.body.includes(v1.businessNo));
    assert.ok(returned.body.includes('工作经历证明不完整'));
    assert.ok((returned.bodyEn as string).includes(v1.businessNo));
    assert.equal(returned.link, v1.link);
    assert.equal(returned.linkType, 'case');

    // The decision reaches the applicant with its result.
    await sender.send(caseEnvelope({ ...v1, version: 3, stage: 'closed', stageName: '已办结', stageNameEn: 'Closed', status: 'done', result: 'approved', milestone: 'decided', changedAt: new Date().toISOString() }));
    const decided = await eventually(
      async () => (await h.request<Inbox>('GET', '/api/v1/workbench/messages?kind=message', { caller: applicant })).body.items.find((m) => m.category === 'case-decided'),
      { ...WAIT, what: 'the decision message' },
    );
    assert.match(decided.body, /通过/);
    assert.match(decided.bodyEn as string, /approved/);
    const done = (await myItems(applicant)).items.find((i) => i.businessNo === v1.businessNo)!;
    assert.equal(done.status, 'done');
    assert.equal(done.result, 'approved');
  });

  it('duplicates and out-of-order versions leave the highest version, one audit entry per event and one message per milestone', async () => {
    const applicant = person();
    const base = caseData({ applicantId: applicant.sub, caseType: 'annual-confirmation', itemName: '年度确认申请', itemNameEn: 'Annual confirmation' });
    const e1 = caseEnvelope({ ...base, version: 1, stage: 'institution-review', stageName: '机构审核', milestone: 'submitted' });
    const e2 = caseEnvelope({ ...base, version: 2, stage: 'rectification', stageName: '退回整改', milestone: 'returned', opinion: '请补充继续教育证明' });
    const e3 = caseEnvelope({ ...base, version: 3, stage: 'association-approval', stageName: '协会审批', milestone: null });
    // The newest version first, then the older ones as new deliveries, then a duplicate of each.
    await sender.send(e3);
    await eventually(async () => (await myItems(applicant)).items.some((i) => i.businessNo === base.businessNo), { ...WAIT, what: 'version 3' });
    await sender.send(e1, e2, e3);
    await eventually(async () => (await auditCount('certification', base.businessNo)) >= 3 && (await messageCount(applicant.sub)) >= 2, { ...WAIT, what: 'three audit entries' });
    await sender.send(e1, e2);
    const marker = caseData({ applicantId: applicant.sub });
    await sender.send(caseEnvelope(marker));
    await eventually(async () => (await myItems(applicant)).items.some((i) => i.businessNo === marker.businessNo), { ...WAIT, what: 'the marker case' });

    const item = (await myItems(applicant)).items.find((i) => i.businessNo === base.businessNo)!;
    assert.equal(item.stage, 'association-approval');
    assert.equal(item.stageName, '协会审批');
    assert.equal(await auditCount('certification', base.businessNo), 3);
    const rows: Array<{ version: number }> = await h.dataSource.query('SELECT version FROM my_item WHERE domain = $1 AND case_id = $2', ['certification', base.caseId]);
    assert.deepEqual(rows, [{ version: 3 }]);
    const categories: Array<{ category: string }> = await h.dataSource.query(
      'SELECT category FROM message WHERE recipient_id = $1 AND business_no = $2 ORDER BY category',
      [applicant.sub, base.businessNo],
    );
    assert.deepEqual(categories.map((c) => c.category), ['case-returned', 'case-submitted']);
    // The audit entry of an event is its "seen" mark: one per event, keyed by the event id.
    const marks: Array<{ dedupe_key: string; n: string }> = await h.dataSource.query(
      `SELECT dedupe_key, count(*) AS n FROM audit_entry WHERE dedupe_key = ANY($1::text[]) GROUP BY dedupe_key ORDER BY dedupe_key`,
      [[e1, e2, e3].map((e) => `case-event:${e.eventId}`)],
    );
    assert.deepEqual(marks, [e1, e2, e3].map((e) => ({ dedupe_key: `case-event:${e.eventId}`, n: '1' })).sort((x, y) => (x.dedupe_key < y.dedupe_key ? -1 : 1)));
    const legacyMarks: Array<{ n: string }> = await h.dataSource.query(`SELECT count(*) AS n FROM processed_event WHERE event_id = ANY($1::uuid[])`, [[e1.eventId, e2.eventId, e3.eventId]]);
    assert.equal(Number(legacyMarks[0]!.n), 0, 'the projection writes no processed_event marks');
  });

  it('dead-letters invalid events with the reason and keeps consuming', async () => {
    const applicant = person();
    const garbageKey = randomUUID();
    await sender.sendRaw('certification', garbageKey, '{not json');
    const invalid = caseEnvelope(caseData({ applicantId: applicant.sub, businessNo: '12345' }));
    await sender.send(invalid);
    const mismatched = caseEnvelope(caseData({ applicantId: applicant.sub, domain: 'exam' }), { type: CaseTopics.certification });
    await sender.sendRaw('certification', mismatched.data.caseId, JSON.stringify(mismatched));
    const valid = caseData({ applicantId: applicant.sub });
    await sender.send(caseEnvelope(valid));

    const garbage = await probe.waitFor((m) => m.key === garbageKey, 90_000);
    assert.equal(garbage.headers['dlq-reason'], 'value is not JSON');
    assert.equal(garbage.headers['dlq-original-topic'], CaseTopics.certification);
    // The live group of this deployment (tests add the `.test` suffix, ADR 0009).
    assert.equal(garbage.headers['dlq-consumer-group'], 'workbench.case-projection.test');
    const bad = await probe.waitFor((m) => m.key === invalid.data.caseId, 90_000);
    assert.match(bad.headers['dlq-reason']!, /businessNo/);
    assert.equal((bad.value as { eventId: string }).eventId, invalid.eventId);
    const wrongTopic = await probe.waitFor((m) => m.key === mismatched.data.caseId, 90_000);
    assert.match(wrongTopic.headers['dlq-reason']!, /does not match topic/);

    const items = await eventually(async () => {
      const list = await myItems(applicant);
      return list.items.some((i) => i.businessNo === valid.businessNo) ? list : undefined;
    }, { ...WAIT, what: 'the valid event after the invalid ones' });
    assert.deepEqual(items.items.map((i) => i.businessNo), [valid.businessNo]);
  });

  it('isolates a poison event: the rest of its batch is applied and only the poison is dead-lettered', async () => {
    // Not one of `applicants`: these items never were on Kafka, so a rebuild cannot bring them back.
    const applicant = testCaller('personal');
    // Valid on the wire (JSON allows \u0000 in a string), but PostgreSQL's text cannot hold it: it fails in the database.
    const poison = caseEnvelope(caseData({ applicantId: applicant.sub, itemName: 'poison\u0000item', milestone: 'submitted' }));
    const before1 = caseEnvelope(caseData({ applicantId: applicant.sub }));
    const after1 = caseEnvelope(caseData({ applicantId: applicant.sub, milestone: 'submitted' }));
    const deadLetters: Array<{ topic: string; messages: Array<{ key?: unknown; headers?: Record<string, unknown> }> }> = [];
    const producer = { send: async (topic: string, messages: never[]) => void deadLetters.push({ topic, messages }) } as unknown as SerializedProducer;
    const projection = new CaseProjection({ kafka: undefined as never, dataSource: h.dataSource, producer, logger: new Logger('test', 'error'), batchSize: 100, maxAttempts: 2 });
    const message = (e: typeof poison, offset: number): KafkaMessage => ({
      key: Buffer.from(e.data.caseId), value: Buffer.from(JSON.stringify(e)), headers: {}, offset: String(offset), timestamp: String(Date.now()), attributes: 0,
    });
    await projection.handleMessages(CaseTopics.certification, [message(before1, 1), message(poison, 2), message(after1, 3)]);

    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]!.topic, dlqTopic(CaseTopics.certification));
    assert.equal(deadLetters[0]!.messages.length, 1);
    assert.equal(String(deadLetters[0]!.messages[0]!.key), poison.data.caseId);
    assert.match(String(deadLetters[0]!.messages[0]!.headers!['dlq-reason']), /0x00/);
    const numbers = (await myItems(applicant)).items.map((i) => i.businessNo).sort();
    assert.deepEqual(numbers, [before1.data.businessNo, after1.data.businessNo].sort());
    assert.deepEqual(projection.stats, { handled: 2, applied: 2, deadLettered: 1 });
    assert.equal(await messageCount(applicant.sub), 1, 'the submitted milestone of the applied event, none of the poison');
    assert.equal(await auditCount('certification', poison.data.businessNo), 0, 'nothing of the poison event was written');
  });

  it('a database outage: the partition is read again from the failed chunk, nothing is lost or dead-lettered', async () => {
    // Not one of `applicants`: its case lives on a private topic a rebuild does not read.
    const applicant = testCaller('personal');
    const topic = `test.case-outage.${randomUUID().slice(0, 8)}`;
    const kafka = createKafka({ clientId: 'outage-test', brokers: testEnvironment().kafkaBrokers });
    await ensureTopics(kafka, { topics: [topic], partitions: 1 });
    let down = true;
    let refused = 0;
    const unreachable = () => {
      refused += 1;
      return Promise.reject(new Error('connect ECONNREFUSED (test)'));
    };
    const flaky = {
      transaction: (work: never) => (down ? unreachable() : h.dataSource.transaction(work)),
      query: (sql: string, params?: unknown[]) => (down ? unreachable() : h.dataSource.query(sql, params)),
    } as unknown as DataSource;
    const deadLetters: unknown[] = [];
    const producer = { send: async (_topic: string, messages: unknown[]) => void deadLetters.push(...messages) } as unknown as SerializedProducer;
    const progress: string[] = [];
    const groupId = `test.outage.${randomUUID()}`;
    const projection = new CaseProjection({
      kafka, dataSource: flaky, producer, logger: new Logger('test', 'error'), batchSize: 100, maxAttempts: 1, groupId, topics: { [topic]: CaseTopics.certification },
      onProgress: (_t, _p, offset) => progress.push(offset),
    });
    const raw = new Kafka({ clientId: 'outage-test-producer', brokers: testEnvironment().kafkaBrokers, logLevel: logLevel.NOTHING });
    const send = raw.producer();
    await send.connect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await projection.start();
      const first = caseData({ applicantId: applicant.sub, milestone: 'submitted' });
      const second = caseData({ applicantId: applicant.sub });
      await send.send({ topic, acks: -1, messages: [first, second].map((d) => ({ key: d.caseId, value: JSON.stringify(caseEnvelope(d)) })) });
      // Failed, rewound and failed again, then the database comes back.
      await eventually(async () => refused >= 8 || undefined, { ...WAIT, what: 'the failed attempts' });
      down = false;
      await eventually(async () => (await myItems(applicant)).items.length === 2 || undefined, { ...WAIT, what: 'both items after the outage' });
      await eventually(async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return offsets!.partitions[0]!.offset === '2' || undefined;
      }, { ...WAIT, what: 'the committed offset' });
      assert.deepEqual(deadLetters, []);
      assert.equal(progress.at(-1), '1');
      assert.equal(await messageCount(applicant.sub), 1);
      assert.equal(await auditCount('certification', first.businessNo), 1);
    } finally {
      await projection.stop();
      await send.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('a rebuild from the topics gives the same rows back', async () => {
    const applicant = person();
    const exam = caseData({ applicantId: applicant.sub, domain: 'exam', caseType: 'score-review', itemName: '考试成绩复核', itemNameEn: 'Score review', businessNo: randomBusinessNo() });
    await sender.send(caseEnvelope(exam), caseEnvelope({ ...exam, version: 2, stage: 'closed', stageName: '已办结', stageNameEn: 'Closed', status: 'done', result: 'rejected', milestone: 'decided' }));
    await eventually(async () => (await myItems(applicant)).items.some((i) => i.businessNo === exam.businessNo && i.status === 'done'), { ...WAIT, what: 'the exam case' });

    const ids = applicants.map((a) => a.sub);
    const snapshot = async () => h.dataSource.query('SELECT * FROM my_item WHERE applicant_id = ANY($1::uuid[]) ORDER BY domain, case_id', [ids]);
    const counts = async () =>
      (await h.dataSource.query(
        `SELECT (SELECT count(*) FROM audit_entry a WHERE a.business_no IN (SELECT business_no FROM my_item WHERE applicant_id = ANY($1::uuid[]))) AS audits,
                (SELECT count(*) FROM message WHERE recipient_id = ANY($1::uuid[])) AS messages`,
        [ids],
      ))[0];
    const before = await snapshot();
    const countsBefore = await counts();
    assert.ok(before.length >= 5, `expected the test's items, got ${before.length}`);

    // Damage the projection: a rebuild must not depend on what is there.
    await h.dataSource.query(`UPDATE my_item SET stage = 'damaged', version = 99 WHERE applicant_id = $1`, [applicant.sub]);
    await h.dataSource.query(`DELETE FROM my_item WHERE applicant_id = $1`, [applicants[0]!.sub]);

    const result = await rebuildItemsFromEnv(serviceTestEnv());
    assert.ok(result.applied >= 5, JSON.stringify(result));
    assert.ok(result.items >= before.length);
    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(await counts(), countsBefore);
  });
});
