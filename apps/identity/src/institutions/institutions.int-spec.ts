import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IdentityTopics } from '@certhub/contracts';
import { KafkaProbe, testEnvironment, unique } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';

type Body = Record<string, unknown> & { code?: string; field?: string };

/** 18-character unified social credit codes that pass the format check. */
const creditCode = () => `91310000${Array.from({ length: 9 }, () => 'ABCDEFGHJKLMNPQRTUWXY0123456789'[Math.floor(Math.random() * 31)]).join('')}X`;

describe('institutions, roles and authorisation (ID-13, roles of §1)', () => {
  let h: IdentityHarness;
  let admin: { id: string; accessToken: string };
  let probe: KafkaProbe;
  before(async () => {
    h = await IdentityHarness.start();
    admin = await h.staffToken(['admin', 'staff']);
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([IdentityTopics.RolesChanged, IdentityTopics.InstitutionCreated]);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  it('the admin creates an institution, finds it in the directory, and creates its account', async () => {
    const name = `测试认证中心${unique.username('')}`;
    const created = await h.request<Body>('POST', '/api/v1/identity/admin/institutions', { token: admin.accessToken, body: { name, creditCode: creditCode(), kind: 'certification' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await probe.waitFor((m) => m.topic === IdentityTopics.InstitutionCreated && m.key === created.body.id);
    const found = await h.request<{ items: Array<{ id: string }> }>('GET', `/api/v1/identity/institutions?q=${encodeURIComponent(name.slice(-8))}`);
    assert.deepEqual(found.body.items.map((i) => i.id), [created.body.id]);
    const account = await h.request<Body>('POST', `/api/v1/identity/admin/institutions/${created.body.id as string}/accounts`, {
      token: admin.accessToken,
      body: { username: unique.username('i'), password: 'Inst12345', realName: '机构经办人', phone: unique.phone() },
    });
    assert.equal(account.status, 201, JSON.stringify(account.body));
    const tokens = await h.login(account.body.username as string, 'Inst12345');
    const me = await h.request<Body>('GET', '/api/v1/identity/me', { token: tokens.accessToken });
    assert.equal(me.body.accountType, 'institution');
    assert.equal(me.body.institutionId, created.body.id);
    const dup = await h.request<Body>('POST', '/api/v1/identity/admin/institutions', {
      token: admin.accessToken,
      body: { name: '另一个', creditCode: (await h.dataSource.query('SELECT credit_code FROM institution WHERE id = $1', [created.body.id]))[0].credit_code, kind: 'training' },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'IDENTITY_INSTITUTION_TAKEN');
  });

  it('the admin grants and revokes the expert role; the change is an event', async () => {
    const person = await h.registerAndLogin();
    const granted = await h.request<Body>('POST', `/api/v1/identity/admin/accounts/${person.id}/roles`, { token: admin.accessToken, body: { role: 'expert' } });
    assert.equal(granted.status, 201);
    assert.deepEqual(granted.body.roles, ['personal', 'expert']);
    const event = await probe.waitFor((m) => m.topic === IdentityTopics.RolesChanged && m.key === person.id);
    assert.deepEqual((event.value as { data: { roles: string[] } }).data.roles, ['personal', 'expert']);
    const badRole = await h.request<Body>('POST', `/api/v1/identity/admin/accounts/${person.id}/roles`, { token: admin.accessToken, body: { role: 'admin' } });
    assert.equal(badRole.status, 400);
    assert.equal(badRole.body.field, 'role');
    const revoked = await h.request<Body>('DELETE', `/api/v1/identity/admin/accounts/${person.id}/roles/expert`, { token: admin.accessToken });
    assert.deepEqual(revoked.body.roles, ['personal']);
  });

  describe('authorisation', () => {
    it('refuses admin and staff endpoints to personal and institution users (403)', async () => {
      const person = await h.registerAndLogin();
      const endpoints: Array<['GET' | 'POST', string, unknown]> = [
        ['POST', '/api/v1/identity/admin/institutions', { name: 'x机构', creditCode: creditCode(), kind: 'certification' }],
        ['POST', `/api/v1/identity/admin/accounts/${person.id}/roles`, { role: 'expert' }],
        ['GET', '/api/v1/identity/staff/verifications', undefined],
        ['GET', `/api/v1/identity/staff/accounts/${person.id}/photo`, undefined],
      ];
      for (const [method, url, body] of endpoints) {
        const res = await h.request<Body>(method, url, { token: person.accessToken, body });
        assert.equal(res.status, 403, `${method} ${url}`);
        assert.equal(res.body.code, 'COMMON_FORBIDDEN');
      }
      const roles: Array<{ roles: string[] }> = await h.dataSource.query('SELECT roles FROM account WHERE id = $1', [person.id]);
      assert.deepEqual(roles[0]!.roles, ['personal']);
    });

    it('a staff member sees verifications but cannot grant roles', async () => {
      const staff = await h.staffToken(['staff']);
      assert.equal((await h.request('GET', '/api/v1/identity/staff/verifications', { token: staff.accessToken })).status, 200);
      const person = await h.registerAndLogin();
      const res = await h.request('POST', `/api/v1/identity/admin/accounts/${person.id}/roles`, { token: staff.accessToken, body: { role: 'expert' } });
      assert.equal(res.status, 403);
    });

    it('an unknown id and a malformed id look the same (404)', async () => {
      const unknownId = await h.request<Body>('GET', `/api/v1/identity/institutions/${unique.id()}`);
      const malformed = await h.request<Body>('GET', '/api/v1/identity/institutions/not-a-uuid');
      assert.equal(unknownId.status, 404);
      assert.equal(malformed.status, 404);
    });
  });
});
