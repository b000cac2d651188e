// The message pipeline shared by server and client. Reading: DATA chunks -> length-prefixed frames
// (limits checked before anything is buffered, see framing.ts) -> decompress -> deserialize. Writing:
// serialize -> size limit -> compress -> prefix and payload written together -> drain.
import { errorMessage } from '../errors.js';
import type { Http2Stream } from 'node:http2';
import { COMPRESSION_MIN_BYTES, compress, decompress, type Encoding } from './compression.js';
import { FRAME_HEADER_BYTES, FrameDecoder, frameHeader } from './framing.js';
import { GrpcError, Status } from './status.js';

/** Which side's messages: it names them in error texts ("cannot decode the request message"). */
export type MessageKind = 'request' | 'response';

/** Receives each decoded message; a method on a long-lived object, so no closure is made per call. */
export interface MessageSink<T> {
  message(value: T, compressed: boolean): void;
}

export class MessageReader<T> {
  /** Made when a chunk is not exactly whole messages: most unary requests arrive as one DATA frame. */
  #decoder: FrameDecoder | undefined;
  readonly #maxMessageSize: number;
  readonly #deserialize: (bytes: Uint8Array) => T;
  readonly #kind: MessageKind;
  /** The stream's grpc-encoding; the client learns it from the response headers, after construction. */
  encoding: string | undefined;

  constructor(deserialize: (bytes: Uint8Array) => T, maxMessageSize: number, kind: MessageKind, encoding?: string) {
    this.#maxMessageSize = maxMessageSize;
    this.#deserialize = deserialize;
    this.#kind = kind;
    this.encoding = encoding;
  }

  /** True while part of a message has been received: a stream ending now is truncated. */
  get hasPartial(): boolean {
    return this.#decoder?.hasPartial ?? false;
  }

  /** Hands every message completed by `chunk` to `sink`; throws a GrpcError for a bad or oversized one. */
  push(chunk: Uint8Array, sink: MessageSink<T>): void {
    if (this.#decoder === undefined && chunk.length >= FRAME_HEADER_BYTES) {
      // One whole, valid message in the chunk: delivered without the decoder. Anything else (a bad flag,
      // an oversized length, more or less than one message) goes to the decoder, which owns those rules.
      const flag = chunk[0]!;
      const length = ((chunk[1]! << 24) >>> 0) + (chunk[2]! << 16) + (chunk[3]! << 8) + chunk[4]!;
      if (flag <= 1 && length <= this.#maxMessageSize && chunk.length === FRAME_HEADER_BYTES + length) {
        this.#deliver(chunk.subarray(FRAME_HEADER_BYTES), flag === 1, sink);
        return;
      }
    }
    const frames = (this.#decoder ??= new FrameDecoder(this.#maxMessageSize)).push(chunk);
    for (let i = 0; i < frames.length; i++) this.#deliver(frames[i]!.payload, frames[i]!.compressed, sink);
  }

  #deliver(payload: Uint8Array, compressed: boolean, sink: MessageSink<T>): void {
    if (compressed) payload = decompress(this.encoding, payload, this.#maxMessageSize);
    let message: T;
    try {
      message = this.#deserialize(toBuffer(payload));
    } catch (err) {
      throw new GrpcError(Status.INTERNAL, `cannot decode the ${this.#kind} message: ${errorMessage(err)}`);
    }
    sink.message(message, compressed);
  }
}

/** One message ready for the wire: its payload (compressed when `compressed`). */
export interface EncodedMessage {
  payload: Uint8Array;
  compressed: boolean;
}

/**
 * Serializes and checks one message. `encoding` undefined (or a message under COMPRESSION_MIN_BYTES,
 * docs/node-http2.md#compression-threshold) sends it uncompressed.
 */
export function encodeMessage<T>(
  serialize: (value: T) => Uint8Array,
  value: T,
  maxSend: number,
  encoding: Encoding | undefined,
  kind: MessageKind,
): EncodedMessage {
  let payload: Uint8Array;
  try {
    payload = serialize(value ?? ({} as T));
  } catch (err) {
    throw new GrpcError(Status.INTERNAL, `cannot encode the ${kind} message: ${errorMessage(err)}`);
  }
  if (payload.length > maxSend) {
    throw new GrpcError(Status.RESOURCE_EXHAUSTED, `sent message larger than max (${payload.length} vs. ${maxSend})`);
  }
  if (encoding && encoding !== 'identity' && payload.length >= COMPRESSION_MIN_BYTES) {
    return { payload: compress(encoding, payload), compressed: true };
  }
  return { payload, compressed: false };
}

/** Messages up to this size go out with their prefix in one buffer: one write, one DATA frame. */
const SMALL_MESSAGE_BYTES = 16 * 1024;

function smallFrame(payload: Uint8Array, compressed: boolean): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame[0] = compressed ? 1 : 0;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Writes the 5-byte prefix and the payload; returns write()'s backpressure signal. Small messages are
 * copied into one buffer: cheaper than two corked writes, and never a separate zero-length write, which
 * Node could leave pending when the peer answered and reset the stream first (the call then hung).
 * Large ones go as two corked writes (no copy of the payload).
 */
export function writeMessage(stream: Http2Stream, payload: Uint8Array, compressed: boolean): boolean {
  if (payload.length <= SMALL_MESSAGE_BYTES) return stream.write(smallFrame(payload, compressed));
  stream.cork();
  stream.write(frameHeader(payload.length, compressed));
  const ok = stream.write(payload);
  stream.uncork();
  return ok;
}

/** Writes the last message and ends the stream's writable side in the same call. */
export function endWithMessage(stream: Http2Stream, payload: Uint8Array, compressed: boolean): void {
  if (payload.length <= SMALL_MESSAGE_BYTES) {
    stream.end(smallFrame(payload, compressed));
    return;
  }
  writeMessage(stream, payload, compressed);
  stream.end();
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
