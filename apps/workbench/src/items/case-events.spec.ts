import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { catalogueItem, SERVICE_CATALOGUE } from '../catalogue/catalogue';
import { caseData, caseEnvelope } from './case-event.fixtures';
import { messageOf, messagesOf, parseCaseMessage } from './case-events';
import { containsPattern } from './item.views';

const value = (x: unknown) => ({ value: Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)) });

describe('parseCaseMessage', () => {
  const event = caseEnvelope(caseData({ applicantId: randomUUID() }));

  it('accepts a valid event of its topic', () => {
    const parsed = parseCaseMessage('certification.case.changed.v1', value(event));
    assert.equal(parsed.ok, true);
    assert.equal(parsed.ok && parsed.event.envelope.eventId, event.eventId);
  });

  it('refuses what is not JSON, a null value, invalid data, and an event of another domain', () => {
    assert.deepEqual(parseCaseMessage('certification.case.changed.v1', value('{')), { ok: false, reason: 'value is not JSON' });
    assert.equal(parseCaseMessage('certification.case.changed.v1', { value: null }).ok, false);
    const invalid = parseCaseMessage('certification.case.changed.v1', value({ ...event, data: { ...event.data, status: 'paused' } }));
    assert.equal(invalid.ok, false);
    assert.match(!invalid.ok ? invalid.reason : '', /^data /);
    const wrongTopic = parseCaseMessage('exam.case.changed.v1', value(event));
    assert.equal(wrongTopic.ok, false);
    const wrongDomain = parseCaseMessage('exam.case.changed.v1', value({ ...event, type: 'exam.case.changed.v1' }));
    assert.deepEqual(wrongDomain, { ok: false, reason: 'data.domain certification does not match topic exam.case.changed.v1' });
  });
});

describe('messagesOf: the account an event names in actionBy', () => {
  const base = caseData({ applicantId: randomUUID(), businessNo: '20260101120002' });
  const payer = randomUUID();
  const feeLink = `/api/v1/payment/fees/${randomUUID()}`;

  it('tells the institution user asked to pay the fee, linked to the fee; the applicant gets nothing without a milestone', () => {
    const e = caseEnvelope({ ...base, stage: 'payment', opinion: '待执业机构缴纳注册费 800.00 元', actionBy: { accountId: payer, reason: 'fee-payer', link: feeLink } });
    const messages = messagesOf(e);
    assert.equal(messages.length, 1);
    const m = messages[0]!;
    assert.equal(m.recipientId, payer);
    assert.equal(m.category, 'case-action-required');
    assert.deepEqual([m.linkType, m.link, m.dedupeKey], ['fee', feeLink, `case-message:${e.eventId}:fee-payer`]);
    assert.ok(m.bodyZh.includes('20260101120002') && m.bodyZh.includes('800.00 元'));
    assert.ok(m.bodyEn.includes('20260101120002') && m.bodyEn.includes('any user of the institution'));
  });

  it('adds it to the applicant\'s message when the event has a milestone too, and makes none without actionBy', () => {
    const both = messagesOf(caseEnvelope({ ...base, milestone: 'action-required', actionBy: { accountId: payer, reason: 'fee-payer', link: feeLink } }));
    assert.deepEqual(both.map((m) => m.recipientId), [base.applicantId, payer]);
    assert.equal(new Set(both.map((m) => m.dedupeKey)).size, 2);
    assert.deepEqual(messagesOf(caseEnvelope({ ...base, actionBy: null })), []);
  });

  it('is part of the event schema: a valid actionBy passes, an unknown reason or a link outside the API does not', () => {
    const ok = parseCaseMessage('certification.case.changed.v1', value(caseEnvelope({ ...base, actionBy: { accountId: payer, reason: 'fee-payer', link: feeLink } })));
    assert.equal(ok.ok, true);
    for (const actionBy of [{ accountId: payer, reason: 'reviewer', link: feeLink }, { accountId: payer, reason: 'fee-payer', link: 'https://pay.example/x' }, { accountId: 'nobody', reason: 'fee-payer', link: feeLink }]) {
      const bad = parseCaseMessage('certification.case.changed.v1', value(caseEnvelope({ ...base, actionBy } as never)));
      assert.equal(bad.ok, false, JSON.stringify(actionBy));
    }
  });
});

