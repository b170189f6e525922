import sharp from 'sharp';

/**
 * ID photo audit (SPEC PH-1, PH-2): checks an uploaded source photo against the
 * registration rules and, when every rule passes, produces the standard
 * registration photo (1-inch ratio, 295×413 px, JPEG of about 10 KB).
 *
 * Design:
 * - The source is decoded ONCE into an 8-bit sRGB raw buffer (EXIF orientation
 *   applied; the header is read alongside for the format). Every pixel
 *   measurement is computed in JavaScript from sampled pixels of that buffer,
 *   and the processed photo is cut, resized and encoded from the same buffer.
 * - Every rule is evaluated and reported, passed or not, so the user sees all
 *   problems at once. Only an input that cannot be decoded at all yields a
 *   single failed FORMAT check.
 * - The JPEG quality for "about 10 KB" is searched with real encodes, seeded by
 *   a size estimate computed from the DCT of sampled output blocks, so usually
 *   one encode suffices (see searchQuality and JpegSizeEstimator).
 * - No I/O and no per-call state: the result depends only on the input bytes
 *   and options (the encoder's quantisation tables are read once and cached).
 */

export type PhotoRule =
  | 'FORMAT'
  | 'FILE_SIZE'
  | 'DIMENSIONS'
  | 'PORTRAIT'
  | 'BACKGROUND'
  | 'BRIGHTNESS'
  | 'UPSCALED';

/** The rules in the order they are reported. */
export const PHOTO_RULES: readonly PhotoRule[] = Object.freeze([
  'FORMAT',
  'FILE_SIZE',
  'DIMENSIONS',
  'PORTRAIT',
  'BACKGROUND',
  'BRIGHTNESS',
  'UPSCALED',
]);

/** Stable machine-readable code of each rule (the same whether it passed or failed). */
export const PHOTO_CHECK_CODES: Readonly<Record<PhotoRule, string>> = Object.freeze({
  FORMAT: 'PHOTO_FORMAT',
  FILE_SIZE: 'PHOTO_FILE_SIZE',
  DIMENSIONS: 'PHOTO_DIMENSIONS',
  PORTRAIT: 'PHOTO_PORTRAIT',
  BACKGROUND: 'PHOTO_BACKGROUND',
  BRIGHTNESS: 'PHOTO_BRIGHTNESS',
  UPSCALED: 'PHOTO_UPSCALED',
});

export interface PhotoCheck {
  rule: PhotoRule;
  passed: boolean;
  code: string;
  message: string;
  messageZh: string;
  measured?: Record<string, number | string>;
}

export const PHOTO_OUTPUT_WIDTH = 295;
export const PHOTO_OUTPUT_HEIGHT = 413;

export interface ProcessedPhoto {
  jpeg: Buffer;
  width: typeof PHOTO_OUTPUT_WIDTH;
  height: typeof PHOTO_OUTPUT_HEIGHT;
  bytes: number;
  /** The JPEG quality the size search settled on. */
  quality: number;
}

export interface PhotoAuditResult {
  accepted: boolean;
  checks: PhotoCheck[];
  /** Present only when accepted. */
  processed?: ProcessedPhoto;
  /** Dimensions after EXIF orientation; `format` as detected from the content. */
  source: { width: number; height: number; bytes: number; format: string };
}

export interface PhotoAuditOptions {
  /** FILE_SIZE passes when the upload is strictly larger than this (PH-1: "大于 30KB"). */
  minBytes: number;
  /** DIMENSIONS: the longer side must be at least this many pixels. */
  minLongSide: number;
  /** DIMENSIONS: the shorter side must be at least this many pixels. */
  minShortSide: number;
  /** Larger images are not decoded at all (decompression-bomb guard). */
  maxPixels: number;
  /** BACKGROUND: maximum standard deviation (0–255) of any RGB channel over the sampled border. */
  maxBackgroundStdDev: number;
  /**
   * BRIGHTNESS: minimum mean luma (BT.601, 0–255) of the subject. Deliberately
   * low: dark skin, black hair and dark clothes together must not be taken for
   * underexposure; a clearly underexposed photo is far below it.
   */
  minLuma: number;
  /** BRIGHTNESS: maximum mean luma of the subject (washed-out, overexposed faces). */
  maxLuma: number;
  /** UPSCALED: minimum ratio of fine-scale to coarse-scale detail energy (see {@link measurePixels}). */
  minDetailRatio: number;
  /** Output size the quality search aims at. */
  targetBytes: number;
  /** Output size that must not be exceeded when any quality allows it. */
  maxOutputBytes: number;
  /** The search stops at the first size within ±tolerance × targetBytes (and ≤ maxOutputBytes). */
  sizeTolerance: number;
  minQuality: number;
  maxQuality: number;
  /** When even minQuality is larger than maxOutputBytes, the search continues down to this quality. */
  floorQuality: number;
  /** Upper bound on JPEG encodes per photo. */
  maxEncodes: number;
}

export const DEFAULT_PHOTO_AUDIT_OPTIONS: Readonly<PhotoAuditOptions> = Object.freeze({
  minBytes: 30 * 1024,
  minLongSide: 300,
  minShortSide: 215,
  maxPixels: 40_000_000,
  maxBackgroundStdDev: 12,
  minLuma: 45,
  maxLuma: 220,
  minDetailRatio: 0.25,
  targetBytes: 10 * 1024,
  maxOutputBytes: 12 * 1024,
  sizeTolerance: 0.1,
  minQuality: 40,
  maxQuality: 90,
  floorQuality: 10,
  maxEncodes: 10,
});

/** True when this sharp build ships mozjpeg (the prebuilt binaries do). */
export const MOZJPEG_AVAILABLE: boolean = typeof sharp.versions.mozjpeg === 'string';

/**
 * The encoder settings of the processed photo. Metadata is stripped because
 * sharp writes none unless asked (no `withMetadata`/`keepExif`).
 */
export function photoJpegOptions(quality: number): sharp.JpegOptions {
  return { quality, mozjpeg: MOZJPEG_AVAILABLE, chromaSubsampling: '4:2:0' };
}

/**
 * The 295:413 crop of a source of the given size (after orientation):
 * - too wide → full height, the width centred horizontally;
 * - too tall → full width, rows kept from the top: heads are at the top of an
 *   ID photo, so the surplus is cut below the shoulders, never above the hair.
 */
export function computePortraitCrop(
  width: number,
  height: number,
): { left: number; top: number; width: number; height: number } {
  // Compare width/height with 295/413 in integers.
  if (width * PHOTO_OUTPUT_HEIGHT > height * PHOTO_OUTPUT_WIDTH) {
    const cropWidth = Math.max(1, Math.min(width, Math.round((height * PHOTO_OUTPUT_WIDTH) / PHOTO_OUTPUT_HEIGHT)));
    return { left: Math.floor((width - cropWidth) / 2), top: 0, width: cropWidth, height };
  }
  const cropHeight = Math.max(1, Math.min(height, Math.round((width * PHOTO_OUTPUT_HEIGHT) / PHOTO_OUTPUT_WIDTH)));
  return { left: 0, top: 0, width, height: cropHeight };
}

