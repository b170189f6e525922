/**
 * One column of a multi-row statement (`value` of every row) as a single bind parameter of type
 * `text[]`, in PostgreSQL's binary array format (node-postgres sends a Buffer parameter as
 * binary). The statement declares the parameter `$n::text[]` and casts the elements where the
 * column has another type (`u.version::int`), so PostgreSQL still parses and checks every value.
 *
 * A JavaScript array parameter becomes an array literal in node-postgres: every element quoted
 * and escaped, the whole literal encoded to UTF-8 again, and parsed once more by the server. This
 * writes each string once, as UTF-8, behind its length; on the tens of thousands of values of a
 * projection chunk that is a good part of the client's and the server's work.
 */
export function textArray<T>(rows: readonly T[], value: (row: T) => string | number | boolean | null | undefined): Buffer {
  let size = HEADER;
  let hasNull = 0;
  const texts = new Array<string | null>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = value(rows[i]!);
    if (v === null || v === undefined) {
      texts[i] = null;
      hasNull = 1;
      size += 4;
    } else {
      const s = typeof v === 'string' ? v : String(v);
      texts[i] = s;
      // At most three bytes of UTF-8 per UTF-16 unit (a surrogate pair: two units, four bytes).
      size += 4 + s.length * 3;
    }
  }
  const buffer = Buffer.allocUnsafe(size);
  // Dimensions, has-nulls flag, element type; then the length and lower bound of the dimension.
  buffer.writeInt32BE(rows.length === 0 ? 0 : 1, 0);
  buffer.writeInt32BE(hasNull, 4);
  buffer.writeUInt32BE(TEXT_OID, 8);
  if (rows.length === 0) return buffer.subarray(0, 12);
  buffer.writeInt32BE(rows.length, 12);
  buffer.writeInt32BE(1, 16);
  let offset = HEADER;
  for (let i = 0; i < texts.length; i++) {
    const s = texts[i]!;
    if (s === null) {
      buffer.writeInt32BE(-1, offset);
      offset += 4;
      continue;
    }
    const start = offset + 4;
    // Short ASCII strings (ids, codes, timestamps: most values) byte by byte; a native
    // Buffer#write call per value costs more than copying a few dozen characters.
    const length = s.length;
    let copied = 0;
    if (length <= SHORT) {
      for (; copied < length; copied++) {
        const code = s.charCodeAt(copied);
        if (code > 0x7f) break;
        buffer[start + copied] = code;
      }
    }
    const bytes = copied === length ? length : buffer.write(s, start);
    buffer.writeInt32BE(bytes, offset);
    offset = start + bytes;
  }
  return buffer.subarray(0, offset);
}

const TEXT_OID = 25;
const SHORT = 64;
const HEADER = 20;
