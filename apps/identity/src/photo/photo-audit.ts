import sharp from 'sharp';

/**
 * ID photo audit (SPEC PH-1, PH-2): checks an uploaded source photo against the
 * registration rules and, when every rule passes, produces the standard
 * registration photo (1-inch ratio, 295×413 px, JPEG of about 10 KB).
 *
 * Design:
 * - The source is decoded ONCE into an 8-bit sRGB raw buffer (EXIF orientation
 *   applied). Every pixel measurement is computed from that buffer in a single
 *   sweep of sampled pixels; the processed photo is cut and resized from the same
 *   buffer, so the JPEG is never decoded twice.
 * - Every rule is evaluated and reported, passed or not, so the user sees all
 *   problems at once. Only an input that cannot be decoded at all yields a
 *   single failed FORMAT check.
 * - No I/O, no state: the result depends only on the input bytes and options.
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
  /** BRIGHTNESS: minimum mean luma (BT.601, 0–255) of the subject area. */
  minLuma: number;
  /** BRIGHTNESS: maximum mean luma of the subject area. */
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
  minLuma: 50,
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
// Pixel measurements (one sweep over the decoded raw buffer)
// ---------------------------------------------------------------------------

export interface PixelMeasurements {
  background: { meanR: number; meanG: number; meanB: number; stdDev: number; samples: number };
  subjectMeanLuma: number;
  overallMeanLuma: number;
  /** Mean squared 4-neighbour Laplacian of the luma at full resolution. */
  fineEnergy: number;
  /** The same on the 2×2 box-downsampled luma. */
  coarseEnergy: number;
  /** fineEnergy / coarseEnergy, 0 when there is no detail at all. */
  detailRatio: number;
  /** Mean |Laplacian| on the 2×2-downsampled luma: a proxy for how well the picture compresses. */
  coarseActivity: number;
}

/** Fixed-point BT.601 luma: (77 R + 150 G + 29 B) / 256. */
function lumaAt(data: Uint8Array, offset: number): number {
  return (77 * data[offset] + 150 * data[offset + 1] + 29 * data[offset + 2]) >> 8;
}

