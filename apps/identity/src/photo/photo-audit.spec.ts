import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  auditPhoto,
  classifyBackgroundColour,
  computePortraitCrop,
  DEFAULT_PHOTO_AUDIT_OPTIONS,
  parseQuantisationTables,
  photoJpegOptions,
  searchQuality,
  PHOTO_CHECK_CODES,
  PHOTO_RULES,
  type PhotoAuditResult,
  type PhotoCheck,
  type PhotoRule,
} from './photo-audit';

import { BLUE, makePhoto, RED, type Rgb } from '@certhub/testing';

function failedRules(result: PhotoAuditResult): PhotoRule[] {
  return result.checks.filter((c) => !c.passed).map((c) => c.rule);
}

function checkOf(result: PhotoAuditResult, rule: PhotoRule): PhotoCheck {
  const found = result.checks.find((c) => c.rule === rule);
  assert.ok(found, `no ${rule} check`);
  return found;
}

/** Every rule listed once, in order, each with its stable code and both messages. */
function assertAllRulesListed(result: PhotoAuditResult): void {
  assert.deepEqual(
    result.checks.map((c) => c.rule),
    [...PHOTO_RULES],
  );
  for (const c of result.checks) {
    assert.equal(c.code, PHOTO_CHECK_CODES[c.rule]);
    assert.ok(c.message.length > 10, c.rule);
    assert.ok(/[\u4e00-\u9fff]/.test(c.messageZh), `${c.rule} has a Chinese message`);
  }
}

/** The photo fails exactly this rule, all rules are listed, and nothing is produced. */
function assertFailsOnly(result: PhotoAuditResult, rule: PhotoRule): PhotoCheck {
  assertAllRulesListed(result);
  assert.deepEqual(failedRules(result), [rule]);
  assert.equal(result.accepted, false);
  assert.equal(result.processed, undefined);
  return checkOf(result, rule);
}

// ---------------------------------------------------------------------------

