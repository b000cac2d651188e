// Writing one length-prefixed message to an HTTP/2 stream, shared by server and client.
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