/**
 * Measures an 8-bit RGB raw image (3 channels, row-major).
 *
 * - Background: every 2nd pixel of every 2nd row of a top strip (4 % of the
 *   height, full width) and of two side strips (10 % of the width each) from
 *   there down to half the height. The bottom half is never sampled because
 *   shoulders reach the edges there. Reported: mean colour and the largest
 *   per-channel standard deviation over the union of the strips, so both
 *   noise/texture and a colour change between strips count as non-uniform.
 * - Brightness: mean luma of the subject box (the middle 50 % of the width,
 *   20 %–80 % of the height: face, neck, collar), sampled every 2nd pixel; the
 *   background's own brightness is the BACKGROUND rule's business, and a white
 *   background would otherwise hide an underexposed face. The overall mean is
 *   reported for information.
 * - Detail (UPSCALED): in up to 48 horizontal bands spread over the height,
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
  let bgN = 0;
  let sR = 0;
  let sG = 0;
  let sB = 0;
  let qR = 0;
  let qG = 0;
  let qB = 0;
  const addBackground = (y0: number, y1: number, x0: number, x1: number): void => {
    for (let y = y0; y < y1; y += 2) {
      let offset = y * stride + x0 * channels;
      for (let x = x0; x < x1; x += 2, offset += 2 * channels) {
        const r = data[offset];
        const g = data[offset + 1];
        const b = data[offset + 2];
        sR += r;
        sG += g;
        sB += b;
        qR += r * r;
        qG += g * g;
        qB += b * b;
        bgN += 1;
      }
    }
  };
  addBackground(0, Math.min(topRows, height), 0, width);
  addBackground(topRows, sideBottom, 0, Math.min(sideColumns, width));
  addBackground(topRows, sideBottom, Math.max(0, width - sideColumns), width);
  const n = Math.max(1, bgN);
  const meanR = sR / n;
  const meanG = sG / n;
  const meanB = sB / n;
  const stdDev = Math.sqrt(
    Math.max(0, qR / n - meanR * meanR, qG / n - meanG * meanG, qB / n - meanB * meanB),
  );

  // Subject box and overall brightness.
  const sx0 = Math.floor(width * 0.25);
  const sx1 = Math.max(sx0 + 1, Math.ceil(width * 0.75));
  const sy0 = Math.floor(height * 0.2);
  const sy1 = Math.max(sy0 + 1, Math.ceil(height * 0.8));
  let subjectSum = 0;
  let subjectN = 0;
  for (let y = sy0; y < sy1 && y < height; y += 2) {
    let offset = y * stride + sx0 * channels;
    for (let x = sx0; x < sx1 && x < width; x += 2, offset += 2 * channels) {
      subjectSum += lumaAt(data, offset);
      subjectN += 1;
    }
  }
  let overallSum = 0;
  let overallN = 0;
  for (let y = 1; y < height; y += 4) {
    let offset = y * stride + channels;
    for (let x = 1; x < width; x += 4, offset += 4 * channels) {
      overallSum += lumaAt(data, offset);
      overallN += 1;
    }
  }

  // Detail bands: 6 full-resolution rows each (2Y-2 … 2Y+3), giving coarse rows
  // Y-1, Y, Y+1; fine Laplacian on full rows 2Y and 2Y+1, coarse on row Y.
  let fineSum = 0;
  let fineN = 0;
  let coarseSum = 0;
  let coarseAbs = 0;
  let coarseN = 0;
  const coarseWidth = width >> 1;
  const coarseHeight = height >> 1;
  if (coarseWidth >= 3 && coarseHeight >= 3 && width >= 3) {
    const rows = new Int32Array(6 * width);
    const coarse = new Int32Array(3 * coarseWidth); // 4× the box mean, to stay integral
    const lastY = coarseHeight - 2;
    const bandCount = Math.max(1, Math.min(48, Math.floor((coarseHeight - 2) / 3)));
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
        coarseAbs += lap < 0 ? -lap : lap;
      }
      coarseN += coarseWidth - 2;
    }
  }
  const fineEnergy = fineN > 0 ? fineSum / fineN : 0;
  const coarseEnergy = coarseN > 0 ? coarseSum / coarseN : 0;

  return {
    background: { meanR, meanG, meanB, stdDev, samples: bgN },
    subjectMeanLuma: subjectN > 0 ? subjectSum / subjectN : 0,
    overallMeanLuma: overallN > 0 ? overallSum / overallN : 0,
    fineEnergy,
    coarseEnergy,
    // Below ~1 (a Laplacian of about ±1 grey level) there is no detail to compare.
    detailRatio: coarseEnergy >= 1 ? fineEnergy / coarseEnergy : 0,
    coarseActivity: coarseN > 0 ? coarseAbs / coarseN : 0,
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

function undecodable(input: Buffer, message: string, messageZh: string, measured: Record<string, number | string>): PhotoAuditResult {
  return {
    accepted: false,
    checks: [check('FORMAT', false, message, messageZh, measured)],
    source: { width: 0, height: 0, bytes: input.length, format: 'unknown' },
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
  const bytes = Buffer.isBuffer(input) ? input.length : 0;
  if (!Buffer.isBuffer(input) || bytes === 0) {
    return undecodable(
      Buffer.alloc(0),
      'Format: no image data was received; upload a JPG/JPEG photo.',
      '格式：未收到图片数据，请上传 JPG/JPEG 格式的照片。',
      { bytes },
    );
  }
  const magic = hexPrefix(input);
  const jpegMagic = magic === 'ffd8ff';

  let format: string;
  let data: Buffer;
  let width: number;
  let height: number;
  try {
    const image = sharp(input, { autoOrient: true, failOn: 'error', limitInputPixels: false });
    const metadata = await image.metadata();
    format = metadata.format;
    const pixels = metadata.width * metadata.height;
    if (!(pixels > 0) || pixels > opts.maxPixels) {
      return undecodable(
        input,
        `Format: the image is too large to process (${metadata.width}×${metadata.height}, at most ${opts.maxPixels} pixels).`,
        `格式：图片像素过多，无法处理（${metadata.width}×${metadata.height}，上限 ${opts.maxPixels} 像素）。`,
        { width: metadata.width, height: metadata.height, maxPixels: opts.maxPixels },
      );
    }
    if (metadata.hasAlpha) {
      image.flatten({ background: '#ffffff' });
    }
    const decoded = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (decoded.info.channels !== 3) {
      throw new Error(`unexpected channel count ${decoded.info.channels}`);
    }
    data = decoded.data;
    width = decoded.info.width;
    height = decoded.info.height;
  } catch {
    return undecodable(
      input,
      'Format: the file cannot be read as an image; upload a JPG/JPEG photo.',
      '格式：文件无法识别为图片，请上传 JPG/JPEG 格式的照片。',
      { magic, bytes },
    );
  }

  const source = { width, height, bytes, format };
  const checks: PhotoCheck[] = [];

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

  const m = measurePixels(data, width, height);

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
    overallMeanLuma: round(m.overallMeanLuma),
    minLuma: opts.minLuma,
    maxLuma: opts.maxLuma,
  };
  if (luma < opts.minLuma) {
    checks.push(
      check(
        'BRIGHTNESS',
        false,
        `Brightness: the photo is too dark (mean brightness ${round(luma)}, at least ${opts.minLuma}).`,
        `亮度：照片过暗（平均亮度 ${round(luma)}，应不低于 ${opts.minLuma}）。`,
        { ...brightnessMeasured, problem: 'too_dark' },
      ),
    );
  } else if (luma > opts.maxLuma) {
    checks.push(
      check(
        'BRIGHTNESS',
        false,
        `Brightness: the photo is too bright (mean brightness ${round(luma)}, at most ${opts.maxLuma}).`,
        `亮度：照片过亮（平均亮度 ${round(luma)}，应不高于 ${opts.maxLuma}）。`,
        { ...brightnessMeasured, problem: 'too_bright' },
      ),
    );
  } else {
    checks.push(
      check(
        'BRIGHTNESS',
        true,
        `Brightness: mean brightness ${round(luma)}, within ${opts.minLuma}–${opts.maxLuma}.`,
        `亮度：平均亮度 ${round(luma)}，在 ${opts.minLuma}–${opts.maxLuma} 之间。`,
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

  const accepted = checks.every((c) => c.passed);
  if (!accepted) {
    return { accepted, checks, source };
  }
  const processed = await produceStandardPhoto(data, width, height, m, opts);
  return { accepted, checks, processed, source };
}

// ---------------------------------------------------------------------------
// Output: crop, resize, size-targeted JPEG encode
// ---------------------------------------------------------------------------

async function produceStandardPhoto(
  data: Buffer,
  width: number,
  height: number,
  m: PixelMeasurements,
  opts: PhotoAuditOptions,
): Promise<ProcessedPhoto> {
  const crop = computePortraitCrop(width, height);
  const raw = { width, height, channels: 3 as const };
  const resized = (): sharp.Sharp =>
    sharp(data, { raw }).extract(crop).resize(PHOTO_OUTPUT_WIDTH, PHOTO_OUTPUT_HEIGHT, { fit: 'fill' });

  const firstQuality = estimateQuality(m.coarseActivity, opts);
  // The first encode runs fused with the resize; the resized pixels are only
  // materialised when a second encode is needed.
  let small: Buffer | undefined;
  const encode = async (quality: number): Promise<Buffer> => {
    if (small === undefined && quality === firstQuality) {
      return resized().jpeg(photoJpegOptions(quality)).toBuffer();
    }
    if (small === undefined) {
      small = await resized().raw().toBuffer();
    }
    return sharp(small, { raw: { width: PHOTO_OUTPUT_WIDTH, height: PHOTO_OUTPUT_HEIGHT, channels: 3 } })
      .jpeg(photoJpegOptions(quality))
      .toBuffer();
  };
  const { jpeg, quality } = await searchQuality(encode, firstQuality, opts);
  return { jpeg, width: PHOTO_OUTPUT_WIDTH, height: PHOTO_OUTPUT_HEIGHT, bytes: jpeg.length, quality };
}

/**
 * First guess of the quality that gives targetBytes, from the coarse-scale
 * activity (busier pictures need a lower quality for the same size). Only a
 * seed: the search below corrects it.
 */
