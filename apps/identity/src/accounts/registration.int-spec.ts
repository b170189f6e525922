import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IdentityTopics } from '@certhub/contracts';
import { KafkaProbe, eventually, testEnvironment, unique } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';

type ErrorBody = { code: string; field?: string; message: string; messageZh: string };

describe('registration (ID-1 … ID-5)', () => {
  let h: IdentityHarness;
  let probe: KafkaProbe;

  before(async () => {
    h = await IdentityHarness.start();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([IdentityTopics.AccountRegistered, IdentityTopics.VerificationChanged]);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  async function register(body: Record<string, unknown>) {
    const { birthDate: _b, sequence: _s, ...rest } = body;
    return h.request<ErrorBody & { id: string; gender: string; birthDate: string }>('POST', '/api/v1/identity/accounts', { body: rest });
  }

  async function withCode(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return { ...body, smsCode: await h.smsCode(body.phone as string) };
  }

  it('registers a personal account and derives gender and birth date from the ID number', async () => {
    const applicant = h.newApplicant();
    const res = await register(await withCode(applicant));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.body.birthDate, applicant.birthDate);
    assert.equal(res.body.gender, applicant.sequence % 2 === 1 ? 'male' : 'female');
  });

  it('accepts a legacy 15-digit number, stores it upgraded, and a name with a bracketed rare character (ID-7)', async () => {
    const { birthDate, sequence } = unique.birth();
    const n15 = `310104${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${birthDate.slice(8, 10)}${String(sequence).padStart(3, '0')}`;
    const applicant = h.newApplicant({ idNumber: n15, realName: '王晓[沛]', confirm: { realName: '王晓[沛]', idType: 'resident-id', idNumber: n15 } });
    const res = await register(await withCode(applicant));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const rows: Array<{ id_number: string; real_name: string }> = await h.dataSource.query('SELECT id_number, real_name FROM account WHERE id = $1', [res.body.id]);
    assert.equal(rows[0]!.id_number.length, 18);
    assert.ok(rows[0]!.id_number.startsWith(`${n15.slice(0, 6)}19${n15.slice(6, 12)}`));
    assert.equal(rows[0]!.real_name, '王晓[沛]');
  });

  it('publishes identity.account.registered.v1 keyed by the account id, without document number or phone', async () => {
    const applicant = await withCode(h.newApplicant());
    const res = await register(applicant);
    assert.equal(res.status, 201);
    const message = await probe.waitFor((m) => m.topic === IdentityTopics.AccountRegistered && m.key === res.body.id);
    const envelope = message.value as { type: string; subjectId: string; eventId: string; data: { accountId: string } };
    assert.equal(envelope.type, IdentityTopics.AccountRegistered);
    assert.equal(envelope.subjectId, res.body.id);
    assert.equal(envelope.data.accountId, res.body.id);
    const text = JSON.stringify(message);
    assert.ok(!text.includes(applicant.idNumber as string), 'document number leaked into Kafka');
    assert.ok(!text.includes(applicant.phone as string), 'phone leaked into Kafka');
  });

  it('starts the verification workflow through the outbox; the result shows on /me', async () => {
    const { id, accessToken } = await h.registerAndLogin();
    const changed = await probe.waitFor((m) => m.topic === IdentityTopics.VerificationChanged && m.key === id);
    assert.equal((changed.value as { data: { status: string } }).data.status, 'verified');
    const me = await eventually(async () => {
      const res = await h.request<{ verification: { status: string }; gender: string }>('GET', '/api/v1/identity/me', { token: accessToken });
      return res.body.verification.status === 'verified' ? res : undefined;
    });
    assert.ok(me.body.gender === 'male' || me.body.gender === 'female');
  });

  describe('bad input gets a 4xx with a stable code, the field, both languages, and leaves nothing behind', () => {
    const cases: Array<[string, (b: Record<string, unknown>) => Record<string, unknown>, number, string, string]> = [
      ['a wrong check character', (b) => withId(b, flipCheck(b.idNumber as string)), 400, 'IDENTITY_ID_NUMBER_CHECKSUM', 'idNumber'],
      ['an unknown region', (b) => withId(b, fixCheck(`99${(b.idNumber as string).slice(2, 17)}`)), 400, 'IDENTITY_ID_NUMBER_REGION', 'idNumber'],
      ['an impossible birth date', (b) => withId(b, fixCheck(`31010419900230${(b.idNumber as string).slice(14, 17)}`)), 400, 'IDENTITY_ID_NUMBER_BIRTH_DATE', 'idNumber'],
      ['a birth date in the future', (b) => withId(b, fixCheck(`31010420991231${(b.idNumber as string).slice(14, 17)}`)), 400, 'IDENTITY_ID_NUMBER_BIRTH_DATE_FUTURE', 'idNumber'],
      ['a wrong length', (b) => withId(b, (b.idNumber as string).slice(0, 16)), 400, 'IDENTITY_ID_NUMBER_LENGTH', 'idNumber'],
      ['a mismatching second confirmation', (b) => ({ ...b, confirm: { ...(b.confirm as object), realName: '李四' } }), 400, 'IDENTITY_CONFIRMATION_MISMATCH', 'confirm.realName'],
      ['no education record', (b) => ({ ...b, educations: [] }), 400, 'IDENTITY_EDUCATION_REQUIRED', 'educations'],
      ['an unknown field', (b) => ({ ...b, isAdmin: true }), 400, 'COMMON_UNKNOWN_FIELD', 'isAdmin'],
      ['a missing field', (b) => ({ ...b, email: undefined }), 400, 'COMMON_VALIDATION_FAILED', 'email'],
      ['a weak password', (b) => ({ ...b, password: 'onlyletters' }), 400, 'IDENTITY_PASSWORD_WEAK', 'password'],
      ['a wrong SMS code', (b) => ({ ...b, smsCode: String((Number(b.smsCode) + 1) % 1_000_000).padStart(6, '0') }), 400, 'IDENTITY_SMS_CODE_INVALID', 'smsCode'],
    ];
    for (const [name, mutate, status, code, field] of cases) {
      it(`refuses ${name} (${code})`, async () => {
        const good = await withCode(h.newApplicant());
        const res = await register(mutate(good));
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.equal(res.body.code, code);
        assert.equal(res.body.field, field);
        assert.ok(res.body.message.length > 0 && /[\u4e00-\u9fff]/.test(res.body.messageZh));
        // Nothing behind: the correct data (same phone, same SMS code) registers fine afterwards.
        const retry = await register(good);
        assert.equal(retry.status, 201, `after ${name}: ${JSON.stringify(retry.body)}`);
      });
    }

    it('refuses an expired SMS code', async () => {
      const good = await withCode(h.newApplicant());
      await h.dataSource.query(`UPDATE sms_code SET expires_at = now() - interval '1 second' WHERE phone = $1`, [good.phone]);
      const res = await register(good);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'IDENTITY_SMS_CODE_EXPIRED');
      assert.equal(await countAccounts(good.username as string), 0);
    });

    it('refuses a document number, phone, e-mail or username that is already registered', async () => {
      const first = await withCode(h.newApplicant());
      assert.equal((await register(first)).status, 201);
      const again = h.newApplicant();
      const takenCases: Array<[Record<string, unknown>, string, string]> = [
        [{ idNumber: first.idNumber, confirm: { ...(again.confirm as object), idNumber: first.idNumber } }, 'IDENTITY_DOCUMENT_TAKEN', 'idNumber'],
        [{ username: (first.username as string).toUpperCase() }, 'IDENTITY_USERNAME_TAKEN', 'username'],
        [{ email: first.email }, 'IDENTITY_EMAIL_TAKEN', 'email'],
      ];
      for (const [override, code, field] of takenCases) {
        const body = await withCode(h.newApplicant(override));
        const res = await register(body);
        assert.equal(res.status, 409, JSON.stringify(res.body));
        assert.equal(res.body.code, code);
        assert.equal(res.body.field, field);
      }
      const phoneTaken = await h.request<ErrorBody>('POST', '/api/v1/identity/sms-codes', { body: { phone: first.phone, purpose: 'register' } });
      assert.equal(phoneTaken.status, 409);
      assert.equal(phoneTaken.body.code, 'IDENTITY_PHONE_TAKEN');
    });

    it('lets exactly one of two racing registrations of the same document number win', async () => {
      const a = await withCode(h.newApplicant());
      const b = await withCode(h.newApplicant({ idNumber: a.idNumber, confirm: a.confirm, realName: a.realName }));
      const results = await Promise.all([register(a), register(b)]);
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 409]);
      assert.equal(results.find((r) => r.status === 409)!.body.code, 'IDENTITY_DOCUMENT_TAKEN');
      const rows: unknown[] = await h.dataSource.query('SELECT 1 FROM account WHERE id_number = $1', [a.idNumber]);
      assert.equal(rows.length, 1);
    });

    it('lets exactly one of two racing registrations of the same phone win', async () => {
      const phone = unique.phone();
      const a = h.newApplicant({ phone });
      const b = h.newApplicant({ phone });
      const code = await h.smsCode(phone);
      const results = await Promise.all([register({ ...a, smsCode: code }), register({ ...b, smsCode: code })]);
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses[0], 201);
      assert.ok(statuses[1] === 409 || statuses[1] === 400, `second got ${statuses[1]}`);
      const rows: unknown[] = await h.dataSource.query('SELECT 1 FROM account WHERE phone = $1', [phone]);
      assert.equal(rows.length, 1);
    });
  });

  async function countAccounts(username: string): Promise<number> {
    const rows: unknown[] = await h.dataSource.query('SELECT 1 FROM account WHERE username_key = $1', [username.toLowerCase()]);
    return rows.length;
  }
});

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
function fixCheck(first17: string): string {
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * WEIGHTS[i]!, 0);
  return first17 + CHECK[sum % 11];
}
function flipCheck(n: string): string {
  const right = n[17]!;
  const wrong = CHECK[(CHECK.indexOf(right) + 1) % 11]!;
  return n.slice(0, 17) + wrong;
}
function withId(b: Record<string, unknown>, idNumber: string): Record<string, unknown> {
  return { ...b, idNumber, confirm: { ...(b.confirm as object), idNumber } };
}