describe('PH-2 auditPhoto: accepted photos and the processed photo', () => {
  it('accepts a plain white-background portrait and produces a 295×413 JPEG of about 10 KB', async () => {
    const input = await makePhoto();
    const result = await auditPhoto(input);
    assertAllRulesListed(result);
    assert.deepEqual(failedRules(result), []);
    assert.equal(result.accepted, true);
    assert.deepEqual(result.source, { width: 600, height: 800, bytes: input.length, format: 'jpeg' });

    const processed = result.processed;
    assert.ok(processed);
    assert.equal(processed.width, 295);
    assert.equal(processed.height, 413);
    assert.equal(processed.bytes, processed.jpeg.length);
    assert.ok(processed.bytes >= 8 * 1024 && processed.bytes <= 12 * 1024, `${processed.bytes} bytes`);
    assert.ok(processed.quality >= 40 && processed.quality <= 90, `quality ${processed.quality}`);

    const meta = await sharp(processed.jpeg).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, 295);
    assert.equal(meta.height, 413);
    assert.deepEqual([...processed.jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  });

  it('accepts plain blue and plain red backgrounds and names the colour', async () => {
    for (const [background, colour] of [
      [BLUE, 'blue'],
      [RED, 'red'],
    ] as const) {
      const result = await auditPhoto(await makePhoto({ background }));
      assert.deepEqual(failedRules(result), [], colour);
      assert.equal(result.accepted, true);
      const bg = checkOf(result, 'BACKGROUND');
      assert.equal(bg.measured?.colour, colour);
      assert.match(bg.message, new RegExp(colour));
      assert.ok(result.processed && result.processed.bytes <= 12 * 1024);
    }
  });

  it('keeps the top of a tall source (the head) and cuts below the shoulders', async () => {
    // 600×1000 with a red band at the very bottom: after the crop (600×840 from the top) it must be gone.
    const base = await sharp(await makePhoto({ width: 600, height: 1000 })).raw().toBuffer();
    for (let y = 960; y < 1000; y += 1) {
      for (let x = 0; x < 600; x += 1) {
        const p = (y * 600 + x) * 3;
        base[p] = 255;
        base[p + 1] = 0;
        base[p + 2] = 0;
      }
    }
    const input = await sharp(base, { raw: { width: 600, height: 1000, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const result = await auditPhoto(input);
    assert.equal(result.accepted, true, JSON.stringify(failedRules(result)));
    const { data } = await sharp(result.processed?.jpeg).raw().toBuffer({ resolveWithObject: true });
    const rowMean = (y: number, channel: number): number => {
      let sum = 0;
      for (let x = 0; x < 295; x += 1) sum += data[(y * 295 + x) * 3 + channel];
      return sum / 295;
    };
    assert.ok(rowMean(0, 0) > 230 && rowMean(0, 2) > 230, 'the top row is the white background');
    assert.ok(rowMean(412, 0) < 200, 'the red band below the crop is not in the output');
  });

  it('applies the EXIF orientation before judging and strips all metadata from the output', async () => {
    const upright = await sharp(await makePhoto()).raw().toBuffer();
    // Stored sideways (800×600) with orientation 6 = "rotate 90° clockwise to display".
    const sideways = await sharp(upright, { raw: { width: 600, height: 800, channels: 3 } })
      .rotate(270)
      .jpeg({ quality: 90 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const stored = await sharp(sideways).metadata();
    assert.equal(stored.width, 800);
    assert.equal(stored.orientation, 6);
    assert.ok(stored.exif, 'the input carries EXIF');

    const result = await auditPhoto(sideways);
    assert.equal(result.accepted, true, JSON.stringify(failedRules(result)));
    assert.equal(result.source.width, 600);
    assert.equal(result.source.height, 800);
    const meta = await sharp(result.processed?.jpeg).metadata();
    assert.equal(meta.exif, undefined);
    assert.equal(meta.icc, undefined);
    assert.equal(meta.orientation, undefined);
  });

  it('hits a configurable size target', async () => {
    const result = await auditPhoto(await makePhoto(), { targetBytes: 6000, maxOutputBytes: 7000 });
    assert.ok(result.processed);
    assert.ok(result.processed.bytes <= 7000, `${result.processed.bytes}`);
    assert.ok(Math.abs(result.processed.bytes - 6000) <= 600, `${result.processed.bytes}`);
  });

  it('goes below minQuality (down to floorQuality) when even minQuality is over the size limit', async () => {
    const busy = await makePhoto({ texture: 120, noise: 10 });
    const result = await auditPhoto(busy, { targetBytes: 4000, maxOutputBytes: 4500 });
    assert.ok(result.processed);
    assert.ok(result.processed.bytes <= 4500, `${result.processed.bytes}`);
    assert.ok(result.processed.quality < DEFAULT_PHOTO_AUDIT_OPTIONS.minQuality, `quality ${result.processed.quality}`);
    assert.ok(result.processed.quality >= DEFAULT_PHOTO_AUDIT_OPTIONS.floorQuality);
  });
});

describe('PH-1 FORMAT: JPEG by content', () => {
  it('refuses a PNG named .jpg, and evaluates every other rule anyway', async () => {
    const png = await makePhoto({ format: 'png' });
    const result = await auditPhoto(png);
    const format = assertFailsOnly(result, 'FORMAT');
    assert.equal(result.source.format, 'png');
    assert.equal(format.measured?.format, 'png');
    assert.match(format.message, /JPG\/JPEG/);
    assert.match(format.message, /PNG/);
    assert.match(format.messageZh, /JPG\/JPEG/);
    assert.match(format.messageZh, /PNG/);
  });

  it('reports the JPEG signature of a real JPEG', async () => {
    const format = checkOf(await auditPhoto(await makePhoto()), 'FORMAT');
    assert.equal(format.passed, true);
    assert.equal(format.measured?.magic, 'ffd8ff');
    assert.equal(format.measured?.format, 'jpeg');
  });

  it('answers a single failed FORMAT check when the bytes are not an image', async () => {
    for (const input of [Buffer.from('GIF89a… not really'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), Buffer.alloc(0)]) {
      const result = await auditPhoto(input);
      assert.equal(result.accepted, false);
      assert.equal(result.checks.length, 1);
      assert.equal(result.checks[0].rule, 'FORMAT');
      assert.equal(result.checks[0].passed, false);
      assert.equal(result.checks[0].code, 'PHOTO_FORMAT');
      assert.equal(result.source.format, 'unknown');
      assert.equal(result.source.bytes, input.length);
    }
  });

  it('treats a truncated JPEG as unreadable', async () => {
    const good = await makePhoto();
    const result = await auditPhoto(good.subarray(0, Math.floor(good.length / 2)));
    assert.equal(result.checks.length, 1);
    assert.equal(result.checks[0].rule, 'FORMAT');
    assert.equal(result.accepted, false);
  });

  it('does not decode images with more pixels than maxPixels', async () => {
    const result = await auditPhoto(await makePhoto(), { maxPixels: 400_000 });
    assert.equal(result.checks.length, 1);
    assert.equal(result.checks[0].rule, 'FORMAT');
    assert.match(result.checks[0].message, /too many pixels/);
    assert.equal(result.checks[0].measured?.width, 600);
  });
});

describe('PH-1 FILE_SIZE: larger than 30 KB', () => {
  it('refuses a photo of 30 KB or less, naming the limit and the size', async () => {
    const small = await makePhoto({ width: 320, height: 440, quality: 70, noise: 6 });
    assert.ok(small.length <= 30 * 1024, `${small.length}`);
    const size = assertFailsOnly(await auditPhoto(small), 'FILE_SIZE');
    assert.match(size.message, /larger than 30(\.0)? KB/);
    assert.match(size.messageZh, /大于 30(\.0)? KB/);
    assert.equal(size.measured?.bytes, small.length);
  });

  it('is strictly "larger than" and configurable', async () => {
    const small = await makePhoto({ width: 320, height: 440, quality: 70, noise: 6 });
    assert.equal(checkOf(await auditPhoto(small, { minBytes: small.length }), 'FILE_SIZE').passed, false);
    const relaxed = await auditPhoto(small, { minBytes: small.length - 1 });
    assert.equal(checkOf(relaxed, 'FILE_SIZE').passed, true);
    assert.equal(relaxed.accepted, true, JSON.stringify(failedRules(relaxed)));
  });
});

describe('PH-1 DIMENSIONS (at least 300×215, either orientation) and PORTRAIT', () => {
  it('refuses a photo smaller than 300×215', async () => {
    const tiny = await makePhoto({ width: 200, height: 280, quality: 97, noise: 16 });
    assert.ok(tiny.length > 30 * 1024, `${tiny.length}`);
    const dims = assertFailsOnly(await auditPhoto(tiny), 'DIMENSIONS');
    assert.match(dims.message, /300×215/);
    assert.match(dims.message, /200×280/);
    assert.match(dims.messageZh, /不得小于 300×215/);
  });

  it('measures the longer side against 300 and the shorter against 215', async () => {
    const relaxed = { minBytes: 0 };
    const cases: Array<[number, number, boolean]> = [
      [215, 300, true],
      [214, 300, false],
      [215, 299, false],
      [300, 215, true], // big enough, but landscape (PORTRAIT fails)
    ];
    for (const [width, height, ok] of cases) {
      const result = await auditPhoto(await makePhoto({ width, height }), relaxed);
      assert.equal(checkOf(result, 'DIMENSIONS').passed, ok, `${width}×${height}`);
    }
  });

  it('refuses a landscape photo with its own PORTRAIT message', async () => {
    const landscape = await makePhoto({ width: 800, height: 600 });
    const result = await auditPhoto(landscape);
    const portrait = assertFailsOnly(result, 'PORTRAIT');
    assert.equal(checkOf(result, 'DIMENSIONS').passed, true);
    assert.match(portrait.message, /portrait/);
    assert.match(portrait.message, /800×600/);
    assert.match(portrait.messageZh, /竖版/);
  });

  it('refuses a square photo as not portrait', async () => {
    const result = await auditPhoto(await makePhoto({ width: 700, height: 700 }));
    assert.deepEqual(failedRules(result), ['PORTRAIT']);
  });
});

describe('PH-1 BACKGROUND: plain red, white or blue', () => {
  it('refuses a grey background', async () => {
    const bg = assertFailsOnly(await auditPhoto(await makePhoto({ background: [128, 128, 128] })), 'BACKGROUND');
    assert.equal(bg.measured?.colour, 'grey');
    assert.equal(bg.measured?.problem, 'colour');
    assert.match(bg.message, /red, white or blue/);
    assert.match(bg.messageZh, /灰色/);
  });

  it('refuses a green background', async () => {
    const bg = assertFailsOnly(await auditPhoto(await makePhoto({ background: [40, 160, 60] })), 'BACKGROUND');
    assert.equal(bg.measured?.colour, 'other');
    assert.match(bg.messageZh, /纯红色、白色或蓝色/);
  });

  it('refuses an uneven background (two colours) and reports the variation', async () => {
    const bg = assertFailsOnly(await auditPhoto(await makePhoto({ rightHalf: BLUE })), 'BACKGROUND');
    assert.match(String(bg.measured?.problem), /uneven/);
    assert.ok(Number(bg.measured?.stdDev) > DEFAULT_PHOTO_AUDIT_OPTIONS.maxBackgroundStdDev);
    assert.match(bg.message, /not a single even colour/);
    assert.match(bg.messageZh, /不均匀/);
  });

  it('has a configurable uniformity limit', async () => {
    const photo = await makePhoto({ background: BLUE, noise: 8 });
    assert.equal(checkOf(await auditPhoto(photo), 'BACKGROUND').passed, true);
    assert.equal(checkOf(await auditPhoto(photo, { maxBackgroundStdDev: 1 }), 'BACKGROUND').passed, false);
  });
});

describe('PH-2 BRIGHTNESS of the subject', () => {
  it('refuses a too dark photo', async () => {
    const dark = await makePhoto({ skin: [40, 30, 26], hair: [20, 15, 12], shirt: [20, 20, 25] });
    const brightness = assertFailsOnly(await auditPhoto(dark), 'BRIGHTNESS');
    assert.equal(brightness.measured?.problem, 'too_dark');
    assert.ok(Number(brightness.measured?.subjectMeanLuma) < DEFAULT_PHOTO_AUDIT_OPTIONS.minLuma);
    assert.match(brightness.message, /too dark/);
    assert.match(brightness.messageZh, /过暗/);
  });

  it('refuses a washed-out, too bright photo', async () => {
    const bright = await makePhoto({ background: BLUE, skin: [250, 245, 240], hair: [235, 235, 230], shirt: [252, 252, 252] });
    const brightness = assertFailsOnly(await auditPhoto(bright), 'BRIGHTNESS');
    assert.equal(brightness.measured?.problem, 'too_bright');
    assert.match(brightness.message, /too bright/);
    assert.match(brightness.messageZh, /过亮/);
  });

  it('judges the person, not the white background around them', async () => {
    const result = await auditPhoto(await makePhoto());
    const brightness = checkOf(result, 'BRIGHTNESS');
    assert.ok(Number(brightness.measured?.subjectMeanLuma) < Number(brightness.measured?.overallMeanLuma));
  });
});

describe('PH-2 UPSCALED: enlarged from a smaller image', () => {
  it('refuses a 150×200 image enlarged to 600×800', async () => {
    const upscaled = await makePhoto({ upscaleFrom: [150, 200], quality: 95 });
    assert.ok(upscaled.length > 30 * 1024);
    const check = assertFailsOnly(await auditPhoto(upscaled), 'UPSCALED');
    assert.ok(Number(check.measured?.detailRatio) < DEFAULT_PHOTO_AUDIT_OPTIONS.minDetailRatio);
    assert.match(check.message, /enlarged/);
    assert.match(check.messageZh, /放大/);
  });

  it('refuses a ×2 enlargement too, and accepts it when the threshold is lowered', async () => {
    const upscaled = await makePhoto({ upscaleFrom: [300, 400], quality: 95 });
    assert.deepEqual(failedRules(await auditPhoto(upscaled)), ['UPSCALED']);
    const lenient = await auditPhoto(upscaled, { minDetailRatio: 0.05 });
    assert.equal(lenient.accepted, true);
  });

  it('measures a natural amount of detail in the original photo', async () => {
    const check = checkOf(await auditPhoto(await makePhoto()), 'UPSCALED');
    assert.equal(check.passed, true);
    assert.ok(Number(check.measured?.detailRatio) > 0.5);
  });
});

describe('PH-2 every failing rule gives its own message', () => {
  it('lists all failures of a small, landscape, grey, upscaled PNG', async () => {
    const bad = await makePhoto({ width: 280, height: 200, background: [128, 128, 128], format: 'png', upscaleFrom: [70, 50] });
    const result = await auditPhoto(bad);
    assertAllRulesListed(result);
    const failed = failedRules(result);
    for (const rule of ['FORMAT', 'DIMENSIONS', 'PORTRAIT', 'BACKGROUND', 'UPSCALED'] as const) {
      assert.ok(failed.includes(rule), `${rule} in ${failed.join(',')}`);
    }
    const messages = result.checks.filter((c) => !c.passed).map((c) => c.message);
    assert.equal(new Set(messages).size, messages.length);
  });
});

describe('classifyBackgroundColour', () => {
  const cases: Array<[Rgb, string]> = [
    [[255, 255, 255], 'white'],
    [[240, 238, 230], 'white'],
    [[210, 212, 215], 'white'],
    [[180, 180, 180], 'grey'],
    [[128, 128, 128], 'grey'],
    [[10, 10, 10], 'grey'],
    [[255, 0, 0], 'red'],
    [[200, 20, 30], 'red'],
    [[190, 30, 60], 'red'],
    [[67, 142, 219], 'blue'],
    [[0, 191, 243], 'blue'],
    [[0, 60, 170], 'blue'],
    [[40, 160, 60], 'other'],
    [[240, 200, 40], 'other'],
    [[240, 150, 170], 'other'],
    [[255, 140, 0], 'other'],
    [[120, 60, 160], 'other'],
    [[100, 70, 40], 'other'],
  ];
  for (const [colour, expected] of cases) {
    it(`classifies rgb(${colour.join(',')}) as ${expected}`, () => {
      assert.equal(classifyBackgroundColour(...colour).colour, expected);
    });
  }

  it('reports hue, saturation and value', () => {
    const c = classifyBackgroundColour(0, 0, 255);
    assert.equal(c.hue, 240);
    assert.equal(c.saturation, 1);
    assert.equal(c.value, 1);
  });
});

describe('computePortraitCrop (295:413)', () => {
  it('centres the crop of a wide source horizontally', () => {
    assert.deepEqual(computePortraitCrop(600, 800), { left: 14, top: 0, width: 571, height: 800 });
    assert.deepEqual(computePortraitCrop(800, 600), { left: 185, top: 0, width: 429, height: 600 });
  });

  it('keeps the top rows of a tall source', () => {
    assert.deepEqual(computePortraitCrop(600, 1000), { left: 0, top: 0, width: 600, height: 840 });
  });

  it('keeps an exact 295:413 source whole', () => {
    assert.deepEqual(computePortraitCrop(295, 413), { left: 0, top: 0, width: 295, height: 413 });
    assert.deepEqual(computePortraitCrop(590, 826), { left: 0, top: 0, width: 590, height: 826 });
  });
});

describe('parseQuantisationTables (DQT reader used by the size estimate)', () => {
  const grey = (): sharp.Sharp => sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } });

  it('reads the base tables at quality 50 and all-ones at quality 100', async () => {
    const base = parseQuantisationTables(await grey().jpeg(photoJpegOptions(50)).toBuffer());
    assert.equal(base.luma.length, 64);
    assert.equal(base.chroma.length, 64);
    assert.ok(base.luma[0] >= 8 && base.luma[0] <= 32, `DC quantiser ${base.luma[0]}`);
    assert.ok(base.luma[63] > base.luma[0], 'high frequencies are quantised harder');
    const finest = parseQuantisationTables(await grey().jpeg(photoJpegOptions(100)).toBuffer());
    assert.deepEqual([...finest.luma], new Array(64).fill(1));
  });

  it('reads the Annex K example table of a plain libjpeg encode in natural order', async () => {
    const annexK = parseQuantisationTables(await grey().jpeg({ quality: 50, mozjpeg: false }).toBuffer());
    // ITU-T T.81 table K.1, first row and first column.
    assert.deepEqual([...annexK.luma.subarray(0, 8)], [16, 11, 10, 16, 24, 40, 51, 61]);
    assert.deepEqual([0, 8, 16, 24, 32, 40, 48, 56].map((i) => annexK.luma[i]), [16, 12, 14, 14, 18, 24, 49, 72]);
  });

  it('refuses data that is not a JPEG', () => {
    assert.throws(() => parseQuantisationTables(Buffer.from('not a jpeg at all')));
  });
});

describe('searchQuality (size-targeted quality search)', () => {
  /** A fake encoder whose output size grows with the quality; counts its calls. */
  function fakeEncoder(sizeAt: (q: number) => number): { encode: (q: number) => Promise<Buffer>; calls: number[] } {
    const calls: number[] = [];
    return {
      calls,
      encode: async (q: number) => {
        calls.push(q);
        return Buffer.alloc(Math.round(sizeAt(q)));
      },
    };
  }
  const opts = { ...DEFAULT_PHOTO_AUDIT_OPTIONS };
  const size = (q: number): number => 3000 * Math.exp(0.03 * (q - 40)); // 10 KB near q = 80

  it('takes the estimate when it is right: one encode', async () => {
    const fake = fakeEncoder(size);
    const result = await searchQuality(fake.encode, size, opts);
    assert.equal(fake.calls.length, 1);
    assert.ok(Math.abs(result.jpeg.length - 10240) <= 1024);
  });

  it('corrects an estimate that is 40 % off within a few encodes', async () => {
    for (const factor of [0.6, 1.4]) {
      const fake = fakeEncoder(size);
      const result = await searchQuality(fake.encode, (q) => size(q) * factor, opts);
      assert.ok(fake.calls.length <= 3, `${factor}: ${fake.calls.join(',')}`);
      assert.ok(Math.abs(result.jpeg.length - 10240) <= 1024, `${factor}: ${result.jpeg.length}`);
      assert.equal(Math.round(size(result.quality)), result.jpeg.length);
    }
  });

  it('never returns more than maxOutputBytes when some quality fits', async () => {
    // Steep curve: one quality step jumps from under 8 KB to over 12 KB.
    const steep = (q: number): number => (q <= 70 ? 7000 : 13000);
    const fake = fakeEncoder(steep);
    const result = await searchQuality(fake.encode, steep, opts);
    assert.equal(result.jpeg.length, 7000);
    assert.equal(result.quality, 70);
  });

  it('returns the smallest output when nothing fits, within maxEncodes', async () => {
    const huge = (q: number): number => 50_000 + q;
    const fake = fakeEncoder(huge);
    const result = await searchQuality(fake.encode, huge, { ...opts, maxEncodes: 6 });
    assert.ok(fake.calls.length <= 6);
    assert.equal(result.quality, Math.min(...fake.calls));
  });

  it('stays at maxQuality for a picture that is small even there', async () => {
    const tiny = (q: number): number => 2000 + q;
    const fake = fakeEncoder(tiny);
    const result = await searchQuality(fake.encode, tiny, opts);
    assert.equal(result.quality, opts.maxQuality);
    assert.equal(fake.calls.length, 1);
  });
});

describe('auditPhoto options', () => {
  it('refuses inconsistent options', async () => {
    const photo = await makePhoto();
    for (const bad of [
      { minQuality: 95, maxQuality: 90 },
      { maxQuality: 101 },
      { minQuality: 40.5 },
      { floorQuality: 0 },
      { minLuma: 200, maxLuma: 100 },
      { targetBytes: 20_000, maxOutputBytes: 10_000 },
      { maxEncodes: 0 },
      { minBytes: -1 },
      { maxBackgroundStdDev: Number.NaN },
    ]) {
      await assert.rejects(auditPhoto(photo, bad), RangeError, JSON.stringify(bad));
    }
  });
});