// ---------------------------------------------------------------------------
// Background colour classifier
// ---------------------------------------------------------------------------

export type BackgroundColour = 'white' | 'red' | 'blue' | 'grey' | 'other';

export interface ColourClassification {
  colour: BackgroundColour;
  /** Hue in degrees [0, 360), 0 for greys. */
  hue: number;
  /** HSV saturation 0–1. */
  saturation: number;
  /** HSV value 0–1. */
  value: number;
}

/**
 * Classifies a mean background colour (8-bit sRGB) with HSV thresholds:
 *
 * | class | rule                                                   | e.g.                 |
 * |-------|--------------------------------------------------------|----------------------|
 * | white | S ≤ 0.12 and V ≥ 0.80                                  | 255,255,255; 240,238,230 |
 * | grey  | S ≤ 0.12 and V < 0.80 (grey or black, refused)         | 128,128,128          |
 * | red   | H ≥ 340° or H < 20°, S ≥ 0.50, V ≥ 0.45                | 255,0,0; 200,20,30   |
 * | blue  | 190° ≤ H ≤ 250°, S ≥ 0.35, V ≥ 0.40                    | 67,142,219; 0,100,200 |
 * | other | everything else (green, yellow, pink, brown, purple …) | 40,160,60            |
 *
 * The bands are wide enough for real studio backgrounds (slightly warm white,
 * the common ID-photo blues 0x438EDB and 0x00BFF3-ish, deep and bright reds)
 * and narrow enough to refuse pink, orange, cyan-green and grey walls.
 */
export function classifyBackgroundColour(red: number, green: number, blue: number): ColourClassification {
  const r = clamp01(red / 255);
  const g = clamp01(green / 255);
  const b = clamp01(blue / 255);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const delta = max - min;
  const value = max;
  const saturation = max === 0 ? 0 : delta / max;
  let hue = 0;
  if (delta > 0) {
    if (max === r) {
      hue = 60 * (((g - b) / delta) % 6);
    } else if (max === g) {
      hue = 60 * ((b - r) / delta + 2);
    } else {
      hue = 60 * ((r - g) / delta + 4);
    }
    if (hue < 0) hue += 360;
  }
  let colour: BackgroundColour = 'other';
  if (saturation <= 0.12) {
    colour = value >= 0.8 ? 'white' : 'grey';
  } else if ((hue >= 340 || hue < 20) && saturation >= 0.5 && value >= 0.45) {
    colour = 'red';
  } else if (hue >= 190 && hue <= 250 && saturation >= 0.35 && value >= 0.4) {
    colour = 'blue';
  }
  return { colour, hue, saturation, value };
}

const ACCEPTED_BACKGROUNDS: ReadonlySet<BackgroundColour> = new Set<BackgroundColour>(['white', 'red', 'blue']);

const COLOUR_NAMES_ZH: Readonly<Record<BackgroundColour, string>> = {
  white: '白色',
  red: '红色',
  blue: '蓝色',
  grey: '灰色',
  other: '其他颜色',
};

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

// ---------------------------------------------------------------------------
// Pixel measurements (sampled pixels of the decoded raw buffer)
// ---------------------------------------------------------------------------

export interface PixelMeasurements {
  background: { meanR: number; meanG: number; meanB: number; stdDev: number; samples: number };
  /** Mean luma of the subject (see {@link measurePixels}). */
  subjectMeanLuma: number;
  /** Share of the subject box that differs from the background colour. */
  foregroundShare: number;
  overallMeanLuma: number;
  /** Mean squared 4-neighbour Laplacian of the luma at full resolution. */
  fineEnergy: number;
  /** The same on the 2×2 box-downsampled luma. */
  coarseEnergy: number;
  /** fineEnergy / coarseEnergy, 0 when there is no detail at all. */
  detailRatio: number;
}

/** A pixel is foreground when its RGB distance (sum of |Δ|) to the background mean exceeds this (or 6 σ of the background). */
const FOREGROUND_MIN_DISTANCE = 45;
/** Below this share of foreground in the subject box, the whole box is used for brightness. */
const MIN_FOREGROUND_SHARE = 0.2;

/** Horizontal bands sampled by the detail (UPSCALED) measurement. */
const DETAIL_BANDS = 16;

// Luma is fixed-point BT.601: (77 R + 150 G + 29 B) / 256.

/**
 * Measures an 8-bit RGB raw image (3 channels, row-major).
 *
 * - Background: every 2nd pixel of every 2nd row of a top strip (4 % of the
 *   height, full width) and of two side strips (10 % of the width each) from
 *   there down to half the height. The bottom half is never sampled because
 *   shoulders reach the edges there. Reported: mean colour and the largest
 *   per-channel standard deviation over the union of the strips, so both
 *   noise/texture and a colour change between strips count as non-uniform.
 * - Brightness: mean luma of the subject, i.e. of the pixels of the subject box
 *   (the middle 50 % of the width, 20 %–80 % of the height: face, hair, neck,
 *   collar; every 3rd pixel of every 3rd row) whose colour differs from the
 *   background mean by more than max(45, 6 σ). The background's brightness is
 *   the BACKGROUND rule's business, and counting it would let a white
 *   background hide an underexposed face. When less than 20 % of the box
 *   differs (a pale face on a white background), the whole box is used. The
 *   overall mean luma is reported for information only.
 * - Detail (UPSCALED): in up to DETAIL_BANDS (16) horizontal bands spread over the height,
 *   the mean squared Laplacian of the luma at full resolution (fine) and of the
 *   2×2 box-downsampled luma (coarse). Photographs are roughly scale-invariant,
 *   so both are of the same order (ratio ≈ 0.35–1.2 for camera photos; white
 *   noise gives 4). An image enlarged ×2 or more by a smooth interpolator has
 *   almost nothing above the original's Nyquist frequency, so its fine energy
 *   collapses (ratio ≈ 0.1–0.2 for bicubic/Lanczos ×2, lower for larger
 *   factors; ≈ 0.2–0.3 for ×1.5).
 *   Limits: enlargement by less than ~1.4, nearest-neighbour enlargement
 *   (blocky edges are high-frequency) and enlargement followed by sharpening or
 *   added noise are not detected; a genuinely out-of-focus or heavily
 *   smoothed ("beautified") photo is flagged as well — which is acceptable, as
 *   such a photo is not usable either. The threshold is configurable.
 */
