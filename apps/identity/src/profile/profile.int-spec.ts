import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unique } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';

type Body = Record<string, unknown> & { code?: string; field?: string };

describe('recovery and registration maintenance (ID-6, ID-9, ID-10, ID-11)', () => {
  let h: IdentityHarness;
  before(async () => {
    h = await IdentityHarness.start();
  });
  after(() => h?.stop());

  const claimOf = (body: Record<string, unknown>) => ({ realName: body.realName, idType: body.idType, idNumber: body.idNumber });

  describe('password recovery (ID-9)', () => {
    it('(a) by security question: question, answer, new password; old sessions end', async () => {
      const { body, accessToken, refreshToken } = await h.registerAndLogin();
      const set = await h.request('PUT', '/api/v1/identity/me/recovery-question', {
        token: accessToken,
        body: { question: '我的小学名称？', answer: '实验小学', password: body.password },
      });
      assert.equal(set.status, 204);
      const q = await h.request<Body>('POST', '/api/v1/identity/password-recovery/question', { body: claimOf(body) });
      assert.equal(q.status, 200);
      assert.equal(q.body.question, '我的小学名称？');
      const wrong = await h.request<Body>('POST', '/api/v1/identity/password-recovery/answer', { body: { ...claimOf(body), answer: '别的小学', newPassword: 'NewPass123' } });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.code, 'IDENTITY_RECOVERY_FAILED');
      const ok = await h.request('POST', '/api/v1/identity/password-recovery/answer', { body: { ...claimOf(body), answer: '实验小学', newPassword: 'NewPass123' } });
      assert.equal(ok.status, 204);
      assert.equal((await h.request('POST', '/api/v1/identity/sessions/refresh', { body: { refreshToken } })).status, 401);
      await h.login(body.username as string, 'NewPass123');
    });

    it('(b) by SMS to the registered phone', async () => {
      const { body } = await h.registerAndLogin();
      await h.passSmsInterval(body.phone as string);
      const smsCode = await h.smsCode(body.phone as string, 'reset-password');
      const wrongPhone = await h.request<Body>('POST', '/api/v1/identity/password-recovery/sms', {
        body: { ...claimOf(body), phone: unique.phone(), smsCode, newPassword: 'Changed123' },
      });
      assert.equal(wrongPhone.status, 400);
      assert.equal(wrongPhone.body.field, 'phone');
      const ok = await h.request('POST', '/api/v1/identity/password-recovery/sms', { body: { ...claimOf(body), phone: body.phone, smsCode, newPassword: 'Changed123' } });
      assert.equal(ok.status, 204);
      await h.login(body.username as string, 'Changed123');
    });

    it('refuses recovery with a name that does not match the document, and without a question', async () => {
      const { body } = await h.registerAndLogin();
      const res = await h.request<Body>('POST', '/api/v1/identity/password-recovery/question', { body: { ...claimOf(body), realName: '李四' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'IDENTITY_RECOVERY_FAILED');
      const none = await h.request<Body>('POST', '/api/v1/identity/password-recovery/question', { body: claimOf(body) });
      assert.equal(none.status, 409);
      assert.equal(none.body.code, 'IDENTITY_NO_RECOVERY_QUESTION');
    });

    it('recovers the username by document number and SMS (找回账户)', async () => {
      const { body } = await h.registerAndLogin();
      await h.passSmsInterval(body.phone as string);
      const smsCode = await h.smsCode(body.phone as string, 'recover-account');
      const res = await h.request<Body>('POST', '/api/v1/identity/account-recovery', { body: { idType: body.idType, idNumber: body.idNumber, phone: body.phone, smsCode } });
      assert.equal(res.status, 200);
      assert.equal(res.body.username, body.username);
      const unknown = await h.request<Body>('POST', '/api/v1/identity/sms-codes', { body: { phone: unique.phone(), purpose: 'recover-account' } });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'IDENTITY_PHONE_NOT_REGISTERED');
    });
  });

  describe('maintenance (ID-6, ID-10)', () => {
    it('changes the phone with a code sent to the new phone', async () => {
      const { body, accessToken } = await h.registerAndLogin();
      const newPhone = unique.phone();
      const smsCode = await h.smsCode(newPhone, 'change-phone');
      const wrongPassword = await h.request<Body>('PUT', '/api/v1/identity/me/phone', { token: accessToken, body: { newPhone, smsCode, password: 'Nope12345' } });
      assert.equal(wrongPassword.body.code, 'IDENTITY_WRONG_PASSWORD');
      const res = await h.request('PUT', '/api/v1/identity/me/phone', { token: accessToken, body: { newPhone, smsCode, password: body.password } });
      assert.equal(res.status, 204);
      const me = await h.request<Body>('GET', '/api/v1/identity/me', { token: accessToken });
      assert.equal(me.body.phoneMasked, `${newPhone.slice(0, 3)}****${newPhone.slice(-4)}`);
    });

    it('keeps identity immutable: no endpoint accepts a new name or document number', async () => {
      const { accessToken } = await h.registerAndLogin();
      const res = await h.request<Body>('PUT', '/api/v1/identity/me/email', { token: accessToken, body: { email: unique.email(), realName: '改名' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'COMMON_UNKNOWN_FIELD');
      assert.equal(res.body.field, 'realName');
    });

    it('adds, edits and removes education records but never the last one', async () => {
      const { accessToken } = await h.registerAndLogin();
      const me = await h.request<{ educations: Array<{ id: string }> }>('GET', '/api/v1/identity/me', { token: accessToken });
      const firstId = me.body.educations[0]!.id;
      const lonely = await h.request<Body>('DELETE', `/api/v1/identity/me/educations/${firstId}`, { token: accessToken });
      assert.equal(lonely.status, 400);
      assert.equal(lonely.body.code, 'IDENTITY_EDUCATION_REQUIRED');
      const added = await h.request<Body>('POST', '/api/v1/identity/me/educations', {
        token: accessToken,
        body: { school: '同济大学', major: '工业工程', level: 'master', degree: '工学硕士', startDate: '2010-09-01', endDate: '2013-07-01' },
      });
      assert.equal(added.status, 201);
      const backwards = await h.request<Body>('PUT', `/api/v1/identity/me/educations/${added.body.id as string}`, {
        token: accessToken,
        body: { school: '同济大学', major: '工业工程', level: 'master', startDate: '2013-09-01', endDate: '2010-07-01' },
      });
      assert.equal(backwards.body.code, 'IDENTITY_EDUCATION_DATES');
      assert.equal((await h.request('DELETE', `/api/v1/identity/me/educations/${firstId}`, { token: accessToken })).status, 204);
    });
  });

  describe('basic info library (ID-11)', () => {
    it('keeps work, audit and continuing-education records, validated per kind', async () => {
      const { accessToken } = await h.registerAndLogin();
      const audit = await h.request<Body>('POST', '/api/v1/identity/me/records/audit', {
        token: accessToken,
        body: { auditee: '某某制造有限公司', standard: 'QMS', auditType: 'initial', startDate: '2023-05-10', onSiteDays: 3 },
      });
      assert.equal(audit.status, 201, JSON.stringify(audit.body));
      const bad = await h.request<Body>('POST', '/api/v1/identity/me/records/audit', {
        token: accessToken,
        body: { auditee: '某某制造有限公司', standard: 'QMS', auditType: 'initial', startDate: '2023-05-10', onSiteDays: -1 },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.field, 'onSiteDays');
      const unknownKind = await h.request<Body>('POST', '/api/v1/identity/me/records/hobbies', { token: accessToken, body: {} });
      assert.equal(unknownKind.status, 404);
      const list = await h.request<Array<{ kind: string; auditee?: string }>>('GET', '/api/v1/identity/me/records', { token: accessToken });
      assert.deepEqual(list.body.map((r) => [r.kind, r.auditee]), [['audit', '某某制造有限公司']]);
    });

    it("another user's record id looks like an unknown one (404)", async () => {
      const owner = await h.registerAndLogin();
      const other = await h.registerAndLogin();
      const work = await h.request<Body>('POST', '/api/v1/identity/me/records/work', {
        token: owner.accessToken,
        body: { employer: '某认证公司', position: '审核员', startDate: '2015-01-01' },
      });
      const stolen = await h.request<Body>('PUT', `/api/v1/identity/me/records/work/${work.body.id as string}`, {
        token: other.accessToken,
        body: { employer: '改掉', position: '审核员', startDate: '2015-01-01' },
      });
      assert.equal(stolen.status, 404);
      const gone = await h.request<Body>('DELETE', `/api/v1/identity/me/records/work/${work.body.id as string}`, { token: other.accessToken });
      assert.equal(gone.status, 404);
      const still = await h.request<Array<{ employer: string }>>('GET', '/api/v1/identity/me/records/work', { token: owner.accessToken });
      assert.equal(still.body[0]!.employer, '某认证公司');
    });
  });
});
