// Message I/O on an HTTP/2 stream, shared by server and client: writing one length-prefixed message,
// waiting for 'drain', handing payloads to deserializers.
import type { Http2Stream } from 'node:http2';
import { FRAME_HEADER_BYTES, frameHeader } from './framing.js';

/** Messages up to this size go out with their prefix in one pooled buffer: one write, one DATA frame. */
const SMALL_MESSAGE_BYTES = 16 * 1024;

/**
 * Writes the 5-byte prefix and the payload; returns write()'s backpressure signal. Small messages are
 * copied into one buffer: cheaper than two corked writes, and never a separate zero-length write, which
 * Node could leave pending when the peer answered and reset the stream first (the call then hung).
 */
export function writeMessage(stream: Http2Stream, payload: Uint8Array, compressed: boolean): boolean {
  if (payload.length <= SMALL_MESSAGE_BYTES) {
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
    frame[0] = compressed ? 1 : 0;
    frame.writeUInt32BE(payload.length, 1);
    frame.set(payload, FRAME_HEADER_BYTES);
    return stream.write(frame);
  }
  stream.cork();
  stream.write(frameHeader(payload.length, compressed));
  const ok = stream.write(payload);
  stream.uncork();
  return ok;
}

/** Resolves on 'drain' or 'close'; rejects with the signal's reason when it aborts first. */
export function drained(stream: Http2Stream, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      signal?.removeEventListener('abort', done);
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    signal?.addEventListener('abort', done);
  });
}

/** grpc-js codegen deserializers call Buffer methods; a Buffer view over the same memory costs no copy. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
