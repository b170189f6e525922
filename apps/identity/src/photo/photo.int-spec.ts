import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { IdentityTopics } from '@certhub/contracts';
import { KafkaProbe, testEnvironment } from '@certhub/testing';
import { IdentityHarness } from '../testing/identity-harness';
import { makePhoto } from '@certhub/testing';

type Body = Record<string, unknown> & { code?: string; checks?: Array<{ rule: string; passed: boolean; code: string; messageZh: string }> };

describe('ID photo upload and audit through the API (PH-1 … PH-4)', () => {
  let h: IdentityHarness;
  let probe: KafkaProbe;
  before(async () => {
    h = await IdentityHarness.start();
    probe = await new KafkaProbe(testEnvironment().kafkaBrokers).start([IdentityTopics.PhotoAccepted]);
  });
  after(async () => {
    await probe?.stop();
    await h?.stop();
  });

  async function upload(token: string, jpeg: Buffer, captcha?: { captchaId: string; captchaText: string }) {
    const c = captcha ?? (await h.captcha());
    return h.request<Body>('PUT', '/api/v1/identity/me/photo', {
      token,
      raw: jpeg,
      contentType: 'image/jpeg',
      headers: { 'x-captcha-id': c.captchaId, 'x-captcha-text': c.captchaText },
    });
  }

  it('accepts a good photo, keeps only the 295×413 processed photo and serves it to its owner and staff', async () => {
    const { id, accessToken } = await h.registerAndLogin();
    const res = await upload(accessToken, await makePhoto());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.accepted, true);
    assert.ok(res.body.checks!.every((c) => c.passed));
    const photo = await h.request<Buffer>('GET', '/api/v1/identity/me/photo', { token: accessToken });
    assert.equal(photo.status, 200);
    const meta = await sharp(photo.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 295, 413]);
    assert.ok(photo.body.length > 6 * 1024 && photo.body.length < 13 * 1024, `${photo.body.length} bytes`);
    const stored: Array<{ original: Buffer | null }> = await h.dataSource.query('SELECT original FROM photo WHERE account_id = $1', [id]);
    assert.equal(stored[0]!.original, null, 'the original is not kept once the processed photo is accepted');
    const staff = await h.staffToken(['staff']);
    assert.equal((await h.request('GET', `/api/v1/identity/staff/accounts/${id}/photo`, { token: staff.accessToken })).status, 200);
    const other = await h.registerAndLogin();
    assert.equal((await h.request('GET', `/api/v1/identity/staff/accounts/${id}/photo`, { token: other.accessToken })).status, 403);
    await probe.waitFor((m) => m.key === id);
    const me = await h.request<{ photo: { accepted: boolean } }>('GET', '/api/v1/identity/me', { token: accessToken });
    assert.equal(me.body.photo.accepted, true);
  });

  it('refuses a PNG named .jpg, a small file and a small or landscape image, naming every failed rule', async () => {
    const { accessToken } = await h.registerAndLogin();
    const png = await upload(accessToken, await makePhoto({ format: 'png' }));
    assert.equal(png.status, 422);
    assert.equal(png.body.code, 'IDENTITY_PHOTO_REJECTED');
    assert.deepEqual(png.body.checks!.filter((c) => !c.passed).map((c) => c.code), ['PHOTO_FORMAT']);

    const tiny = await upload(accessToken, await makePhoto({ width: 200, height: 280, noise: 2, texture: 4, quality: 60 }));
    assert.equal(tiny.status, 422);
    const failed = tiny.body.checks!.filter((c) => !c.passed).map((c) => c.code);
    assert.ok(failed.includes('PHOTO_FILE_SIZE') && failed.includes('PHOTO_DIMENSIONS'), failed.join(','));
    for (const check of tiny.body.checks!) assert.match(check.messageZh, /[\u4e00-\u9fff]/);

    const landscape = await upload(accessToken, await makePhoto({ width: 800, height: 600 }));
    assert.equal(landscape.status, 422);
    assert.ok(landscape.body.checks!.some((c) => c.code === 'PHOTO_PORTRAIT' && !c.passed));

    const none: unknown[] = await h.dataSource.query('SELECT 1 FROM photo p JOIN account a ON a.id = p.account_id WHERE a.id = (SELECT id FROM account ORDER BY created_at DESC LIMIT 1)');
    assert.equal(none.length, 0, 'a rejected upload stores nothing');
  });

  it('a rejected upload leaves the accepted photo in place', async () => {
    const { accessToken } = await h.registerAndLogin();
    assert.equal((await upload(accessToken, await makePhoto())).status, 200);
    const before = await h.request<Buffer>('GET', '/api/v1/identity/me/photo', { token: accessToken });
    assert.equal((await upload(accessToken, await makePhoto({ background: [90, 200, 90] }))).status, 422);
    const after = await h.request<Buffer>('GET', '/api/v1/identity/me/photo', { token: accessToken });
    assert.ok(before.body.equals(after.body));
  });

  it('requires a captcha, and a photo of someone else cannot be read', async () => {
    const { accessToken } = await h.registerAndLogin();
    const wrong = await upload(accessToken, await makePhoto(), { captchaId: (await h.captcha()).captchaId, captchaText: 'XXXX' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.code, 'IDENTITY_CAPTCHA_INVALID');
    const missing = await h.request<Body>('GET', '/api/v1/identity/me/photo', { token: accessToken });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'IDENTITY_PHOTO_MISSING');
  });
});
