import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkUpload, mediaTypeOf, uploadExtension } from './upload-type';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 3), Buffer.from([0xff, 0xd9])]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100, 0x20), Buffer.from('\n%%EOF\n')]);

describe('checkUpload: JPEG, PNG and PDF recognised by their first bytes', () => {
  it('accepts each type when the bytes are what the Content-Type says, with its extension and size', () => {
    assert.deepEqual(checkUpload('image/jpeg', JPEG), { ok: true, contentType: 'image/jpeg', ext: 'jpg', bytes: JPEG.length, content: JPEG });
    assert.deepEqual(checkUpload('image/png', PNG), { ok: true, contentType: 'image/png', ext: 'png', bytes: PNG.length, content: PNG });
    assert.deepEqual(checkUpload('application/pdf', PDF), { ok: true, contentType: 'application/pdf', ext: 'pdf', bytes: PDF.length, content: PDF });
  });

  it('reads the media type without parameters and case-insensitively', () => {
    assert.equal(checkUpload('Application/PDF; charset=binary', PDF).ok, true);
    assert.equal(mediaTypeOf(' image/PNG ;x=1'), 'image/png');
    assert.equal(mediaTypeOf(undefined), '');
  });

  it('refuses bytes of another type than the declared one (the declared type proves nothing)', () => {
    assert.deepEqual(checkUpload('image/jpeg', PNG), { ok: false, refusal: 'type' });
    assert.deepEqual(checkUpload('application/pdf', JPEG), { ok: false, refusal: 'type' });
    assert.deepEqual(checkUpload('image/png', Buffer.from('hello, this is plain text and not a picture')), { ok: false, refusal: 'type' });
  });

  it('refuses an incomplete signature: a PNG needs all eight bytes, a PDF needs "%PDF-"', () => {
    const halfPng = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x00, 0x00]), Buffer.alloc(100)]);
    assert.deepEqual(checkUpload('image/png', halfPng), { ok: false, refusal: 'type' });
    assert.deepEqual(checkUpload('application/pdf', Buffer.concat([Buffer.from('%PDF 1.7'), Buffer.alloc(100)])), { ok: false, refusal: 'type' });
  });

  it('refuses a declared type that is not accepted, or not accepted by this rule', () => {
    assert.deepEqual(checkUpload('image/gif', Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(100)])), { ok: false, refusal: 'type' });
    assert.deepEqual(checkUpload('application/octet-stream', PDF), { ok: false, refusal: 'type' });
    assert.deepEqual(checkUpload(undefined, PDF), { ok: false, refusal: 'type' });
    assert.deepEqual(checkUpload('application/pdf', PDF, { types: ['image/jpeg', 'image/png'] }), { ok: false, refusal: 'type' });
  });

  it('refuses a body that is not bytes (a parsed JSON body) as the wrong type', () => {
    assert.deepEqual(checkUpload('image/jpeg', { file: 'x' }), { ok: false, refusal: 'type' });
    assert.deepEqual(checkUpload('image/jpeg', undefined), { ok: false, refusal: 'type' });
  });

  it('refuses an empty body as empty', () => {
    assert.deepEqual(checkUpload('image/jpeg', Buffer.alloc(0)), { ok: false, refusal: 'empty' });
  });

  it('refuses a body shorter than the rule\'s minimum (16 bytes unless told) as the wrong type', () => {
    const tiny = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(checkUpload('image/jpeg', tiny), { ok: false, refusal: 'type' });
    assert.equal(checkUpload('image/jpeg', tiny, { minBytes: 8 }).ok, true);
  });

  it('refuses more than maxBytes as too large (and says the limit); exactly maxBytes passes', () => {
    assert.deepEqual(checkUpload('application/pdf', PDF, { maxBytes: PDF.length - 1 }), { ok: false, refusal: 'too-large', maxBytes: PDF.length - 1 });
    assert.equal(checkUpload('application/pdf', PDF, { maxBytes: PDF.length }).ok, true);
  });

  it('checks the type before the size: a large file of the wrong type is the wrong type', () => {
    assert.deepEqual(checkUpload('image/png', Buffer.alloc(5000, 1), { maxBytes: 100 }), { ok: false, refusal: 'type' });
  });

  it('names the extension of an accepted type, bin otherwise', () => {
    assert.equal(uploadExtension('image/jpeg'), 'jpg');
    assert.equal(uploadExtension('application/pdf'), 'pdf');
    assert.equal(uploadExtension('text/plain'), 'bin');
    assert.equal(uploadExtension('constructor'), 'bin');
  });
});