export function measurePixels(data: Uint8Array, width: number, height: number): PixelMeasurements {
  const channels = 3;
  const stride = width * channels;

  // Background strips.
  const topRows = Math.max(2, Math.round(height * 0.04));
  const sideBottom = Math.max(topRows, Math.round(height * 0.5));
  const sideColumns = Math.max(2, Math.round(width * 0.1));
  // [y0, y1, x0, x1] of the top strip and the two side strips (no overlap).
  const strips = [
    [0, Math.min(topRows, height), 0, width],
    [topRows, sideBottom, 0, Math.min(sideColumns, width)],
    [topRows, sideBottom, Math.max(0, width - sideColumns), width],
  ];
  let bgN = 0;
  let sR = 0;
  let sG = 0;
  let sB = 0;
  let qR = 0;
  let qG = 0;
  let qB = 0;
  for (const [y0, y1, x0, x1] of strips) {
    for (let y = y0; y < y1; y += 2) {
      const end = y * stride + x1 * channels;
      for (let offset = y * stride + x0 * channels; offset < end; offset += 2 * channels) {
        const r = data[offset];
        const g = data[offset + 1];
        const b = data[offset + 2];
        sR += r;
        sG += g;
        sB += b;
        qR += r * r;
        qG += g * g;
        qB += b * b;
      }
      bgN += (x1 - x0 + 1) >> 1;
    }
  }
  const n = Math.max(1, bgN);
  const meanR = sR / n;
  const meanG = sG / n;
  const meanB = sB / n;
  const stdDev = Math.sqrt(
    Math.max(0, qR / n - meanR * meanR, qG / n - meanG * meanG, qB / n - meanB * meanB),
  );

  // Subject brightness: box pixels that stand out from the background colour.
  const sx0 = Math.floor(width * 0.25);
  const sx1 = Math.max(sx0 + 1, Math.ceil(width * 0.75));
  const sy0 = Math.floor(height * 0.2);
  const sy1 = Math.max(sy0 + 1, Math.ceil(height * 0.8));
  const foregroundDistance = Math.max(FOREGROUND_MIN_DISTANCE, 6 * stdDev);
  let boxSum = 0;
  let boxN = 0;
  let foregroundSum = 0;
  let foregroundN = 0;
  for (let y = sy0; y < sy1 && y < height; y += 3) {
    let offset = y * stride + sx0 * channels;
    for (let x = sx0; x < sx1 && x < width; x += 3, offset += 3 * channels) {
      const r = data[offset];
      const g = data[offset + 1];
      const b = data[offset + 2];
      const luma = (77 * r + 150 * g + 29 * b) >> 8;
      boxSum += luma;
      boxN += 1;
      const distance = Math.abs(r - meanR) + Math.abs(g - meanG) + Math.abs(b - meanB);
      if (distance > foregroundDistance) {
        foregroundSum += luma;
        foregroundN += 1;
      }
    }
  }
  const foregroundShare = boxN > 0 ? foregroundN / boxN : 0;
  const subjectMeanLuma =
    foregroundShare >= MIN_FOREGROUND_SHARE ? foregroundSum / foregroundN : boxN > 0 ? boxSum / boxN : 0;
  let overallSum = 0;
  let overallN = 0;
  for (let y = 1; y < height; y += 6) {
    let offset = y * stride + channels;
    for (let x = 1; x < width; x += 6, offset += 6 * channels) {
      overallSum += (77 * data[offset] + 150 * data[offset + 1] + 29 * data[offset + 2]) >> 8;
      overallN += 1;
    }
  }

  // Detail bands: 6 full-resolution rows each (2Y-2 … 2Y+3), giving coarse rows
  // Y-1, Y, Y+1; fine Laplacian on full rows 2Y and 2Y+1, coarse on row Y.
  let fineSum = 0;
  let fineN = 0;
  let coarseSum = 0;
  let coarseN = 0;
  const coarseWidth = width >> 1;
  const coarseHeight = height >> 1;
  if (coarseWidth >= 3 && coarseHeight >= 3 && width >= 3) {
    const rows = new Int32Array(6 * width);
    const coarse = new Int32Array(3 * coarseWidth); // 4× the box mean, to stay integral
    const lastY = coarseHeight - 2;
    const bandCount = Math.max(1, Math.min(DETAIL_BANDS, Math.floor((coarseHeight - 2) / 3)));
    for (let band = 0; band < bandCount; band += 1) {
      const cy = 1 + Math.floor(((lastY - 1) * (band + 0.5)) / bandCount);
      const fy0 = 2 * cy - 2;
      for (let r = 0; r < 6; r += 1) {
        let offset = (fy0 + r) * stride;
        const base = r * width;
        for (let x = 0; x < width; x += 1, offset += channels) {
          rows[base + x] = (77 * data[offset] + 150 * data[offset + 1] + 29 * data[offset + 2]) >> 8;
        }
      }
      for (let c = 0; c < 3; c += 1) {
        const top = 2 * c * width;
        const bottom = top + width;
        const cbase = c * coarseWidth;
        for (let x = 0; x < coarseWidth; x += 1) {
          const fx = 2 * x;
          coarse[cbase + x] = rows[top + fx] + rows[top + fx + 1] + rows[bottom + fx] + rows[bottom + fx + 1];
        }
      }
      for (let r = 2; r <= 3; r += 1) {
        const base = r * width;
        for (let x = 1; x < width - 1; x += 1) {
          const i = base + x;
          const lap = rows[i - 1] + rows[i + 1] + rows[i - width] + rows[i + width] - 4 * rows[i];
          fineSum += lap * lap;
        }
        fineN += width - 2;
      }
      const mid = coarseWidth;
      for (let x = 1; x < coarseWidth - 1; x += 1) {
        const i = mid + x;
        // coarse holds 4× the mean, so divide the Laplacian by 4
        const lap = (coarse[i - 1] + coarse[i + 1] + coarse[i - coarseWidth] + coarse[i + coarseWidth] - 4 * coarse[i]) / 4;
        coarseSum += lap * lap;
      }
      coarseN += coarseWidth - 2;
    }
  }
  const fineEnergy = fineN > 0 ? fineSum / fineN : 0;
  const coarseEnergy = coarseN > 0 ? coarseSum / coarseN : 0;

  return {
    background: { meanR, meanG, meanB, stdDev, samples: bgN },
    subjectMeanLuma,
    foregroundShare,
    overallMeanLuma: overallN > 0 ? overallSum / overallN : 0,
    fineEnergy,
    coarseEnergy,
    // Below ~1 (a Laplacian of about ±1 grey level) there is no detail to compare.
    detailRatio: coarseEnergy >= 1 ? fineEnergy / coarseEnergy : 0,
  };
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function kb(bytes: number): string {
  return `${round(bytes / 1024, 1)} KB`;
}

function check(
  rule: PhotoRule,
  passed: boolean,
  message: string,
  messageZh: string,
  measured?: Record<string, number | string>,
): PhotoCheck {
  return { rule, passed, code: PHOTO_CHECK_CODES[rule], message, messageZh, measured };
}

function hexPrefix(input: Uint8Array): string {
  return Array.from(input.subarray(0, 3), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function undecodable(bytes: number, message: string, messageZh: string, measured: Record<string, number | string>): PhotoAuditResult {
  return {
    accepted: false,
    checks: [check('FORMAT', false, message, messageZh, measured)],
    source: { width: 0, height: 0, bytes, format: 'unknown' },
  };
}

// ---------------------------------------------------------------------------
// The audit
// ---------------------------------------------------------------------------

/**
 * Audits an uploaded ID photo and, when every rule passes, returns the processed
 * 295×413 JPEG. Never throws for bad image data (the result says why); throws
 * only for invalid options.
 */
export async function auditPhoto(input: Buffer, options?: Partial<PhotoAuditOptions>): Promise<PhotoAuditResult> {
  const opts = resolveOptions(options);
  if (!Buffer.isBuffer(input) || input.length === 0) {
    return undecodable(
      0,
      'Format: no image data was received; upload a JPG/JPEG photo.',
      '格式：未收到图片数据，请上传 JPG/JPEG 格式的照片。',
      { bytes: 0 },
    );
  }
  const bytes = input.length;
  const magic = hexPrefix(input);

  // The header read (format, declared size) runs beside the one full decode.
  const [metadataResult, decodedResult] = await Promise.allSettled([
    sharp(input).metadata(),
    sharp(input, { autoOrient: true, failOn: 'error', limitInputPixels: opts.maxPixels })
      .flatten({ background: '#ffffff' }) // only acts on images with alpha (PNG, WebP …)
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
  ]);
  if (metadataResult.status === 'fulfilled') {
    const { width: w, height: h } = metadataResult.value;
    if (w * h > opts.maxPixels) {
      return undecodable(
        bytes,
        `Format: the image has too many pixels to process (${w}×${h}, at most ${opts.maxPixels}).`,
        `格式：图片像素过多，无法处理（${w}×${h}，上限 ${opts.maxPixels} 像素）。`,
        { width: w, height: h, maxPixels: opts.maxPixels },
      );
    }
  }
  if (metadataResult.status === 'rejected' || decodedResult.status === 'rejected' || decodedResult.value.info.channels !== 3) {
    return undecodable(
      bytes,
      'Format: the file cannot be read as an image; upload a JPG/JPEG photo.',
      '格式：文件无法识别为图片，请上传 JPG/JPEG 格式的照片。',
      { magic, bytes },
    );
  }
  const format = metadataResult.value.format;
  const { data, info } = decodedResult.value;
  const { width, height } = info;
  const source = { width, height, bytes, format };

  const checks = [
    ...headerChecks(format, magic, bytes, width, height, opts),
    ...pixelChecks(measurePixels(data, width, height), opts),
  ];
  if (!checks.every((c) => c.passed)) {
    return { accepted: false, checks, source };
  }
  return { accepted: true, checks, processed: await produceStandardPhoto(data, width, height, opts), source };
}

/** FORMAT, FILE_SIZE, DIMENSIONS, PORTRAIT: rules answered by the header and byte count. */
function headerChecks(
  format: string,
  magic: string,
  bytes: number,
  width: number,
  height: number,
  opts: PhotoAuditOptions,
): PhotoCheck[] {
  const checks: PhotoCheck[] = [];
  const jpegMagic = magic === 'ffd8ff';

  // 1. FORMAT: by content, never by file name.
  const isJpeg = jpegMagic && format === 'jpeg';
  checks.push(
    isJpeg
      ? check('FORMAT', true, 'Format: the file is a JPEG image.', '格式：文件为 JPG/JPEG 图片。', { format, magic })
      : check(
          'FORMAT',
          false,
          `Format: the photo must be a JPG/JPEG image; this file is ${format.toUpperCase()} (renaming a file does not change its format).`,
          `格式：照片必须为 JPG/JPEG 格式，该文件实际为 ${format.toUpperCase()} 格式（修改扩展名不能改变格式）。`,
          { format, magic },
        ),
  );

  // 2. FILE_SIZE
  checks.push(
    bytes > opts.minBytes
      ? check('FILE_SIZE', true, `File size: ${kb(bytes)}, larger than ${kb(opts.minBytes)}.`, `文件大小：${kb(bytes)}，大于 ${kb(opts.minBytes)}。`, {
          bytes,
          minBytes: opts.minBytes,
        })
      : check(
          'FILE_SIZE',
          false,
          `File size: the photo must be larger than ${kb(opts.minBytes)}; it is ${kb(bytes)}.`,
          `文件大小：照片必须大于 ${kb(opts.minBytes)}，当前为 ${kb(bytes)}。`,
          { bytes, minBytes: opts.minBytes },
        ),
  );

  // 3. DIMENSIONS: orientation-free minimum (longer side ≥ 300, shorter ≥ 215);
  //    the orientation itself is rule 4 so each message says exactly one thing.
  const longSide = Math.max(width, height);
  const shortSide = Math.min(width, height);
  const bigEnough = longSide >= opts.minLongSide && shortSide >= opts.minShortSide;
  const dimensionsMeasured = { width, height, minLongSide: opts.minLongSide, minShortSide: opts.minShortSide };
  checks.push(
    bigEnough
      ? check(
          'DIMENSIONS',
          true,
          `Dimensions: ${width}×${height} px, at least ${opts.minLongSide}×${opts.minShortSide}.`,
          `尺寸：${width}×${height} 像素，不小于 ${opts.minLongSide}×${opts.minShortSide}。`,
          dimensionsMeasured,
        )
      : check(
          'DIMENSIONS',
          false,
          `Dimensions: the photo must be at least ${opts.minLongSide}×${opts.minShortSide} px (longer side ≥ ${opts.minLongSide}, shorter side ≥ ${opts.minShortSide}); it is ${width}×${height}.`,
          `尺寸：照片不得小于 ${opts.minLongSide}×${opts.minShortSide} 像素（长边不小于 ${opts.minLongSide}，短边不小于 ${opts.minShortSide}），当前为 ${width}×${height}。`,
          dimensionsMeasured,
        ),
  );

  // 4. PORTRAIT: the product is a portrait 1-inch photo, so the source must be taller than wide.
  checks.push(
    height > width
      ? check('PORTRAIT', true, `Orientation: portrait (${width}×${height}).`, `方向：竖版（${width}×${height}）。`, { width, height })
      : check(
          'PORTRAIT',
          false,
          `Orientation: the photo must be portrait (taller than wide); it is ${width}×${height}.`,
          `方向：照片必须为竖版（高度大于宽度），当前为 ${width}×${height}。`,
          { width, height },
        ),
  );

  return checks;
}

/** BACKGROUND, BRIGHTNESS, UPSCALED: rules answered by the pixel measurements. */
function pixelChecks(m: PixelMeasurements, opts: PhotoAuditOptions): PhotoCheck[] {
  const checks: PhotoCheck[] = [];

  // 5. BACKGROUND: uniform and plain red, white or blue.
  const bg = m.background;
  const classification = classifyBackgroundColour(bg.meanR, bg.meanG, bg.meanB);
  const uniform = bg.stdDev <= opts.maxBackgroundStdDev;
  const colourOk = ACCEPTED_BACKGROUNDS.has(classification.colour);
  const rgb = `${Math.round(bg.meanR)},${Math.round(bg.meanG)},${Math.round(bg.meanB)}`;
  const backgroundMeasured = {
    colour: classification.colour,
    meanR: round(bg.meanR),
    meanG: round(bg.meanG),
    meanB: round(bg.meanB),
    hue: round(classification.hue),
    saturation: round(classification.saturation, 3),
    value: round(classification.value, 3),
    stdDev: round(bg.stdDev, 2),
    maxStdDev: opts.maxBackgroundStdDev,
    problem: uniform ? (colourOk ? 'none' : 'colour') : colourOk ? 'uneven' : 'uneven+colour',
  };
  if (uniform && colourOk) {
    checks.push(
      check(
        'BACKGROUND',
        true,
        `Background: plain ${classification.colour} (RGB ${rgb}).`,
        `背景：纯${COLOUR_NAMES_ZH[classification.colour]}（RGB ${rgb}）。`,
        backgroundMeasured,
      ),
    );
  } else {
    const en: string[] = [];
    const zh: string[] = [];
    if (!uniform) {
      en.push(`it is not a single even colour (variation ${round(bg.stdDev)} > ${opts.maxBackgroundStdDev})`);
      zh.push(`背景不均匀（波动 ${round(bg.stdDev)}，上限 ${opts.maxBackgroundStdDev}）`);
    }
    if (!colourOk) {
      en.push(`its colour is ${classification.colour} (RGB ${rgb})`);
      zh.push(`当前颜色为${COLOUR_NAMES_ZH[classification.colour]}（RGB ${rgb}）`);
    }
    checks.push(
      check(
        'BACKGROUND',
        false,
        `Background: the background must be plain red, white or blue; ${en.join('; ')}.`,
        `背景：照片背景必须为纯红色、白色或蓝色；${zh.join('；')}。`,
        backgroundMeasured,
      ),
    );
  }

  // 6. BRIGHTNESS of the subject.
  const luma = m.subjectMeanLuma;
  const brightnessMeasured = {
    subjectMeanLuma: round(luma),
    foregroundShare: round(m.foregroundShare, 2),
    overallMeanLuma: round(m.overallMeanLuma),
    minLuma: opts.minLuma,
    maxLuma: opts.maxLuma,
  };
  if (luma < opts.minLuma) {
    checks.push(
      check(
        'BRIGHTNESS',
        false,
        `Brightness: the person in the photo is too dark (mean brightness ${round(luma)}, at least ${opts.minLuma}).`,
        `亮度：人像过暗（平均亮度 ${round(luma)}，应不低于 ${opts.minLuma}）。`,
        { ...brightnessMeasured, problem: 'too_dark' },
      ),
    );
  } else if (luma > opts.maxLuma) {
    checks.push(
      check(
        'BRIGHTNESS',
        false,
        `Brightness: the person in the photo is too bright (mean brightness ${round(luma)}, at most ${opts.maxLuma}).`,
        `亮度：人像过亮（平均亮度 ${round(luma)}，应不高于 ${opts.maxLuma}）。`,
        { ...brightnessMeasured, problem: 'too_bright' },
      ),
    );
  } else {
    checks.push(
      check(
        'BRIGHTNESS',
        true,
        `Brightness: the person's mean brightness ${round(luma)} is within ${opts.minLuma}–${opts.maxLuma}.`,
        `亮度：人像平均亮度 ${round(luma)}，在 ${opts.minLuma}–${opts.maxLuma} 之间。`,
        { ...brightnessMeasured, problem: 'none' },
      ),
    );
  }

  // 7. UPSCALED
  const detailMeasured = {
    detailRatio: round(m.detailRatio, 3),
    minDetailRatio: opts.minDetailRatio,
    fineEnergy: round(m.fineEnergy),
    coarseEnergy: round(m.coarseEnergy),
  };
  checks.push(
    m.detailRatio >= opts.minDetailRatio
      ? check(
          'UPSCALED',
          true,
          `Upscaling: the photo has its own fine detail (detail ratio ${round(m.detailRatio, 2)}).`,
          `放大检测：照片细节正常（细节比 ${round(m.detailRatio, 2)}）。`,
          detailMeasured,
        )
      : check(
          'UPSCALED',
          false,
          `Upscaling: the photo looks enlarged from a smaller image or heavily blurred (detail ratio ${round(m.detailRatio, 2)}, at least ${opts.minDetailRatio}); upload the original photo.`,
          `放大检测：照片疑似由小图放大或经过严重模糊处理（细节比 ${round(m.detailRatio, 2)}，应不低于 ${opts.minDetailRatio}），请上传原始照片。`,
          detailMeasured,
        ),
  );

  return checks;
}

// ---------------------------------------------------------------------------
// Output: crop, resize, size-targeted JPEG encode
// ---------------------------------------------------------------------------

/** Crops, resizes and encodes the standard photo with the size-targeted quality search. */
async function produceStandardPhoto(data: Buffer, width: number, height: number, opts: PhotoAuditOptions): Promise<ProcessedPhoto> {
  const crop = computePortraitCrop(width, height);
  const raw = { width, height, channels: 3 as const };
  const tables = await quantisationTables();
  const estimator = new JpegSizeEstimator(tables, sampleOutputBlocks(data, width, height, crop, tables, opts.maxQuality));
  // Each probe crops, resizes and encodes in one libvips pipeline from the
  // decoded buffer. Materialising the 295×413 pixels once and re-encoding them
  // would only pay off from the 4th probe on, and the estimate makes more than
  // 2 probes rare.
  const encode = (quality: number): Promise<Buffer> =>
    sharp(data, { raw })
      .extract(crop)
      .resize(PHOTO_OUTPUT_WIDTH, PHOTO_OUTPUT_HEIGHT, { fit: 'fill' })
      .jpeg(photoJpegOptions(quality))
      .toBuffer();
  const { jpeg, quality } = await searchQuality(encode, (q) => estimator.bytes(q), opts);
  return { jpeg, width: PHOTO_OUTPUT_WIDTH, height: PHOTO_OUTPUT_HEIGHT, bytes: jpeg.length, quality };
}

/** IJG quality → quantisation-table scale in percent (libjpeg's jpeg_quality_scaling). */
function qualityToScale(quality: number): number {
  return quality < 50 ? 5000 / quality : 200 - 2 * quality;
}

/**
 * Searches the JPEG quality whose output is closest to targetBytes without
 * exceeding maxOutputBytes, spending as few real encodes as possible:
 *
 * 1. The first probe is the quality the size estimate predicts for the target.
 * 2. A miss tells how far the estimate is off for this picture; the estimate is
 *    rescaled by actual ÷ predicted and the next probe is again the quality
 *    that hits the target on the corrected curve.
 * 3. Probes stay inside the bracket of qualities not yet known to be too small
 *    or too large, and a repeated quality falls back to bisection, so the
 *    search ends within maxEncodes.
 *
 * It stops at the first size within ±sizeTolerance of the target (and under the
 * limit). If even minQuality is over maxOutputBytes, the range below it (down
 * to floorQuality) is opened once. Returns the probe closest to the target
 * among those within the limit (or the smallest probe if none is).
 * Exported for tests; `encode` and `predict` are injected.
 */
export async function searchQuality(
  encode: (quality: number) => Promise<Buffer>,
  predict: (quality: number) => number,
  opts: PhotoAuditOptions,
): Promise<{ jpeg: Buffer; quality: number }> {
  const tried = new Map<number, Buffer>();
  const target = opts.targetBytes;
  const tolerance = opts.sizeTolerance * target;
  let lo = opts.minQuality;
  let hi = opts.maxQuality;
  let correction = 1;
  let floorOpened = false;
  let q = qualityForTarget(predict, correction, target, opts.maxOutputBytes, lo, hi);

  for (let attempt = 0; attempt < opts.maxEncodes; attempt += 1) {
    const jpeg = await encode(q);
    tried.set(q, jpeg);
    const size = jpeg.length;
    if (Math.abs(size - target) <= tolerance && size <= opts.maxOutputBytes) {
      break;
    }
    if (size > target) {
      hi = q - 1;
    } else {
      lo = q + 1;
    }
    if (lo > hi) {
      if (!floorOpened && size > opts.maxOutputBytes && q === opts.minQuality && opts.floorQuality < opts.minQuality) {
        floorOpened = true;
        lo = opts.floorQuality;
        hi = q - 1;
      } else {
        break;
      }
    }
    const predicted = predict(q);
    if (predicted > 0) correction = size / predicted;
    let next = qualityForTarget(predict, correction, target, opts.maxOutputBytes, lo, hi);
    if (tried.has(next)) {
      next = Math.round((lo + hi) / 2);
      if (tried.has(next)) break;
    }
    q = next;
  }

  let best: { jpeg: Buffer; quality: number } | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const [quality, jpeg] of tried) {
    // Anything within the limit beats anything over it; then the closest to the target.
    const score = (jpeg.length > opts.maxOutputBytes ? 1e12 + jpeg.length : 0) + Math.abs(jpeg.length - target);
    if (score < bestScore) {
      bestScore = score;
      best = { jpeg, quality };
    }
  }
  if (best === undefined) {
    throw new Error('photo audit: no JPEG was encoded');
  }
  return best;
}

/**
 * The quality in [lo, hi] whose corrected estimate is closest to the target
 * without exceeding the limit (the estimate grows with the quality, so a
 * bisection finds the last quality under the target; its successor may be closer).
 */
function qualityForTarget(
  predict: (quality: number) => number,
  correction: number,
  target: number,
  limit: number,
  lo: number,
  hi: number,
): number {
  const estimate = (q: number): number => predict(q) * correction;
  let a = lo;
  let b = hi;
  if (estimate(a) > target) return a;
  while (a < b) {
    const mid = (a + b + 1) >> 1;
    if (estimate(mid) <= target) a = mid;
    else b = mid - 1;
  }
  if (a < hi) {
    const above = estimate(a + 1);
    if (above <= limit && above - target < target - estimate(a)) return a + 1;
  }
  return a;
}

// ---------------------------------------------------------------------------
// JPEG size estimate
// ---------------------------------------------------------------------------

/** Natural (row-major) index of the k-th coefficient in JPEG zig-zag order (ITU-T T.81, figure A.6). */
const ZIGZAG_TO_NATURAL = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55,
  62, 63,
]);

