// Message compression (https://github.com/grpc/grpc/blob/083528559254fa16e5ca2e4518f298a0dcb2a0b3/doc/compression.md):
// identity, gzip and deflate. Output is capped so a
// small compressed message cannot expand past the receive limit (a decompression bomb).
import { errorMessage } from '../errors.js';
import type zlibTypes from 'node:zlib';
import { GrpcError, Status } from './status.js';
import { builtinModule } from './lazy-require.js';

let zlibModule: typeof zlibTypes | undefined;
/** node:zlib is loaded on first use: most go-plugin calls are never compressed, and it costs ~2.5 ms at start-up. */
function zlib(): typeof zlibTypes {
  zlibModule ??= builtinModule<typeof zlibTypes>('node:zlib');
  return zlibModule;
}

export type Encoding = 'identity' | 'gzip' | 'deflate';
export const SUPPORTED_ENCODINGS: readonly Encoding[] = ['identity', 'gzip', 'deflate'];
export const ACCEPT_ENCODING = SUPPORTED_ENCODINGS.join(',');
/**
 * Smaller messages are sent uncompressed even when compression was agreed (docs/node-http2.md#compression-threshold).
 */
export const COMPRESSION_MIN_BYTES = 1024;

export function isSupportedEncoding(name: string): name is Encoding {
  return (SUPPORTED_ENCODINGS as readonly string[]).includes(name);
}

/** The names in a `grpc-accept-encoding` value. */
export function parseAcceptEncoding(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

export function compress(encoding: Encoding, payload: Uint8Array): Uint8Array {
  if (encoding === 'gzip') return zlib().gzipSync(payload);
  if (encoding === 'deflate') return zlib().deflateSync(payload);
  return payload;
}

/** Decompresses a flagged message; `encoding` is the stream's grpc-encoding (docs/node-http2.md#compression). */
export function decompress(encoding: string | undefined, payload: Uint8Array, maxMessageSize: number): Uint8Array {
  if (encoding === undefined || encoding === 'identity') {
    throw new GrpcError(Status.INTERNAL, 'received a compressed message but no grpc-encoding was given for the stream');
  }
  const options = { maxOutputLength: Math.min(maxMessageSize + 1, 2 ** 31 - 1) };
  let out: Buffer;
  try {
    if (encoding === 'gzip') out = zlib().gunzipSync(payload, options);
    else if (encoding === 'deflate') out = zlib().inflateSync(payload, options);
    else throw new GrpcError(Status.UNIMPLEMENTED, `message compressed with unsupported encoding "${encoding}"`);
  } catch (err) {
    if (err instanceof GrpcError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max after decompression (limit ${maxMessageSize})`);
    }
    throw new GrpcError(Status.INTERNAL, `cannot decompress a ${encoding} message: ${errorMessage(err)}`);
  }
  if (out.length > maxMessageSize) {
    throw new GrpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max after decompression (${out.length} vs. ${maxMessageSize})`);
  }
  return out;
}
