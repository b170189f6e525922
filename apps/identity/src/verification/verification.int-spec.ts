import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { IdentityTopics } from '@certhub/contracts';
import { eventually, KafkaProbe, testEnvironment, unique } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';

type Body = Record<string, unknown> & { code?: string; status?: string; round?: number };

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 0x20), Buffer.from('\n%%EOF\n')]);

describe('identity verification through the API, the dev server and Kafka (ID-12)', () => {
  let h: IdentityHarness;
  let staff: { id: string; accessToken: string };
  let probe: KafkaProbe;

  before(async () => {
    h = await IdentityHarness.start();
    staff = await h.staffToken(['staff']);
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([IdentityTopics.VerificationChanged]);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  async function applicantWithOutcome(outcome: string, unavailableTimes = 0) {
    const username = unique.username('v');
    const set = await h.request('PUT', '/api/v1/sandbox/verification-outcomes', { body: { username, outcome, unavailableTimes } });
    assert.equal(set.status, 200);
    return h.registerAndLogin({ username });
  }

  async function statusOf(token: string, wanted: string) {
    return eventually(
      async () => {
        const res = await h.request<Body>('GET', '/api/v1/identity/me/verification', { token });
        return res.body.status === wanted ? res.body : undefined;
      },
      { what: `verification status ${wanted}`, timeoutMs: 30_000 },
    );
  }

  it('not verifiable → proof upload → staff approval → verified, each change an event; the workflow is in Temporal', async () => {
    const applicant = await applicantWithOutcome('not-verifiable');
    await statusOf(applicant.accessToken, 'awaiting-proof');

    const wrongType = await h.request<Body>('POST', '/api/v1/identity/me/verification/proof', { token: applicant.accessToken, raw: Buffer.from('hello world, not a pdf'), contentType: 'application/pdf' });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.body.code, 'IDENTITY_PROOF_TYPE');

    const uploaded = await h.request<Body>('POST', '/api/v1/identity/me/verification/proof', { token: applicant.accessToken, raw: PDF, contentType: 'application/pdf' });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    assert.equal(uploaded.body.status, 'awaiting-staff');

    const listed = await h.request<{ items: Array<{ accountId: string }> }>('GET', '/api/v1/identity/staff/verifications?status=awaiting-staff&limit=100', { token: staff.accessToken });
    assert.ok(listed.body.items.some((i) => i.accountId === applicant.id));
    const detail = await h.request<{ proofs: Array<{ id: string }>; round: number }>('GET', `/api/v1/identity/staff/verifications/${applicant.id}`, { token: staff.accessToken });
    assert.equal(detail.body.proofs.length, 1);
    const proof = await h.request('GET', `/api/v1/identity/staff/verifications/${applicant.id}/proofs/${detail.body.proofs[0]!.id}`, { token: staff.accessToken });
    assert.equal(proof.status, 200);

    const requestId = unique.id();
    const decide = () =>
      h.request<Body>('POST', `/api/v1/identity/staff/verifications/${applicant.id}/decision`, {
        token: staff.accessToken,
        headers: { 'x-request-id': requestId },
        body: { outcome: 'approve', opinion: '学历证书核验一致', round: 1 },
      });
    const first = await decide();
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.status, 'verified');
    // A retried request (same request id) is the same Update: it succeeds and decides nothing new.
    const retried = await decide();
    assert.equal(retried.status, 201);
    assert.equal(retried.body.status, 'verified');
    // A new decision on a finished case is refused with a code.
    const another = await h.request<Body>('POST', `/api/v1/identity/staff/verifications/${applicant.id}/decision`, {
      token: staff.accessToken,
      body: { outcome: 'reject', opinion: '再次决定', round: 1 },
    });
    assert.equal(another.status, 409);
    assert.equal(another.body.code, 'IDENTITY_VERIFICATION_STATE');

    const progress = await statusOf(applicant.accessToken, 'verified');
    assert.deepEqual(
      (progress.history as Array<{ status: string }>).map((s) => s.status),
      ['awaiting-proof', 'awaiting-staff', 'verified'],
    );
    const events = await eventually(async () => {
      const found = probe.matching((m) => m.key === applicant.id).map((m) => (m.value as { data: { status: string } }).data.status);
      return found.length >= 3 ? found : undefined;
    });
    assert.deepEqual(events, ['awaiting-proof', 'awaiting-staff', 'verified']);

    const description = await h.app.get(Client).workflow.getHandle(`identity-verification:${applicant.id}`).describe();
    assert.equal(description.status.name, 'COMPLETED');
  });

  it('a decision needs an opinion unless approving, and only staff may decide', async () => {
    const applicant = await applicantWithOutcome('onsite-required');
    await statusOf(applicant.accessToken, 'onsite-required');
    const noOpinion = await h.request<Body>('POST', `/api/v1/identity/staff/verifications/${applicant.id}/decision`, {
      token: staff.accessToken,
      body: { outcome: 'reject', opinion: ' ', round: 1 },
    });
    assert.equal(noOpinion.status, 400);
    assert.equal(noOpinion.body.code, 'IDENTITY_OPINION_REQUIRED');
    assert.equal(noOpinion.body.field, 'opinion');
    const self = await h.request<Body>('POST', `/api/v1/identity/staff/verifications/${applicant.id}/decision`, {
      token: applicant.accessToken,
      body: { outcome: 'approve', opinion: '', round: 1 },
    });
    assert.equal(self.status, 403);
    const ok = await h.request<Body>('POST', `/api/v1/identity/staff/verifications/${applicant.id}/decision`, {
      token: staff.accessToken,
      body: { outcome: 'approve', opinion: '现场核验通过', round: 1 },
    });
    assert.equal(ok.body.status, 'verified');
  });

  it('retries an unavailable provider and then verifies', async () => {
    const applicant = await applicantWithOutcome('verified', 1);
    const progress = await statusOf(applicant.accessToken, 'verified');
    assert.equal((progress.history as unknown[]).length, 1);
    const left: Array<{ unavailable_times: number }> = await h.dataSource.query(
      'SELECT unavailable_times FROM sandbox_verification_outcome WHERE username_key = $1',
      [(applicant.body.username as string).toLowerCase()],
    );
    assert.equal(left[0]!.unavailable_times, 0);
  });

  it('refuses a proof when none is awaited', async () => {
    const applicant = await applicantWithOutcome('verified');
    await statusOf(applicant.accessToken, 'verified');
    const res = await h.request<Body>('POST', '/api/v1/identity/me/verification/proof', { token: applicant.accessToken, raw: PDF, contentType: 'application/pdf' });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'IDENTITY_VERIFICATION_STATE');
    const rows: unknown[] = await h.dataSource.query('SELECT 1 FROM verification_proof WHERE account_id = $1', [applicant.id]);
    assert.equal(rows.length, 0);
  });
});