/** Base (quality 50) luma and chroma quantisation tables in natural order. */
export interface QuantisationTables {
  luma: Uint16Array;
  chroma: Uint16Array;
}

let tablesPromise: Promise<QuantisationTables> | undefined;

/**
 * The quantisation tables of this encoder configuration, read once from the DQT
 * segment of a tiny image encoded at quality 50 (scale 100 %, so the tables are
 * the base tables). Reading them from the encoder keeps the estimate right
 * whichever table set the sharp build uses (mozjpeg's default or Annex K).
 */
function quantisationTables(): Promise<QuantisationTables> {
  tablesPromise ??= sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
    .jpeg(photoJpegOptions(50))
    .toBuffer()
    .then(parseQuantisationTables)
    .catch((error: unknown) => {
      tablesPromise = undefined;
      throw error;
    });
  return tablesPromise;
}

/** Reads the DQT tables 0 (luma) and 1 (chroma, defaults to 0) of a JPEG, in natural order. */
export function parseQuantisationTables(jpeg: Buffer): QuantisationTables {
  const tables = new Map<number, Uint16Array>();
  let offset = 2;
  while (offset + 4 <= jpeg.length) {
    if (jpeg[offset] !== 0xff) {
      throw new Error('photo audit: malformed JPEG while reading DQT');
    }
    const marker = jpeg[offset + 1];
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end of image
    const length = jpeg.readUInt16BE(offset + 2);
    if (marker === 0xdb) {
      let p = offset + 4;
      const end = offset + 2 + length;
      while (p < end) {
        const precision = jpeg[p] >> 4;
        const id = jpeg[p] & 0x0f;
        p += 1;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k += 1) {
          table[ZIGZAG_TO_NATURAL[k]] = precision ? jpeg.readUInt16BE(p + 2 * k) : jpeg[p + k];
        }
        p += precision ? 128 : 64;
        tables.set(id, table);
      }
    }
    offset += 2 + length;
  }
  const luma = tables.get(0);
  if (!luma) throw new Error('photo audit: no quantisation table found');
  return { luma, chroma: tables.get(1) ?? luma };
}