describe('messageOf', () => {
  const base = caseData({ applicantId: randomUUID(), businessNo: '20260101120001' });

  it('makes no message without a milestone', () => {
    assert.equal(messageOf(caseEnvelope(base)), null);
  });

  it('tells the applicant about a return with the opinion, in both languages, linked to the case', () => {
    const e = caseEnvelope({ ...base, milestone: 'returned', opinion: '缺少学历证明' });
    const m = messageOf(e)!;
    assert.equal(m.category, 'case-returned');
    assert.equal(m.recipientId, base.applicantId);
    assert.match(m.titleZh, /退回整改/);
    assert.ok(m.bodyZh.includes('人员注册申请') && m.bodyZh.includes('20260101120001') && m.bodyZh.includes('缺少学历证明'));
    assert.ok(m.bodyEn.includes('Personnel registration application') && m.bodyEn.includes('20260101120001') && m.bodyEn.includes('缺少学历证明'));
    assert.deepEqual([m.linkType, m.link, m.dedupeKey], ['case', base.link, `case-message:${e.eventId}`]);
  });

  it('names the result of a decision and maps every milestone to a category', () => {
    const decided = messageOf(caseEnvelope({ ...base, milestone: 'decided', status: 'done', result: 'rejected' }))!;
    assert.match(decided.bodyZh, /办理结果：不通过/);
    assert.match(decided.bodyEn, /result: rejected/);
    const unknownResult = messageOf(caseEnvelope({ ...base, milestone: 'decided', status: 'done', result: 'deferred' }))!;
    assert.match(unknownResult.bodyZh, /deferred/);
    const categories = (['submitted', 'resubmitted', 'returned', 'decided', 'withdrawn', 'expired'] as const).map(
      (milestone) => messageOf(caseEnvelope({ ...base, milestone }))!.category,
    );
    assert.deepEqual(categories, ['case-submitted', 'case-submitted', 'case-returned', 'case-decided', 'case-withdrawn', 'case-expired']);
  });
});

describe('containsPattern', () => {
  it('takes LIKE wildcards and the escape character literally', () => {
    assert.equal(containsPattern('注册'), '%注册%');
    assert.equal(containsPattern('100%_a\\b'), '%100\\%\\_a\\\\b%');
  });
});

describe('service catalogue', () => {
  it('lists the services of SPEC §8 with their deadlines in working days', () => {
    const deadlines = Object.fromEntries(SERVICE_CATALOGUE.map((i) => [i.nameZh, i.deadlineWorkingDays]));
    assert.deepEqual(deadlines, {
      人员注册申请: 15,
      年度确认申请: 1,
      人员转换执业机构: 1,
      考试报名: 1,
      考试成绩复核: 4,
      专家申请: null,
      老课复审: null,
      投诉: 90,
      申诉: 90,
      证书注销申请: null,
      身份核验: 5,
    });
    assert.equal(new Set(SERVICE_CATALOGUE.map((i) => i.code)).size, SERVICE_CATALOGUE.length);
    assert.equal(new Set(SERVICE_CATALOGUE.map((i) => i.caseType)).size, SERVICE_CATALOGUE.length);
    assert.equal(catalogueItem('score-review')?.domain, 'exam');
    assert.equal(catalogueItem('identity-verification')?.domain, 'identity');
    assert.equal(catalogueItem('nope'), undefined);
    assert.ok(SERVICE_CATALOGUE.every((i) => /^[a-z][a-z0-9-]{1,63}$/.test(i.caseType)));
  });
});
