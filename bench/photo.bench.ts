/**
 * Photo audit benchmark (SPEC PH-2).
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/photo.bench.js
 *
 * Environment: BENCH_PHOTOS (default 60) source photos; BENCH_RUNS (default 3);
 * BENCH_SHARP_CONCURRENCY (default: leave sharp's own setting).
 *
 * Generates varied valid ID photos in memory (about 600×800 JPEG, 60–150 KB)
 * and measures, in the same process, on the same images:
 * (a) bare: a plain sharp pipeline doing the same crop, resize to 295×413 and
 *     JPEG encode at the same quality the audit chose for that image (so the
 *     encode work is equal) and nothing else;
 * (b) audit: `auditPhoto` (decode, every rule, size-targeted encode).
 * Both run one photo at a time with the same sharp concurrency and the libvips
 * operation cache off (repeated runs over the same buffers must not hit it).
 * A warm-up pass runs first; then each measured run sends every photo through
 * both pipelines, interleaved photo by photo with alternating order, so that
 * background load on the machine affects both alike. photos/s of a pipeline =
 * photos ÷ its summed latency in a run; the median of the runs is reported,
 * with p50/p99 over all measured calls, and the process CPU time per photo
 * (main thread + libvips workers), which a busy machine disturbs less than
 * wall time. Prints a table and one JSON line.
 */
import sharp from 'sharp';
import {
  auditPhoto,
  computePortraitCrop,
  photoJpegOptions,
  PHOTO_OUTPUT_HEIGHT,
  PHOTO_OUTPUT_WIDTH,
} from '../apps/identity/src/photo/photo-audit';
import { random } from '@certhub/testing';

interface BenchPhoto {
  jpeg: Buffer;
  width: number;
  height: number;
  crop: { left: number; top: number; width: number; height: number };
  quality: number;
}

type Rgb = readonly [number, number, number];

function hex(colour: Rgb, factor = 1): string {
  return `#${colour
    .map((v) => Math.max(0, Math.min(255, Math.round(v * factor))).toString(16).padStart(2, '0'))
    .join('')}`;
}

const BACKGROUNDS: readonly Rgb[] = [
  [250, 250, 250],
  [242, 240, 236],
  [67, 142, 219],
  [40, 120, 210],
  [214, 28, 34],
  [190, 20, 30],
];

/**
 * A portrait: plain background, shoulders, neck, face with shading, hair, eyes,
 * brows, nose and mouth; mid-frequency texture on the person and fine sensor-like
 * noise everywhere, so the photo compresses like a camera photo and is not
 * "upscaled".
 */
async function makePhoto(index: number): Promise<Buffer> {
  const rnd = random(1000 + index * 7919);
  const width = 560 + Math.floor(rnd() * 80);
  const height = Math.round(width * (1.3 + rnd() * 0.1));
  const background = BACKGROUNDS[index % BACKGROUNDS.length];
  const skin: Rgb = [150 + rnd() * 90, 110 + rnd() * 70, 80 + rnd() * 60];
  const hair: Rgb = [20 + rnd() * 60, 15 + rnd() * 40, 10 + rnd() * 30];
  const shirt: Rgb = [rnd() * 120, rnd() * 120, 40 + rnd() * 120];
  const w = width;
  const h = height;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <defs><radialGradient id="face" cx="45%" cy="40%" r="60%">
    <stop offset="0" stop-color="${hex(skin, 1.06)}"/><stop offset="1" stop-color="${hex(skin, 0.82)}"/>
  </radialGradient></defs>
  <rect width="100%" height="100%" fill="${hex(background)}"/>
  <ellipse cx="${w * 0.5}" cy="${h}" rx="${w * 0.46}" ry="${h * 0.3}" fill="${hex(shirt)}"/>
  <path d="M ${w * 0.42} ${h * 0.72} L ${w * 0.5} ${h * 0.86} L ${w * 0.58} ${h * 0.72} Z" fill="#f0f0f0"/>
  <rect x="${w * 0.43}" y="${h * 0.52}" width="${w * 0.14}" height="${h * 0.2}" fill="${hex(skin, 0.85)}"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.33}" rx="${w * 0.21}" ry="${h * 0.15}" fill="${hex(hair)}"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.42}" rx="${w * 0.18}" ry="${h * 0.17}" fill="url(#face)"/>
  <path d="M ${w * 0.32} ${h * 0.36} Q ${w * 0.5} ${h * 0.22} ${w * 0.68} ${h * 0.36} L ${w * 0.68} ${h * 0.3} Q ${w * 0.5} ${h * 0.16} ${w * 0.32} ${h * 0.3} Z" fill="${hex(hair)}"/>
  <ellipse cx="${w * 0.43}" cy="${h * 0.41}" rx="${w * 0.03}" ry="${h * 0.012}" fill="#2a1d18"/>
  <ellipse cx="${w * 0.57}" cy="${h * 0.41}" rx="${w * 0.03}" ry="${h * 0.012}" fill="#2a1d18"/>
  <path d="M ${w * 0.39} ${h * 0.38} L ${w * 0.47} ${h * 0.375} M ${w * 0.53} ${h * 0.375} L ${w * 0.61} ${h * 0.38}" stroke="${hex(hair)}" stroke-width="${w * 0.012}"/>
  <path d="M ${w * 0.5} ${h * 0.42} L ${w * 0.48} ${h * 0.48} L ${w * 0.52} ${h * 0.48}" stroke="${hex(skin, 0.7)}" stroke-width="${w * 0.006}" fill="none"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.53}" rx="${w * 0.05}" ry="${h * 0.012}" fill="#b05050"/>