/** c(u)/2 · cos((2x + 1) u π / 16): the orthonormal 8-point DCT-II basis, u = 1…7, x = 0…3. */
function basis(u: number, x: number): number {
  return 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
}
const DC = 0.5 * Math.SQRT1_2; // u = 0 (and |basis| for u = 4)
const C1 = [basis(1, 0), basis(1, 1), basis(1, 2), basis(1, 3)];
const C2 = [basis(2, 0), basis(2, 1)]; // u = 2: (c, s, −s, −c) pattern
const C3 = [basis(3, 0), basis(3, 1), basis(3, 2), basis(3, 3)];
const C5 = [basis(5, 0), basis(5, 1), basis(5, 2), basis(5, 3)];
const C7 = [basis(7, 0), basis(7, 1), basis(7, 2), basis(7, 3)];
const [C1a, C1b, C1c, C1d] = C1;
const [C2a, C2b] = C2;
const [C3a, C3b, C3c, C3d] = C3;
const [C5a, C5b, C5c, C5d] = C5;
const [C7a, C7b, C7c, C7d] = C7;

/**
 * 8-point DCT-II of src[at], src[at + step], … into dst[to], dst[to + step], …
 * Even/odd split: basis u at 7 − x equals (−1)^u times basis u at x, so even
 * outputs use the sums s[x] + s[7−x] and odd outputs the differences; u = 0, 2,
 * 4, 6 have the symmetric patterns (1,1,1,1), (c,s,−s,−c), (1,−1,−1,1), (s,−c,c,−s).
 */
