import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, testEnvironment } from '@certhub/testing';
import { testCaller, WorkbenchHarness, type TestCaller } from '../testing/workbench-harness';
import { caseData, caseEnvelope, CaseEventSender, type CaseData } from './case-event.fixtures';

type Item = Record<string, unknown> & { businessNo: string; itemName: string; stageName: string; status: string };
type ItemList = { items: Item[]; total: number; counts: { all: number; draft: number; active: number; done: number } };
type ErrorBody = { code: string; field?: string; message: string; messageZh: string };

describe('my items (WB-3): tabs, counts, fuzzy search, paging, only my own', () => {
  let h: WorkbenchHarness;
  let sender: CaseEventSender;
  let owner: TestCaller;
  let cases: Record<'draft' | 'registration' | 'annual' | 'transfer' | 'scoreReview', CaseData>;

  const list = (caller: TestCaller, query = '') => h.request<ItemList>('GET', `/api/v1/workbench/items${query}`, { caller });
  const numbers = (body: ItemList) => body.items.map((i) => i.businessNo);

  before(async () => {
    h = await WorkbenchHarness.start({ RUN_WORKER: 'false' });
    sender = await CaseEventSender.connect(testEnvironment().kafkaBrokers);
    owner = testCaller('personal');
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const me = owner.sub;
    cases = {
      draft: caseData({ applicantId: me, status: 'draft', stage: 'draft', stageName: '草稿', stageNameEn: 'Draft', changedAt: at(50) }),
      registration: caseData({ applicantId: me, changedAt: at(40), milestone: 'submitted' }),
      annual: caseData({ applicantId: me, caseType: 'annual-confirmation', itemName: '年度确认申请', itemNameEn: 'Annual confirmation', stage: 'association-approval', stageName: '协会审批', stageNameEn: 'Association approval', changedAt: at(30) }),
      transfer: caseData({ applicantId: me, caseType: 'institution-transfer', itemName: '人员转换执业机构', itemNameEn: 'Transfer of practising institution', stage: 'closed', stageName: '已办结', stageNameEn: 'Closed', status: 'done', result: 'approved', changedAt: at(20) }),
      scoreReview: caseData({ applicantId: me, domain: 'exam', caseType: 'score-review', itemName: '考试成绩复核', itemNameEn: 'Exam score review', stage: 'closed', stageName: '已办结', stageNameEn: 'Closed', status: 'done', result: 'rejected', changedAt: at(10) }),
    };
    await sender.send(...Object.values(cases).map((c) => caseEnvelope(c)));
    await eventually(async () => (await list(owner)).body.total === 5, { timeoutMs: 90_000, intervalMs: 200, what: 'five projected items' });
  });
  after(async () => {
    await sender?.stop();
    await h?.stop();
  });

  it('lists every item of mine, newest change first, with the counts of each tab', async () => {
    const res = await list(owner);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(numbers(res.body), [cases.scoreReview, cases.transfer, cases.annual, cases.registration, cases.draft].map((c) => c.businessNo));
    assert.deepEqual(res.body.counts, { all: 5, draft: 1, active: 2, done: 2 });
    assert.equal(res.body.total, 5);
    const first = res.body.items[0]!;
    assert.equal(first.domain, 'exam');
    assert.equal(first.itemName, '考试成绩复核');
    assert.equal(first.result, 'rejected');
  });

  it('filters by tab: drafts, in progress, done', async () => {
    const drafts = await list(owner, '?tab=draft');
    assert.deepEqual(numbers(drafts.body), [cases.draft.businessNo]);
    assert.equal(drafts.body.total, 1);
    const active = await list(owner, '?tab=active');
    assert.deepEqual(numbers(active.body), [cases.annual.businessNo, cases.registration.businessNo]);
    assert.equal(active.body.total, 2);
    const done = await list(owner, '?tab=done');
    assert.deepEqual(numbers(done.body), [cases.scoreReview.businessNo, cases.transfer.businessNo]);
    assert.deepEqual(done.body.counts, { all: 5, draft: 1, active: 2, done: 2 });
  });

  it('searches item names and stages, Chinese included, as substrings', async () => {
    const registration = await list(owner, `?q=${encodeURIComponent('注册')}`);
    assert.deepEqual(numbers(registration.body), [cases.registration.businessNo, cases.draft.businessNo]);
    assert.deepEqual(registration.body.counts, { all: 2, draft: 1, active: 1, done: 0 });

    const stage = await list(owner, `?q=${encodeURIComponent('机构初核')}`);
    assert.deepEqual(numbers(stage.body), [cases.registration.businessNo]);

    // 机构 is in a stage name (机构初核) and in an item name (人员转换执业机构).
    const both = await list(owner, `?q=${encodeURIComponent('机构')}&tab=done`);
    assert.deepEqual(numbers(both.body), [cases.transfer.businessNo]);
    assert.deepEqual(both.body.counts, { all: 2, draft: 0, active: 1, done: 1 });

    const english = await list(owner, '?q=ANNUAL');
    assert.deepEqual(numbers(english.body), [cases.annual.businessNo]);

    for (const literal of ['%', '_', '\\']) {
      const res = await list(owner, `?q=${encodeURIComponent(literal)}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 0, `q=${literal} is a literal, not a wildcard`);
    }
  });

  it('pages through the items', async () => {
    const p1 = await list(owner, '?size=2&page=1');
    const p2 = await list(owner, '?size=2&page=2');
    const p3 = await list(owner, '?size=2&page=3');
    const p4 = await list(owner, '?size=2&page=4');
    assert.deepEqual([...numbers(p1.body), ...numbers(p2.body), ...numbers(p3.body)], numbers((await list(owner)).body));
    assert.equal(p3.body.items.length, 1);
    assert.deepEqual(p4.body.items, []);
    assert.equal(p4.body.total, 5);
  });

  it('shows one item by domain and business number', async () => {
    const res = await h.request<Item>('GET', `/api/v1/workbench/items/certification/${cases.annual.businessNo}`, { caller: owner });
    assert.equal(res.status, 200);
    assert.equal(res.body.caseId, cases.annual.caseId);
    assert.equal(res.body.stageName, '协会审批');
    assert.equal(res.body.link, cases.annual.link);
    const wrongDomain = await h.request<ErrorBody>('GET', `/api/v1/workbench/items/exam/${cases.annual.businessNo}`, { caller: owner });
    assert.equal(wrongDomain.status, 404);
  });

  it('never shows another person\'s items: the list is empty and one item answers 404 like an unknown one', async () => {
    const other = testCaller('personal');
    const theirs = await list(other);
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.body.items, []);
    assert.deepEqual(theirs.body.counts, { all: 0, draft: 0, active: 0, done: 0 });
    const searched = await list(other, `?q=${encodeURIComponent('注册')}`);
    assert.equal(searched.body.total, 0);

    for (const caller of [other, testCaller('staff'), testCaller('institution')]) {
      const res = await h.request<ErrorBody>('GET', `/api/v1/workbench/items/certification/${cases.registration.businessNo}`, { caller });
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'WORKBENCH_ITEM_NOT_FOUND');
      assert.ok(res.body.messageZh.length > 0 && res.body.message.length > 0);
    }
    const unknown = await h.request<ErrorBody>('GET', '/api/v1/workbench/items/certification/00000000000000', { caller: owner });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'WORKBENCH_ITEM_NOT_FOUND');
    for (const path of ['nope/12345678901234', 'certification/123']) {
      const res = await h.request<ErrorBody>('GET', `/api/v1/workbench/items/${path}`, { caller: owner });
      assert.equal(res.status, 404, path);
    }
  });

  it('refuses bad queries with the field, and anonymous callers', async () => {
    const cases400: Array<[string, string, string]> = [
      ['?foo=1', 'COMMON_UNKNOWN_FIELD', 'foo'],
      ['?tab=archived', 'COMMON_VALIDATION_FAILED', 'tab'],
      ['?size=101', 'COMMON_VALIDATION_FAILED', 'size'],
      ['?page=0', 'COMMON_VALIDATION_FAILED', 'page'],
      [`?q=${'x'.repeat(51)}`, 'COMMON_VALIDATION_FAILED', 'q'],
    ];
    for (const [query, code, field] of cases400) {
      const res = await h.request<ErrorBody>('GET', `/api/v1/workbench/items${query}`, { caller: owner });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.code, code, query);
      assert.equal(res.body.field, field, query);
    }
    const anonymous = await h.request<ErrorBody>('GET', '/api/v1/workbench/items');
    assert.equal(anonymous.status, 401);
  });

  it('serves the service catalogue publicly', async () => {
    const res = await h.request<{ items: Array<{ code: string; nameZh: string; caseType: string; domain: string; deadlineWorkingDays: number | null }> }>('GET', '/api/v1/workbench/catalogue');
    assert.equal(res.status, 200);
    assert.equal(res.body.items.length, 11);
    const byType = Object.fromEntries(res.body.items.map((i) => [i.caseType, i]));
    assert.equal(byType['cert-registration']!.nameZh, '人员注册申请');
    assert.equal(byType['cert-registration']!.deadlineWorkingDays, 15);
    assert.equal(byType['expert-application']!.deadlineWorkingDays, null);
    assert.equal(byType['identity-verification']!.domain, 'identity');
    assert.equal(byType['score-review']!.deadlineWorkingDays, 4);
  });
});
