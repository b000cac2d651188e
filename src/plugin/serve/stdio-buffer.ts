// A bounded queue for a plugin's redirected stdout/stderr output, held until the host drains it
// through GRPCStdio/StreamStdio (docs/protocol.md#stdout-stderr-and-logs).
//
// Policy: only redirected output (console.log and other stray stdout writes after the handshake)
// is queued here. The plugin's own log lines go straight to the real stderr, which the host reads
// as its log channel, so logs are never lost; stray output is, oldest first, when nobody drains it.
// A Go plugin blocks the writer instead; a Node plugin cannot block console.log, hence the bound.

export type StdioChannel = 'stdout' | 'stderr';

export interface StdioChunk {
  channel: StdioChannel;
  data: Uint8Array;
}

export interface StdioQueue {
  /** Queues a copy of `bytes`. Empty writes are ignored, as go-plugin skips empty chunks. */
  push(channel: StdioChannel, bytes: Uint8Array): void;
  /** Everything queued, in order, in chunks of at most STDIO_CHUNK_BYTES; empties the queue. */
  drain(): StdioChunk[];
  /** Bytes waiting. */
  readonly size: number;
  /** Bytes dropped since creation because the queue was full. */
  readonly dropped: number;
}

/** go-plugin's stdio stream reads and sends at most 1024 bytes per StdioData message. */
export const STDIO_CHUNK_BYTES = 1024;

export function createStdioQueue({ maxBytes }: { maxBytes: number }): StdioQueue {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new Error(`maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  }
  let segments: StdioChunk[] = [];
  let size = 0;
  let dropped = 0;

  // Drops whole segments, then the front of the next, until `size` fits.
  const trim = () => {
    while (size > maxBytes) {
      const first = segments[0]!;
      const excess = size - maxBytes;
      if (first.data.length <= excess) {
        segments.shift();
        size -= first.data.length;
        dropped += first.data.length;
      } else {
        first.data = first.data.subarray(excess);
        size -= excess;
        dropped += excess;
      }
    }
  };

  return {
    push(channel, bytes) {
      if (bytes.length === 0) return;
      segments.push({ channel, data: bytes.slice() });
      size += bytes.length;
      trim();
    },
    drain() {
      const chunks = chunked(segments);
      segments = [];
      size = 0;
      return chunks;
    },
    get size() {
      return size;
    },
    get dropped() {
      return dropped;
    },
  };
}

/** Adjacent writes to one channel share a chunk of at most STDIO_CHUNK_BYTES, as Go's 1024-byte reads of a pipe would. */
function chunked(segments: StdioChunk[]): StdioChunk[] {
  const chunks: StdioChunk[] = [];
  let current: { channel: StdioChannel; parts: Uint8Array[]; length: number } | undefined;
  const flush = () => {
    if (current === undefined) return;
    chunks.push({ channel: current.channel, data: concat(current.parts, current.length) });
    current = undefined;
  };
  for (const { channel, data } of segments) {
    let offset = 0;
    while (offset < data.length) {
      if (current !== undefined && (current.channel !== channel || current.length === STDIO_CHUNK_BYTES)) flush();
      current ??= { channel, parts: [], length: 0 };
      const take = Math.min(STDIO_CHUNK_BYTES - current.length, data.length - offset);
      current.parts.push(data.subarray(offset, offset + take));
      current.length += take;
      offset += take;
    }
  }
  flush();
  return chunks;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!.slice();
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
