import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import contentType from 'content-type';
import getRawBody from 'raw-body';

/** Why a body could not be read; each maps to one problem answer (intake-app.ts). */
export type BodyRefusal =
  /** Over the limit, compressed or not (413). */
  | 'too-large'
  /** A Content-Encoding other than identity, gzip, deflate or br (415). */
  | 'unsupported-encoding'
  /** A charset other than UTF-8 (415). */
  | 'unsupported-charset'
  /** Compressed bytes that do not decompress: corrupt or truncated (400). */
  | 'corrupt-encoding'
  /** Bytes that are not UTF-8 (400). */
  | 'invalid-utf8'
  /** UTF-8 that is not JSON (400). */
  | 'malformed-json'
  /** The client stopped sending, or sent fewer bytes than Content-Length said (400). */
  | 'incomplete';

export type JsonBody =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly refusal: BodyRefusal };

/**
 * A Map, not an object literal: `encoding in {…}` is true for `constructor` or `toString`, and
 * the fuzz scenario's Content-Encoding: constructor reached a 500 that way.
 */
const DECOMPRESSORS: ReadonlyMap<string, (() => NodeJS.ReadWriteStream) | undefined> = new Map([
  ['identity', undefined],
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);

/**
 * One decoder for every request: a decode without `stream` starts afresh, and a fatal one that
 * throws is reset as well. Constructing one per request was a noticeable part of the intake's CPU.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON request body without ever guessing: the bytes are decompressed as the
 * Content-Encoding says, must be UTF-8 (a `charset` parameter, if any, must say so), and are
 * decoded with a fatal decoder, so nothing is ever stored as U+FFFD. The limit applies to the
 * decompressed bytes, so a small compression bomb is refused as too large.
 *
 * koa-bodyparser (co-body) does neither: it decodes any charset iconv knows, replaces invalid
 * bytes silently, and lets zlib's errors through as 500s. The contract requires a refusal.
 */
export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<JsonBody> {
  const charset = charsetOf(request);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    return refuse('unsupported-charset');

  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase() || 'identity';
  if (!DECOMPRESSORS.has(encoding)) return refuse('unsupported-encoding');
  const decompressor = DECOMPRESSORS.get(encoding);

  let bytes: Buffer;
  try {
    if (decompressor === undefined) {
      const declared = request.headers['content-length'];
      bytes = await getRawBody(request, {
        limit: limitBytes,
        ...(declared !== undefined ? { length: declared } : {}),
      });
    } else {
      bytes = await readDecompressed(request, decompressor(), limitBytes);
    }
  } catch (error) {
    return refuse(refusalOf(error));
  }

  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return refuse('invalid-utf8');
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return refuse('malformed-json');
  }
}

function refuse(refusal: BodyRefusal): JsonBody {
  return { ok: false, refusal };
}

function charsetOf(request: IncomingMessage): string | undefined {
  try {
    return contentType.parse(request).parameters.charset?.toLowerCase();
  } catch {
    // The media type was checked before; a parameter list it cannot parse names no charset.
    return undefined;
  }
}

async function readDecompressed(
  request: IncomingMessage,
  decompressor: NodeJS.ReadWriteStream,
  limitBytes: number,
): Promise<Buffer> {
  const output = decompressor as unknown as Readable;
  // A request that errors or stops must end the decompressor too, or the read would wait forever.
  request.on('error', (error) => output.destroy(error));
  request.on('aborted', () =>
    output.destroy(Object.assign(new Error('request aborted'), { type: 'request.aborted' })),
  );
  request.pipe(decompressor);
  try {
    return await getRawBody(output, { limit: limitBytes });
  } finally {
    request.unpipe(decompressor);
    output.destroy();
  }
}

function refusalOf(error: unknown): BodyRefusal {
  const e = error as { type?: unknown; code?: unknown; errno?: unknown };
  if (e.type === 'entity.too.large') return 'too-large';
  if (e.type === 'request.aborted' || e.type === 'request.size.invalid') return 'incomplete';
  // zlib: Z_DATA_ERROR, Z_BUF_ERROR (truncated), ERR_BROTLI_* and the like.
  if (typeof e.code === 'string' && (e.code.startsWith('Z_') || e.code.includes('BROTLI')))
    return 'corrupt-encoding';
  if (typeof e.errno === 'number' && e.errno < 0) return 'corrupt-encoding';
  throw error;
}
