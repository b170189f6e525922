import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { testCaller, WorkbenchHarness, type TestCaller } from '../testing/workbench-harness';
import type { NoticeAudience } from './message.entity';
import { writeMessages, type NewMessage } from './message.writer';

type InboxItem = { id: string; kind: 'message' | 'notice'; category?: string; title: string; titleEn: string; body: string; bodyEn: string; link?: string; linkType?: string; createdAt: string; read: boolean };
type Unread = { messages: number; notices: number; total: number };
type Inbox = { items: InboxItem[]; total: number; unread: Unread };
type ErrorBody = { code: string; field?: string; message: string; messageZh: string };

describe('message center (WB-4): messages and notices, read state, mark all read, clear all', () => {
  let h: WorkbenchHarness;
  let admin: TestCaller;

  const inbox = (caller: TestCaller, query = '') => h.request<Inbox>('GET', `/api/v1/workbench/messages${query}`, { caller });
  const unread = async (caller: TestCaller) => (await h.request<Unread>('GET', '/api/v1/workbench/messages/unread-count', { caller })).body;
  const message = (recipientId: string, n: number): NewMessage => ({
    recipientId,
    category: 'task-assigned',
    titleZh: `待办任务 ${n}`,
    titleEn: `Task ${n}`,
    bodyZh: `您有一个新的待办任务 ${n}。`,
    bodyEn: `You have a new task ${n}.`,
    linkType: 'task',
    link: `/api/v1/workbench/tasks/${randomUUID()}`,
    dedupeKey: `messages-test:${randomUUID()}`,
  });
  const send = async (...messages: NewMessage[]) => {
    // One transaction per message: distinct creation times, oldest first.
    for (const m of messages) await h.dataSource.transaction((manager) => writeMessages(manager, [m]));
  };
  const publish = async (audience: NoticeAudience, title = `通知 ${randomUUID().slice(0, 8)}`) => {
    const res = await h.request<{ id: string }>('POST', '/api/v1/workbench/notices', {
      caller: admin,
      body: { audience, titleZh: title, titleEn: `Notice ${title}`, bodyZh: '系统将于周六维护。', bodyEn: 'Maintenance on Saturday.' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  };
  /** A caller with an empty list: clearing hides the notices earlier runs left behind. */
  const fresh = async (kind: 'personal' | 'institution' | 'staff' | 'expert') => {
    const caller = testCaller(kind);
    const cleared = await h.request('DELETE', '/api/v1/workbench/messages', { caller });
    assert.equal(cleared.status, 200);
    return caller;
  };

  before(async () => {
    h = await WorkbenchHarness.start({ RUN_WORKER: 'false', RUN_PROJECTION: 'false' });
    admin = testCaller('admin');
  });
  after(async () => {
    await h?.stop();
  });

  it('lists my messages newest first with unread counts; marking one read counts down', async () => {
    const me = await fresh('personal');
    const other = await fresh('personal');
    await send(message(me.sub, 1), message(me.sub, 2), message(me.sub, 3), message(other.sub, 9));
    assert.deepEqual(await unread(me), { messages: 3, notices: 0, total: 3 });

    const list = await inbox(me);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.items.map((m) => m.title), ['待办任务 3', '待办任务 2', '待办任务 1']);
    assert.equal(list.body.total, 3);
    const first = list.body.items[0]!;
    assert.equal(first.kind, 'message');
    assert.equal(first.category, 'task-assigned');
    assert.equal(first.titleEn, 'Task 3');
    assert.equal(first.linkType, 'task');
    assert.match(first.link!, /^\/api\/v1\/workbench\/tasks\//);
    assert.equal(first.read, false);

    const read = await h.request('POST', `/api/v1/workbench/messages/${first.id}/read`, { caller: me });
    assert.equal(read.status, 200);
    assert.deepEqual(await unread(me), { messages: 2, notices: 0, total: 2 });
    const again = await h.request('POST', `/api/v1/workbench/messages/${first.id}/read`, { caller: me });
    assert.equal(again.status, 200, 'marking read twice is harmless');
    const unreadOnly = await inbox(me, '?unread=true');
    assert.deepEqual(unreadOnly.body.items.map((m) => m.title), ['待办任务 2', '待办任务 1']);
    assert.equal(unreadOnly.body.total, 2);

    const page2 = await inbox(me, '?size=2&page=2');
    assert.deepEqual(page2.body.items.map((m) => m.title), ['待办任务 1']);
    assert.equal(page2.body.total, 3);
  });

  it('answers 404 for another person\'s message and leaves it unread', async () => {
    const me = await fresh('personal');
    const other = await fresh('personal');
    await send(message(other.sub, 1));
    const theirs = (await inbox(other)).body.items[0]!;
    for (const id of [theirs.id, randomUUID(), 'not-a-uuid']) {
      const res = await h.request<ErrorBody>('POST', `/api/v1/workbench/messages/${id}/read`, { caller: me });
      assert.equal(res.status, 404, id);
      assert.equal(res.body.code, 'WORKBENCH_MESSAGE_NOT_FOUND');
      assert.equal(res.body.field, 'id');
    }
    assert.deepEqual((await inbox(me)).body.items, []);
    assert.deepEqual(await unread(other), { messages: 1, notices: 0, total: 1 });
  });

  it('shows a notice only to its audience, with its own read state per reader', async () => {
    const person = await fresh('personal');
    const expert = await fresh('expert');
    const institution = await fresh('institution');
    const staff = await fresh('staff');

    const forPersonal = await publish('personal');
    const forInstitutions = await publish('institution');
    const forEveryone = await publish('all');
    const noticeIds = async (caller: TestCaller) => (await inbox(caller, '?kind=notice')).body.items.map((n) => n.id);

    assert.deepEqual(await noticeIds(person), [forEveryone, forPersonal]);
    assert.deepEqual(await noticeIds(expert), [forEveryone, forPersonal]);
    assert.deepEqual(await noticeIds(institution), [forEveryone, forInstitutions]);
    assert.deepEqual(await noticeIds(staff), [forEveryone]);
    const notice = (await inbox(person, '?kind=notice')).body.items[1]!;
    assert.equal(notice.kind, 'notice');
    assert.equal(notice.bodyEn, 'Maintenance on Saturday.');
    assert.equal(notice.read, false);
    assert.equal(notice.category, undefined);
    assert.deepEqual(await unread(person), { messages: 0, notices: 2, total: 2 });

    // Not in the institution's audience: the same 404 as an unknown id.
    const refused = await h.request<ErrorBody>('POST', `/api/v1/workbench/messages/${forPersonal}/read`, { caller: institution });
    assert.equal(refused.status, 404);

    const read = await h.request<{ kind: string }>('POST', `/api/v1/workbench/messages/${forPersonal}/read`, { caller: person });
    assert.equal(read.status, 200);
    assert.equal(read.body.kind, 'notice');
    assert.deepEqual(await unread(person), { messages: 0, notices: 1, total: 1 });
    assert.deepEqual(await unread(expert), { messages: 0, notices: 2, total: 2 }, 'another reader of the same notice still has it unread');

    const messagesOnly = await inbox(person, '?kind=message');
    assert.deepEqual(messagesOnly.body.items, []);
    await send(message(person.sub, 1));
    const all = await inbox(person);
    assert.deepEqual(all.body.items.map((i) => i.kind), ['message', 'notice', 'notice']);
    assert.deepEqual(all.body.unread, { messages: 1, notices: 1, total: 2 });
  });

  it('marks everything read, then clears everything; newer ones arrive unread', async () => {
    const me = await fresh('personal');
    const other = await fresh('personal');
    await send(message(me.sub, 1), message(me.sub, 2), message(other.sub, 1));
    await publish('all');
    assert.deepEqual(await unread(me), { messages: 2, notices: 1, total: 3 });

    const readAll = await h.request<{ unread: Unread }>('POST', '/api/v1/workbench/messages/read-all', { caller: me });
    assert.equal(readAll.status, 200);
    assert.deepEqual(readAll.body.unread, { messages: 0, notices: 0, total: 0 });
    const after = await inbox(me);
    assert.equal(after.body.total, 3);
    assert.ok(after.body.items.every((i) => i.read));
    assert.deepEqual(await unread(other), { messages: 1, notices: 1, total: 2 }, 'someone else\'s state is untouched');

    await publish('personal');
    await send(message(me.sub, 3));
    assert.deepEqual(await unread(me), { messages: 1, notices: 1, total: 2 });

    const cleared = await h.request<{ unread: Unread }>('DELETE', '/api/v1/workbench/messages', { caller: me });
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body.unread, { messages: 0, notices: 0, total: 0 });
    const empty = await inbox(me);
    assert.deepEqual(empty.body.items, []);
    assert.equal(empty.body.total, 0);
    assert.equal((await inbox(other)).body.total, 3, 'two notices and one message');

    const later = await publish('all');
    assert.deepEqual((await inbox(me)).body.items.map((i) => i.id), [later]);
  });

  it('lets only the admin publish and list notices', async () => {
    const title = `仅管理员 ${randomUUID()}`;
    for (const caller of [testCaller('personal'), testCaller('staff'), testCaller('institution')]) {
      const res = await h.request<ErrorBody>('POST', '/api/v1/workbench/notices', {
        caller,
        body: { audience: 'all', titleZh: title, titleEn: 'x', bodyZh: 'x', bodyEn: 'x' },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, 'COMMON_FORBIDDEN');
      assert.equal((await h.request('GET', '/api/v1/workbench/notices', { caller })).status, 403);
    }
    const count: Array<{ n: string }> = await h.dataSource.query('SELECT count(*) AS n FROM notice WHERE title_zh = $1', [title]);
    assert.equal(Number(count[0]!.n), 0);

    const id = await publish('staff', title);
    const listed = await h.request<{ items: Array<{ id: string; audience: string; titleZh: string; publishedBy: string }>; total: number }>('GET', '/api/v1/workbench/notices?size=100', { caller: admin });
    assert.equal(listed.status, 200);
    const mine = listed.body.items.find((n) => n.id === id);
    assert.deepEqual({ audience: mine?.audience, titleZh: mine?.titleZh, publishedBy: mine?.publishedBy }, { audience: 'staff', titleZh: title, publishedBy: admin.sub });
  });

  it('refuses bad notice bodies and queries with the field at fault, and writes nothing', async () => {
    const title = `坏请求 ${randomUUID()}`;
    const good = { audience: 'all', titleZh: title, titleEn: 'Bad request', bodyZh: '正文', bodyEn: 'Body' };
    const bad: Array<[Record<string, unknown>, string, string]> = [
      [{ ...good, audience: 'everyone' }, 'COMMON_VALIDATION_FAILED', 'audience'],
      [{ ...good, titleZh: undefined }, 'COMMON_VALIDATION_FAILED', 'titleZh'],
      [{ ...good, titleEn: '' }, 'COMMON_VALIDATION_FAILED', 'titleEn'],
      [{ ...good, bodyZh: '   ' }, 'COMMON_VALIDATION_FAILED', 'bodyZh'],
      [{ ...good, bodyEn: 42 }, 'COMMON_VALIDATION_FAILED', 'bodyEn'],
      [{ ...good, titleZh: 'x'.repeat(201) }, 'COMMON_VALIDATION_FAILED', 'titleZh'],
      [{ ...good, pinned: true }, 'COMMON_UNKNOWN_FIELD', 'pinned'],
    ];
    for (const [body, code, field] of bad) {
      const res = await h.request<ErrorBody>('POST', '/api/v1/workbench/notices', { caller: admin, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, code, field);
      assert.equal(res.body.field, field);
      assert.ok(res.body.message && res.body.messageZh, field);
    }
    const count: Array<{ n: string }> = await h.dataSource.query('SELECT count(*) AS n FROM notice WHERE title_zh = $1', [title]);
    assert.equal(Number(count[0]!.n), 0);

    const me = testCaller('personal');
    for (const [query, field] of [['?kind=email', 'kind'], ['?unread=yes', 'unread'], ['?size=500', 'size'], ['?sort=old', 'sort']] as const) {
      const res = await h.request<ErrorBody>('GET', `/api/v1/workbench/messages${query}`, { caller: me });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.field, field, query);
    }
    assert.equal((await h.request('GET', '/api/v1/workbench/messages')).status, 401);
  });
});