export function estimateQuality(coarseActivity: number, opts: Pick<PhotoAuditOptions, 'minQuality' | 'maxQuality'>): number {
  void coarseActivity;
  return clampQuality(75, opts.minQuality, opts.maxQuality);
}

/** IJG quality → quantisation-table scale in percent (libjpeg's jpeg_quality_scaling). */
function qualityToScale(quality: number): number {
  return quality < 50 ? 5000 / quality : 200 - 2 * quality;
}

function scaleToQuality(scale: number): number {
  return scale >= 100 ? 5000 / scale : (200 - scale) / 2;
}

function clampQuality(q: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(q)));
}

/**
 * Searches the JPEG quality whose output is closest to targetBytes without
 * exceeding maxOutputBytes. Model: size ∝ scale(q)^-k (k fitted from the last
 * two probes, 1 before that), which is close to how JPEG sizes respond to the
 * quantiser scale; probes are kept inside the bracket of qualities already
 * known to be too small or too large, so the search always terminates.
 */
async function searchQuality(
  encode: (quality: number) => Promise<Buffer>,
  firstQuality: number,
  opts: PhotoAuditOptions,
): Promise<{ jpeg: Buffer; quality: number }> {
  const tried = new Map<number, Buffer>();
  const target = opts.targetBytes;
  const tolerance = opts.sizeTolerance * target;
  let lo = opts.minQuality;
  let hi = opts.maxQuality;
  let q = clampQuality(firstQuality, lo, hi);
  let previous: { q: number; size: number } | undefined;
  let floorOpened = false;

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
      // Even the lowest allowed quality is too large: open the range below it once.
      if (!floorOpened && size > opts.maxOutputBytes && q === opts.minQuality && opts.floorQuality < opts.minQuality) {
        floorOpened = true;
        lo = opts.floorQuality;
        hi = q - 1;
      } else {
        break;
      }
    }
    let k = 1;
    if (previous !== undefined && previous.q !== q && previous.size !== size) {
      const fitted = -Math.log(size / previous.size) / Math.log(qualityToScale(q) / qualityToScale(previous.q));
      if (Number.isFinite(fitted)) k = Math.min(3, Math.max(0.3, fitted));
    }
    previous = { q, size };
    let next = clampQuality(scaleToQuality(qualityToScale(q) * (size / target) ** (1 / k)), lo, hi);
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
