// Length-prefixed messages
// (https://github.com/grpc/grpc/blob/010decebd96922114400a6490f397367840db2d1/doc/PROTOCOL-HTTP2.md
// "Length-Prefixed-Message"): a flag byte (1 = compressed),
// a 4-byte big-endian length, then the payload. Message and DATA-frame boundaries are unrelated.
import { GrpcError, Status } from './status.js';

export interface Frame {
  compressed: boolean;
  payload: Uint8Array;
}

export const FRAME_HEADER_BYTES = 5;

export function frameHeader(length: number, compressed = false): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  header[0] = compressed ? 1 : 0;
  new DataView(header.buffer).setUint32(1, length);
  return header;
}

export function encodeFrame(payload: Uint8Array, compressed = false): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out[0] = compressed ? 1 : 0;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Splits a byte stream into messages at any chunk boundary. A message inside one chunk is returned as a
 * subarray of it (no copy); only messages that straddle chunks are buffered, and a length over the limit
 * fails before anything is buffered.
 */
export class FrameDecoder {
  readonly maxMessageSize: number;
  #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #compressed = false;

  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  /** True while part of a message has been received (a stream ending now is truncated). */
  get hasPartial(): boolean {
    return this.#headerFill > 0 || this.#body !== undefined;
  }

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#body !== undefined) {
        const take = Math.min(this.#body.length - this.#bodyFill, chunk.length - at);
        this.#body.set(chunk.subarray(at, at + take), this.#bodyFill);
        this.#bodyFill += take;
        at += take;
        if (this.#bodyFill === this.#body.length) {
          frames.push({ compressed: this.#compressed, payload: this.#body });
          this.#body = undefined;
        }
        continue;
      }
      if (this.#headerFill === 0 && chunk.length - at >= FRAME_HEADER_BYTES) {
        // Fast path: the whole header is in this chunk.
        const compressed = this.#flag(chunk[at]!);
        const length = readLength(chunk, at + 1);
        this.#checkLength(length);
        at += FRAME_HEADER_BYTES;
        if (chunk.length - at >= length) {
          frames.push({ compressed, payload: chunk.subarray(at, at + length) });
          at += length;
        } else {
          this.#startBody(compressed, length);
        }
        continue;
      }
      const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - at);
      this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
      this.#headerFill += take;
      at += take;
      if (this.#headerFill === FRAME_HEADER_BYTES) {
        this.#headerFill = 0;
        const compressed = this.#flag(this.#header[0]!);
        const length = readLength(this.#header, 1);
        this.#checkLength(length);
        if (length === 0) frames.push({ compressed, payload: new Uint8Array(0) });
        else this.#startBody(compressed, length);
      }
    }
    return frames;
  }

  #startBody(compressed: boolean, length: number): void {
    this.#compressed = compressed;
    this.#body = new Uint8Array(length);
    this.#bodyFill = 0;
  }

  #flag(byte: number): boolean {
    if (byte > 1) throw new GrpcError(Status.INTERNAL, `invalid message flag ${byte}: a gRPC message starts with 0 or 1`);
    return byte === 1;
  }

  #checkLength(length: number): void {
    if (length > this.maxMessageSize) {
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${this.maxMessageSize})`);
    }
  }
}

function readLength(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}