function dct8(src: Float64Array, at: number, step: number, dst: Float64Array, to: number): void {
  const s0 = src[at];
  const s1 = src[at + step];
  const s2 = src[at + 2 * step];
  const s3 = src[at + 3 * step];
  const s4 = src[at + 4 * step];
  const s5 = src[at + 5 * step];
  const s6 = src[at + 6 * step];
  const s7 = src[at + 7 * step];
  const a0 = s0 + s7;
  const a1 = s1 + s6;
  const a2 = s2 + s5;
  const a3 = s3 + s4;
  const b0 = s0 - s7;
  const b1 = s1 - s6;
  const b2 = s2 - s5;
  const b3 = s3 - s4;
  const e0 = a0 + a3;
  const e1 = a1 + a2;
  const o0 = a0 - a3;
  const o1 = a1 - a2;
  dst[to] = DC * (e0 + e1);
  dst[to + step] = C1a * b0 + C1b * b1 + C1c * b2 + C1d * b3;
  dst[to + 2 * step] = C2a * o0 + C2b * o1;
  dst[to + 3 * step] = C3a * b0 + C3b * b1 + C3c * b2 + C3d * b3;
  dst[to + 4 * step] = DC * (e0 - e1);
  dst[to + 5 * step] = C5a * b0 + C5b * b1 + C5c * b2 + C5d * b3;
  dst[to + 6 * step] = C2b * o0 - C2a * o1;
  dst[to + 7 * step] = C7a * b0 + C7b * b1 + C7c * b2 + C7d * b3;
}

