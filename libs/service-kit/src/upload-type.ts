/**
 * The file types people upload as evidence (identity proof, payment vouchers, a case's reason
 * file): JPEG, PNG and PDF, recognised by their first bytes (the declared type must name the type
 * the bytes are; a file name or the declared type alone proves nothing).
 */
export const UPLOAD_TYPES = {
  'image/jpeg': { signature: [0xff, 0xd8, 0xff], ext: 'jpg' },
  // \x89 P N G \r \n \x1a \n
  'image/png': { signature: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], ext: 'png' },
  // %PDF-
  'application/pdf': { signature: [0x25, 0x50, 0x44, 0x46, 0x2d], ext: 'pdf' },
} as const satisfies Record<string, { signature: readonly number[]; ext: string }>;

export type UploadMediaType = keyof typeof UPLOAD_TYPES;

export const UPLOAD_MEDIA_TYPES = Object.keys(UPLOAD_TYPES) as UploadMediaType[];

/** What one kind of upload accepts. */
export interface UploadRule {
  /** The accepted types (default: JPEG, PNG and PDF). */
  types?: readonly UploadMediaType[];
  /** A body shorter than this is no file of an accepted type (default 16 bytes). */
  minBytes?: number;
  /** A larger body is refused as too large (default: only the server's body limit applies). */
  maxBytes?: number;
}

/**
 * Why an upload is refused: `empty` (no bytes), `type` (the declared type is not accepted, or the
 * bytes are not a file of that type), `too-large` (more than `maxBytes`).
 */
export type UploadRefusal = 'empty' | 'type' | 'too-large';

export type UploadCheck =
  | { ok: true; contentType: UploadMediaType; ext: string; bytes: number; content: Buffer }
  | { ok: false; refusal: UploadRefusal; maxBytes?: number };

const DEFAULT_MIN_BYTES = 16;

/** The media type of a Content-Type header, without parameters, lower-case (`''` when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The file extension of an accepted media type (`bin` for anything else). */
export function uploadExtension(contentType: string): string {
  return isUploadMediaType(contentType) ? UPLOAD_TYPES[contentType].ext : 'bin';
}

function isUploadMediaType(type: string): type is UploadMediaType {
  return Object.hasOwn(UPLOAD_TYPES, type);
}

/**
 * Checks an uploaded body against its declared Content-Type and the rule, in this order: the
 * declared type is accepted → there are bytes → the bytes start with the type's signature (and
 * are at least `minBytes` long) → not more than `maxBytes`. Pure: the caller turns a refusal into
 * its own error code.
 */
export function checkUpload(declaredContentType: string | undefined, body: unknown, rule: UploadRule = {}): UploadCheck {
  const type = mediaTypeOf(declaredContentType);
  const accepted = rule.types ?? UPLOAD_MEDIA_TYPES;
  if (!isUploadMediaType(type) || !accepted.includes(type) || !Buffer.isBuffer(body)) return { ok: false, refusal: 'type' };
  if (body.length === 0) return { ok: false, refusal: 'empty' };
  const { signature, ext } = UPLOAD_TYPES[type];
  if (body.length < (rule.minBytes ?? DEFAULT_MIN_BYTES) || !signature.every((b, i) => body[i] === b)) return { ok: false, refusal: 'type' };
  if (rule.maxBytes !== undefined && body.length > rule.maxBytes) return { ok: false, refusal: 'too-large', maxBytes: rule.maxBytes };
  return { ok: true, contentType: type, ext, bytes: body.length, content: body };
}

/** The headers a stored upload is served with (the reply is anything with Fastify's `header`). */
interface FileReply {
  header(name: string, value: string): FileReply;
  send(payload: Buffer): unknown;
}

/**
 * Serves a stored upload: its own (checked) type, shown inline under `filename`, never cached on
 * the way, and never sniffed into another type by the browser.
 */
export async function sendUpload(reply: FileReply, file: { contentType: string; filename: string; content: Buffer }): Promise<void> {
  await reply
    .header('content-type', file.contentType)
    .header('content-disposition', `inline; filename="${file.filename}"`)
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .send(file.content);
}