</svg>`;
  const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });

  // Mid-frequency texture: coarse random field, smoothly enlarged.
  const textureScale = 2 + rnd() * 2;
  const tw = Math.ceil(w / textureScale);
  const th = Math.ceil(h / textureScale);
  const coarse = Buffer.alloc(tw * th);
  for (let i = 0; i < coarse.length; i += 1) coarse[i] = Math.round(68 + rnd() * 120);
  const texture = await sharp(coarse, { raw: { width: tw, height: th, channels: 1 } })
    .resize(w, h, { fit: 'fill' })
    .raw()
    .toBuffer();
  const textureAmplitude = (14 + rnd() * 30) / 60;
  const noise = 3 + rnd() * 5;
  for (let i = 0, p = 0; p < data.length; i += 1, p += 3) {
    const onBackground =
      Math.abs(data[p] - background[0]) + Math.abs(data[p + 1] - background[1]) + Math.abs(data[p + 2] - background[2]) < 24;
    const t = onBackground ? 0 : (texture[i] - 128) * textureAmplitude;
    const n = (rnd() + rnd() - 1) * noise;
    for (let c = 0; c < 3; c += 1) {
      const v = data[p + c] + t + n;
      data[p + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 88 + Math.floor(rnd() * 6) })
    .toBuffer();
}

function bare(photo: BenchPhoto): Promise<Buffer> {
  return sharp(photo.jpeg)
    .autoOrient()
    .extract(photo.crop)
    .resize(PHOTO_OUTPUT_WIDTH, PHOTO_OUTPUT_HEIGHT, { fit: 'fill' })
    .jpeg(photoJpegOptions(photo.quality))
    .toBuffer();
}

async function audit(photo: BenchPhoto): Promise<void> {
  const result = await auditPhoto(photo.jpeg);
  if (!result.accepted) throw new Error('a bench photo was rejected during the measured runs');
}

interface Sample {
  /** Wall-clock latency, ms. */
  wall: number;
  /** CPU time of the whole process (main thread and libvips workers), ms. */
  cpu: number;
}

async function timed(task: () => Promise<unknown>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await task();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/**
 * One measured run: every photo through both pipelines, one call at a time,
 * interleaved photo by photo (the order alternating) so that load changes on
 * the machine hit both pipelines alike.
 */
async function measuredRun(photos: BenchPhoto[], run: number): Promise<{ bare: Sample[]; audit: Sample[] }> {
  const bareSamples: Sample[] = [];
  const auditSamples: Sample[] = [];
  for (let i = 0; i < photos.length; i += 1) {
    const photo = photos[i];
    if ((i + run) % 2 === 0) {
      bareSamples.push(await timed(() => bare(photo)));
      auditSamples.push(await timed(() => audit(photo)));
    } else {
      auditSamples.push(await timed(() => audit(photo)));
      bareSamples.push(await timed(() => bare(photo)));
    }
  }
  return { bare: bareSamples, audit: auditSamples };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function median(values: number[]): number {
  return percentile(values, 50);
}

function fixed(x: number, digits = 1): string {
  return x.toFixed(digits);
}

async function main(): Promise<void> {
  const count = Math.max(1, Number(process.env.BENCH_PHOTOS ?? 60) || 60);
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);
  if (process.env.BENCH_SHARP_CONCURRENCY) {
    sharp.concurrency(Number(process.env.BENCH_SHARP_CONCURRENCY));
  }
  const concurrency = sharp.concurrency();
  sharp.cache(false);

  const photos: BenchPhoto[] = [];
  let rejected = 0;
  let outOfRange = 0;
  for (let i = 0; photos.length < count; i += 1) {
    if (i >= count * 3) throw new Error(`only ${photos.length} of ${count} generated photos are usable`);
    const jpeg = await makePhoto(i);
    if (jpeg.length < 60 * 1024 || jpeg.length > 150 * 1024) {
      outOfRange += 1; // keep the sources within 60–150 KB
      continue;
    }
    // This first audit is also the warm-up of the audit path; it fixes the quality the bare pipeline uses.
    const result = await auditPhoto(jpeg);
    if (!result.accepted || !result.processed) {
      rejected += 1;
      continue;
    }
    const { width, height } = result.source;
    photos.push({ jpeg, width, height, crop: computePortraitCrop(width, height), quality: result.processed.quality });
  }
  // Warm-up of the bare path.
  for (const photo of photos.slice(0, 10)) await bare(photo);

  const runsMs: Array<{ bare: Sample[]; audit: Sample[] }> = [];
  for (let run = 0; run < runs; run += 1) {
    runsMs.push(await measuredRun(photos, run));
  }

  // photos/s of a run = photos ÷ the summed latency of that pipeline in the run.
  const rate = (samples: Sample[]): number => (samples.length * 1000) / samples.reduce((a, b) => a + b.wall, 0);
  const cpuPerPhoto = (samples: Sample[]): number => samples.reduce((a, b) => a + b.cpu, 0) / samples.length;
  const bareRates = runsMs.map((r) => rate(r.bare));
  const auditRates = runsMs.map((r) => rate(r.audit));
  const bareLatencies = runsMs.flatMap((r) => r.bare.map((x) => x.wall));
  const auditLatencies = runsMs.flatMap((r) => r.audit.map((x) => x.wall));
  const bareCpu = cpuPerPhoto(runsMs.flatMap((r) => r.bare));
  const auditCpu = cpuPerPhoto(runsMs.flatMap((r) => r.audit));
  const bareRate = median(bareRates);
  const auditRate = median(auditRates);
  const ratio = auditRate / bareRate;
  const sizes = photos.map((p) => p.jpeg.length);
  const qualities = photos.map((p) => p.quality);

  const rows: Array<[string, string, string, string, string, string]> = [
    ['pipeline', 'photos/s (runs)', 'photos/s (median)', 'p50 ms', 'p99 ms', 'CPU ms/photo'],
    ['bare sharp', bareRates.map((r) => fixed(r)).join(' / '), fixed(bareRate), fixed(percentile(bareLatencies, 50), 2), fixed(percentile(bareLatencies, 99), 2), fixed(bareCpu, 2)],
    ['auditPhoto', auditRates.map((r) => fixed(r)).join(' / '), fixed(auditRate), fixed(percentile(auditLatencies, 50), 2), fixed(percentile(auditLatencies, 99), 2), fixed(auditCpu, 2)],
  ];
  const widths = rows[0].map((_unused, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]): string => row.map((cell, c) => cell.padEnd(widths[c])).join(' | ');
  const out: string[] = [
    `photo bench: ${photos.length} photos ${Math.min(...photos.map((p) => p.width))}–${Math.max(...photos.map((p) => p.width))} × ` +
      `${Math.min(...photos.map((p) => p.height))}–${Math.max(...photos.map((p) => p.height))} px, ` +
      `${fixed(Math.min(...sizes) / 1024)}–${fixed(Math.max(...sizes) / 1024)} KB, quality chosen ${Math.min(...qualities)}–${Math.max(...qualities)}, ` +
      `sharp ${sharp.versions.sharp}, concurrency ${concurrency}, runs ${runs}`,
    line(rows[0]),
    widths.map((n) => '-'.repeat(n)).join('-|-'),
    line(rows[1]),
    line(rows[2]),
    `ratio audit ÷ bare = ${ratio.toFixed(3)} (goal ≥ 0.8); CPU time bare ÷ audit = ${(bareCpu / auditCpu).toFixed(3)}`,
    JSON.stringify({
      bench: 'photo',
      photos: photos.length,
      runs,
      sharpConcurrency: concurrency,
      sourceKbMin: +fixed(Math.min(...sizes) / 1024),
      sourceKbMax: +fixed(Math.max(...sizes) / 1024),
      generatedRejected: rejected,
      generatedOutOfRange: outOfRange,
      bare: { photosPerSecond: +fixed(bareRate, 2), runs: bareRates.map((r) => +fixed(r, 2)), p50Ms: +fixed(percentile(bareLatencies, 50), 3), p99Ms: +fixed(percentile(bareLatencies, 99), 3), cpuMsPerPhoto: +fixed(bareCpu, 3) },
      audit: { photosPerSecond: +fixed(auditRate, 2), runs: auditRates.map((r) => +fixed(r, 2)), p50Ms: +fixed(percentile(auditLatencies, 50), 3), p99Ms: +fixed(percentile(auditLatencies, 99), 3), cpuMsPerPhoto: +fixed(auditCpu, 3) },
      ratio: +ratio.toFixed(3),
      cpuRatio: +(bareCpu / auditCpu).toFixed(3),
      goal: 0.8,
      goalMet: ratio >= 0.8,
    }),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`photo bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