/** 2-D 8×8 DCT of `block` (row-major) into `out`. */
function dct8x8(block: Float64Array, out: Float64Array, tmp: Float64Array): void {
  for (let y = 0; y < 64; y += 8) dct8(block, y, 1, tmp, y);
  for (let u = 0; u < 8; u += 1) dct8(tmp, u, 8, out, u);
}

/** Quantiser of each position for a quality (libjpeg scaling, baseline range 1…255). */
function scaledTable(base: Uint16Array, quality: number): Float64Array {
  const scale = qualityToScale(quality);
  const table = new Float64Array(64);
  for (let k = 0; k < 64; k += 1) {
    table[k] = Math.min(255, Math.max(1, Math.floor((base[k] * scale + 50) / 100)));
  }
  return table;
}

/**
 * AC coefficients of the sampled output blocks that can survive quantisation
 * at some quality of the search (|c| ≥ ½ Q at the highest quality): their
 * position and log2 |c|. Everything smaller costs no bits at any quality.
 */
interface SampledBlocks {
  lumaK: Uint8Array;
  lumaLog: Float64Array;
  lumaCount: number;
  /** Luma blocks of the output ÷ luma blocks sampled. */
  lumaScale: number;
  chromaK: Uint8Array;
  chromaLog: Float64Array;
  chromaCount: number;
  /** Chroma blocks of the output ÷ chroma blocks sampled. */
  chromaScale: number;
}

/**
 * Sampling of the 18 × 25 macroblocks (16×16 px) of the 295×413 output, on
 * diagonals ((column + row) mod step = 0) so that every row and every column
 * is represented equally (a plain stride would hit fixed columns, and with the
 * face always in the middle that biases the estimate):
 * - luma: in every LUMA_STEP-th macroblock one of its four 8×8 blocks, the
 *   quadrant rotating with the position;
 * - chroma (4:2:0: one 8×8 Cb and one Cr block per macroblock): every
 *   CHROMA_STEP-th macroblock.
 * Denser sampling hardly helps: the estimate's error is dominated by the pixel
 * approximation below (box taps instead of the resizer's Lanczos kernel).
 */
const LUMA_STEP = 2;
const CHROMA_STEP = 8;

/**
 * Approximates output pixels from the decoded source without resizing it: a
 * luma output pixel is the mean of 2×2 source taps at ¼ and ¾ of the area it
 * covers (the plain box average for the usual ~2× reduction); a chroma sample,
 * which covers 2×2 output pixels, is the mean of one tap at the centre of each.
 * Colours are converted to YCbCr like the encoder (JFIF, BT.601 full range)
 * and the sampled 8×8 blocks go through the DCT.
 */
function sampleOutputBlocks(
  data: Uint8Array,
  width: number,
  height: number,
  crop: { left: number; top: number; width: number; height: number },
  tables: QuantisationTables,
  maxQuality: number,
): SampledBlocks {
  const outW = PHOTO_OUTPUT_WIDTH;
  const outH = PHOTO_OUTPUT_HEIGHT;
  const sx = crop.width / outW;
  const sy = crop.height / outH;
  // Byte offsets of the taps of each output column / row.
  const colA = new Int32Array(outW);
  const colB = new Int32Array(outW);
  const colC = new Int32Array(outW);
  const rowA = new Int32Array(outH);
  const rowB = new Int32Array(outH);
  const rowC = new Int32Array(outH);
  for (let ox = 0; ox < outW; ox += 1) {
    colA[ox] = 3 * Math.min(width - 1, crop.left + Math.floor((ox + 0.25) * sx));
    colB[ox] = 3 * Math.min(width - 1, crop.left + Math.floor((ox + 0.75) * sx));
    colC[ox] = 3 * Math.min(width - 1, crop.left + Math.floor((ox + 0.5) * sx));
  }
  for (let oy = 0; oy < outH; oy += 1) {
    rowA[oy] = 3 * width * Math.min(height - 1, crop.top + Math.floor((oy + 0.25) * sy));
    rowB[oy] = 3 * width * Math.min(height - 1, crop.top + Math.floor((oy + 0.75) * sy));
    rowC[oy] = 3 * width * Math.min(height - 1, crop.top + Math.floor((oy + 0.5) * sy));
  }
  const lumaLimit = scaledTable(tables.luma, maxQuality).map((q) => q / 2);
  const chromaLimit = scaledTable(tables.chroma, maxQuality).map((q) => q / 2);

  const mbCols = Math.floor(outW / 16);
  const mbRows = Math.floor(outH / 16);
  const total = mbCols * mbRows;
  const chromaCapacity = Math.ceil(total / CHROMA_STEP) + mbRows;
  const lumaCapacity = Math.ceil(total / LUMA_STEP) + mbRows;
  const lumaK = new Uint8Array(lumaCapacity * 63);
  const lumaLog = new Float64Array(lumaCapacity * 63);
  const chromaK = new Uint8Array(chromaCapacity * 2 * 63);
  const chromaLog = new Float64Array(chromaCapacity * 2 * 63);
  let lumaCount = 0;
  let chromaCount = 0;
  let chromaBlocks = 0;
  const block = new Float64Array(64);
  const cb = new Float64Array(64);
  const cr = new Float64Array(64);
  const coeffs = new Float64Array(64);
  const tmp = new Float64Array(64);

  let lumaBlocks = 0;
  for (let row = 0; row < mbRows; row += 1) {
    for (let column = 0; column < mbCols; column += 1) {
      if ((column + row) % LUMA_STEP === 0) {
        // One 8×8 luma block of the macroblock, the quadrant rotating with the position.
        const quadrant = ((column >> 1) + row) & 3;
        const bx = column * 16 + (quadrant & 1) * 8;
        const by = row * 16 + (quadrant >> 1) * 8;
        for (let y = 0; y < 8; y += 1) {
          const ra = rowA[by + y];
          const rb = rowB[by + y];
          for (let x = 0; x < 8; x += 1) {
            const ca = colA[bx + x];
            const cbo = colB[bx + x];
            const p0 = ra + ca;
            const p1 = ra + cbo;
            const p2 = rb + ca;
            const p3 = rb + cbo;
            const r = data[p0] + data[p1] + data[p2] + data[p3];
            const g = data[p0 + 1] + data[p1 + 1] + data[p2 + 1] + data[p3 + 1];
            const b = data[p0 + 2] + data[p1 + 2] + data[p2 + 2] + data[p3 + 2];
            // ¼ of the 4-tap sum, times the luma weights, level-shifted by 128.
            block[y * 8 + x] = 0.07475 * r + 0.14675 * g + 0.0285 * b - 128;
          }
        }
        dct8x8(block, coeffs, tmp);
        for (let k = 1; k < 64; k += 1) {
          const c = coeffs[k] < 0 ? -coeffs[k] : coeffs[k];
          if (c >= lumaLimit[k]) {
            lumaK[lumaCount] = k;
            lumaLog[lumaCount] = Math.log2(c);
            lumaCount += 1;
          }
        }
        lumaBlocks += 1;
      }

      if ((column + row) % CHROMA_STEP === 0) {
        // The Cb and Cr blocks of the macroblock (4:2:0).
        const mx = column * 16;
        const my = row * 16;
        for (let y = 0; y < 8; y += 1) {
          const r0 = rowC[my + 2 * y];
          const r1 = rowC[my + 2 * y + 1];
          for (let x = 0; x < 8; x += 1) {
            const c0 = colC[mx + 2 * x];
            const c1 = colC[mx + 2 * x + 1];
            const p0 = r0 + c0;
            const p1 = r0 + c1;
            const p2 = r1 + c0;
            const p3 = r1 + c1;
            const r = data[p0] + data[p1] + data[p2] + data[p3];
            const g = data[p0 + 1] + data[p1 + 1] + data[p2 + 1] + data[p3 + 1];
            const b = data[p0 + 2] + data[p1 + 2] + data[p2 + 2] + data[p3 + 2];
            // ¼ of the sum of the 2×2 output pixels, times the chroma weights.
            cb[y * 8 + x] = -0.042184 * r - 0.082816 * g + 0.125 * b;
            cr[y * 8 + x] = 0.125 * r - 0.104672 * g - 0.020328 * b;
          }
        }
        for (let plane = 0; plane < 2; plane += 1) {
          dct8x8(plane === 0 ? cb : cr, coeffs, tmp);
          for (let k = 1; k < 64; k += 1) {
            const c = coeffs[k] < 0 ? -coeffs[k] : coeffs[k];
            if (c >= chromaLimit[k]) {
              chromaK[chromaCount] = k;
              chromaLog[chromaCount] = Math.log2(c);
              chromaCount += 1;
            }
          }
        }
        chromaBlocks += 1;
      }
    }
  }

  return {
    lumaK,
    lumaLog,
    lumaCount,
    lumaScale: lumaBlocks > 0 ? (4 * total) / lumaBlocks : 0,
    chromaK,
    chromaLog,
    chromaCount,
    chromaScale: chromaBlocks > 0 ? total / chromaBlocks : 0,
  };
}

