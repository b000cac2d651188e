// yamux framing (hashicorp/yamux spec.md, pinned:
// https://github.com/hashicorp/yamux/blob/v0.1.2/spec.md): a 12-byte big-endian header
//   version(1) type(1) flags(2) streamId(4) length(4)
// followed, for Data frames only, by `length` payload bytes. Pure: no runtime module imported.

export const YAMUX_VERSION = 0;
export const HEADER_BYTES = 12;
/** Every stream starts with this receive window, and Go's MaxStreamWindowSize defaults to it. */
export const INITIAL_STREAM_WINDOW = 256 * 1024;
export const MAX_UINT32 = 0xffffffff;

export const FrameType = { Data: 0, WindowUpdate: 1, Ping: 2, GoAway: 3 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const Flag = { SYN: 0x1, ACK: 0x2, FIN: 0x4, RST: 0x8 } as const;

/** GoAway's length field: why the session ends. */
export const GoAwayCode = { Normal: 0, ProtocolError: 1, InternalError: 2 } as const;

export interface FrameHeader {
  version: number;
  type: number;
  flags: number;
  streamId: number;
  /** Data: payload bytes. WindowUpdate: window delta. Ping: opaque value. GoAway: code. */
  length: number;
}

export function encodeHeader(type: FrameType, flags: number, streamId: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES);
  bytes[0] = YAMUX_VERSION;
  bytes[1] = type;
  bytes.writeUInt16BE(flags & 0xffff, 2);
  bytes.writeUInt32BE(streamId >>> 0, 4);
  bytes.writeUInt32BE(length >>> 0, 8);
  return bytes;
}

export function decodeHeader(bytes: Uint8Array, offset = 0): FrameHeader {
  if (bytes.length - offset < HEADER_BYTES) throw new RangeError(`a yamux header is ${HEADER_BYTES} bytes, got ${bytes.length - offset}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, HEADER_BYTES);
  return {
    version: view.getUint8(0),
    type: view.getUint8(1),
    flags: view.getUint16(2),
    streamId: view.getUint32(4),
    length: view.getUint32(8),
  };
}

/** Why a header cannot be accepted, or undefined. Go ends the session on either (session.go recvLoop). */
export function headerError(header: FrameHeader): string | undefined {
  if (header.version !== YAMUX_VERSION) return `unknown yamux version ${header.version} (only version ${YAMUX_VERSION} exists)`;
  if (header.type > FrameType.GoAway) return `unknown yamux frame type ${header.type}`;
  // Like Go, the stream id of Ping and GoAway is not checked, and a Data frame on stream 0 is one
  // for a stream that does not exist: its payload is skipped.
  return undefined;
}

/** True when `streamId` is one the client opens (odd) rather than the server (even). */
export function isClientStreamId(streamId: number): boolean {
  return streamId % 2 === 1;
}

export type FrameEvent =
  /** A complete header; a Data frame's payload follows as `data` events totalling `length` bytes. */
  | { t: 'header'; header: FrameHeader }
  | { t: 'data'; streamId: number; bytes: Uint8Array; last: boolean };

/**
 * Splits a byte stream into frames however it was cut into reads: a header may arrive one byte at a
 * time, a payload in any number of pieces, several frames in one read. Payload bytes are passed on as
 * they arrive (views into the input, not copies), so a frame never needs reassembling.
 */
export class FrameReader {
  private partial = Buffer.alloc(HEADER_BYTES);
  private have = 0;
  private payloadLeft = 0;
  private payloadStream = 0;

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - at);
        this.payloadLeft -= n;
        events.push({ t: 'data', streamId: this.payloadStream, bytes: chunk.subarray(at, at + n), last: this.payloadLeft === 0 });
        at += n;
        continue;
      }
      const n = Math.min(HEADER_BYTES - this.have, chunk.length - at);
      this.partial.set(chunk.subarray(at, at + n), this.have);
      this.have += n;
      at += n;
      if (this.have < HEADER_BYTES) break;
      this.have = 0;
      const header = decodeHeader(this.partial);
      events.push({ t: 'header', header });
      // A bad header ends the session; what follows it cannot be framed.
      if (headerError(header) !== undefined) return events;
      if (header.type === FrameType.Data && header.length > 0) {
        this.payloadLeft = header.length;
        this.payloadStream = header.streamId;
      }
    }
    return events;
  }
}
