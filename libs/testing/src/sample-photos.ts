import sharp from 'sharp';

// ---------------------------------------------------------------------------
// Test photos, drawn with sharp: a plain background, shoulders, hair and a
// face ellipse composited from SVG, mid-frequency texture on the person and
// fine noise everywhere (so the JPEG is > 30 KB and not "upscaled").
// ---------------------------------------------------------------------------

export type Rgb = readonly [number, number, number];

export interface PhotoSpec {
  width?: number;
  height?: number;
  background?: Rgb;
  /** Paints the right half of the background in this colour. */
  rightHalf?: Rgb;
  skin?: Rgb;
  hair?: Rgb;
  shirt?: Rgb;
  /** Amplitude of the uniform noise on every pixel. */
  noise?: number;
  /** Amplitude of the texture on the person. */
  texture?: number;
  format?: 'jpeg' | 'png';
  quality?: number;
  /** Draw at this size, then enlarge to width × height. */
  upscaleFrom?: readonly [number, number];
  seed?: number;
}

export const WHITE: Rgb = [250, 250, 250];
export const BLUE: Rgb = [67, 142, 219];
export const RED: Rgb = [215, 25, 30];

export function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

const rgb = (c: Rgb): string => `rgb(${c.join(',')})`;

async function drawRaw(spec: PhotoSpec, w: number, h: number): Promise<Buffer> {
  const background = spec.background ?? WHITE;
  const parts: string[] = [];
  if (spec.rightHalf) parts.push(`<rect x="${w / 2}" y="0" width="${w / 2}" height="${h}" fill="${rgb(spec.rightHalf)}"/>`);
  parts.push(`<ellipse cx="${w / 2}" cy="${h}" rx="${w * 0.46}" ry="${h * 0.3}" fill="${rgb(spec.shirt ?? [35, 45, 80])}"/>`);
  parts.push(`<ellipse cx="${w / 2}" cy="${h * 0.33}" rx="${w * 0.21}" ry="${h * 0.15}" fill="${rgb(spec.hair ?? [40, 28, 22])}"/>`);
  parts.push(`<ellipse cx="${w / 2}" cy="${h * 0.42}" rx="${w * 0.18}" ry="${h * 0.17}" fill="${rgb(spec.skin ?? [222, 170, 140])}"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
  const data = await sharp({ create: { width: w, height: h, channels: 3, background: { r: background[0], g: background[1], b: background[2] } } })
    .composite([{ input: Buffer.from(svg) }])
    .removeAlpha()
    .raw()
    .toBuffer();

  const rnd = random(spec.seed ?? 1);
  const tw = Math.ceil(w / 3);
  const th = Math.ceil(h / 3);
  const coarse = Buffer.alloc(tw * th);
  for (let i = 0; i < coarse.length; i += 1) coarse[i] = Math.round(rnd() * 255);
  const texture = await sharp(coarse, { raw: { width: tw, height: th, channels: 1 } }).resize(w, h, { fit: 'fill' }).raw().toBuffer();
  const textureAmplitude = spec.texture ?? 20;
  const noise = spec.noise ?? 8;
  for (let i = 0, p = 0; p < data.length; i += 1, p += 3) {
    const onBackground =
      Math.abs(data[p] - background[0]) + Math.abs(data[p + 1] - background[1]) + Math.abs(data[p + 2] - background[2]) < 12;
    const t = onBackground ? 0 : ((texture[i] - 128) / 128) * textureAmplitude;
    const n = (rnd() * 2 - 1) * noise;
    for (let c = 0; c < 3; c += 1) {
      const v = data[p + c] + t + n;
      data[p + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
  return data;
}

const photoCache = new Map<string, Promise<Buffer>>();

export function makePhoto(spec: PhotoSpec = {}): Promise<Buffer> {
  const key = JSON.stringify(spec);
  let photo = photoCache.get(key);
  if (!photo) {
    photo = (async () => {
      const width = spec.width ?? 600;
      const height = spec.height ?? 800;
      const [w, h] = spec.upscaleFrom ?? [width, height];
      let image = sharp(await drawRaw(spec, w, h), { raw: { width: w, height: h, channels: 3 } });
      if (spec.upscaleFrom) {
        const enlarged = await image.resize(width, height, { fit: 'fill' }).raw().toBuffer();
        image = sharp(enlarged, { raw: { width, height, channels: 3 } });
      }
      return spec.format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: spec.quality ?? 90 }).toBuffer();
    })();
    photoCache.set(key, photo);
  }
  return photo;
}