/**
 * Estimated size of the processed JPEG at a given quality, from the DCT of
 * sampled output blocks: a coefficient costs bits when it survives
 * quantisation (|c| / Q ≥ ½), roughly a fixed amount for its run/size code
 * plus log2 of its quantised magnitude:
 *   bytes ≈ A + (B · nonZero + C · Σ log2(2|c|/Q)) / 8,
 * both sums scaled up from the sampled blocks to the whole output.
 * A, B and C were fitted by least squares on the relative error over varied
 * synthetic portraits and a few real photos against this encoder (mozjpeg
 * settings): standard error about 5–6 %, mostly a per-picture bias (with the
 * exact resized pixels it would be 3 %) that the search corrects after its
 * first encode. It never decides anything on its own, it only seeds the search.
 */
class JpegSizeEstimator {
  static readonly A = 1546;
  static readonly B = 2.58;
  static readonly C = 1.113;
  private readonly cache = new Map<number, number>();

  constructor(
    private readonly tables: QuantisationTables,
    private readonly blocks: SampledBlocks,
  ) {}

  bytes(quality: number): number {
    const cached = this.cache.get(quality);
    if (cached !== undefined) return cached;
    const { nonZero, magnitude } = this.features(quality);
    const estimate = JpegSizeEstimator.A + (JpegSizeEstimator.B * nonZero + JpegSizeEstimator.C * magnitude) / 8;
    this.cache.set(quality, estimate);
    return estimate;
  }

  /** Non-zero quantised AC coefficients and their summed log2(2|c|/Q), scaled to the whole output. */
  features(quality: number): { nonZero: number; magnitude: number } {
    const b = this.blocks;
    const luma = count(b.lumaK, b.lumaLog, b.lumaCount, this.tables.luma, quality);
    const chroma = count(b.chromaK, b.chromaLog, b.chromaCount, this.tables.chroma, quality);
    return {
      nonZero: luma.nonZero * b.lumaScale + chroma.nonZero * b.chromaScale,
      magnitude: luma.magnitude * b.lumaScale + chroma.magnitude * b.chromaScale,
    };

    function count(
      ks: Uint8Array,
      logs: Float64Array,
      n: number,
      base: Uint16Array,
      q: number,
    ): { nonZero: number; magnitude: number } {
      // |c| / Q ≥ ½  ⇔  log2|c| − log2 Q + 1 ≥ 0, and that excess is log2(2|c|/Q).
      const offset = scaledTable(base, q).map((value) => 1 - Math.log2(value));
      let nonZero = 0;
      let magnitude = 0;
      for (let i = 0; i < n; i += 1) {
        const excess = logs[i] + offset[ks[i]];
        if (excess >= 0) {
          nonZero += 1;
          magnitude += excess;
        }
      }
      return { nonZero, magnitude };
    }
  }
}

function resolveOptions(options: Partial<PhotoAuditOptions> | undefined): PhotoAuditOptions {
  const opts: PhotoAuditOptions = { ...DEFAULT_PHOTO_AUDIT_OPTIONS };
  if (options) {
    for (const key of Object.keys(options) as Array<keyof PhotoAuditOptions>) {
      const value = options[key];
      if (value !== undefined) opts[key] = value;
    }
  }
  for (const [key, value] of Object.entries(opts)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`auditPhoto: option ${key} must be a non-negative finite number`);
    }
  }
  if (
    !Number.isInteger(opts.minQuality) ||
    !Number.isInteger(opts.maxQuality) ||
    !Number.isInteger(opts.floorQuality) ||
    opts.floorQuality < 1 ||
    opts.minQuality < opts.floorQuality ||
    opts.maxQuality < opts.minQuality ||
    opts.maxQuality > 100
  ) {
    throw new RangeError('auditPhoto: qualities must be integers with 1 ≤ floorQuality ≤ minQuality ≤ maxQuality ≤ 100');
  }
  if (opts.minLuma > opts.maxLuma || opts.maxOutputBytes < opts.targetBytes || opts.maxEncodes < 1) {
    throw new RangeError('auditPhoto: inconsistent options (minLuma ≤ maxLuma, targetBytes ≤ maxOutputBytes, maxEncodes ≥ 1)');
  }
  return opts;
}
