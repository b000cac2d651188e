// A yamux session over one connection (hashicorp/yamux spec.md, pinned:
// https://github.com/hashicorp/yamux/blob/v0.1.2/spec.md), with Go's defaults (mux.go DefaultConfig):
// 256-stream accept backlog, a keepalive Ping every 30 s answered within 10 s, 256 KiB stream windows,
// 75 s for a peer to acknowledge a stream we open. Any protocol error ends the session with
// GoAway(protocol error), as Go does; the framing rules live in frame.ts, window.ts and stream-state.ts.
//
// One Session per connection, laid out as Go's session.go: opening and accepting streams, Ping and
// keepalive, GoAway and the end, then the frames from the peer (recvLoop, handleStreamMessage,
// incomingStream). Writes go through frame-writer.ts, waiting Pings live in pings.ts, streams the
// peer opened wait for accept() in accept-queue.ts.
import { noop } from '../noop.js';
import type { Duplex } from 'node:stream';
import { AcceptQueue } from './accept-queue.js';
import { encodeHeader, Flag, FrameReader, FrameType, GoAwayCode, headerError, INITIAL_STREAM_WINDOW, isClientStreamId, MAX_UINT32, type FrameHeader } from './frame.js';
import { FrameWriter } from './frame-writer.js';
import { Pings } from './pings.js';
import { YamuxStream, type StreamLink } from './stream.js';

export interface SessionOptions {
  /** The client opens odd stream ids, the server even ones. */
  role: 'client' | 'server';
  /** Streams the peer opened that are not yet accepted; more are reset (default 256). */
  acceptBacklog?: number;
  /** Ping the peer this often (default 30 000 ms); `false`: never. */
  keepAliveIntervalMs?: number | false;
  /** How long a Ping may wait for its answer (default 10 000 ms, Go's ConnectionWriteTimeout). */
  pingTimeoutMs?: number;
  /** How long a stream we open may wait for the peer's ACK before the session is closed (default 75 000 ms). */
  streamOpenTimeoutMs?: number;
  /** Receive window per stream, at least 256 KiB (default 256 KiB). */
  maxStreamWindow?: number;
  /** Gets every stream the peer opens at once, instead of queuing it for accept(). */
  onStream?(stream: YamuxStream): void;
}

export interface YamuxSession {
  readonly role: 'client' | 'server';
  /**
   * Opens a stream; its SYN goes out at once (or once `after` resolves) and writes may follow before
   * the peer's ACK.
   */
  open(options?: { after?: Promise<unknown> }): YamuxStream;
  /** The next stream the peer opens. Rejects once the session has ended. */
  accept(): Promise<YamuxStream>;
  /** Round-trip time of one Ping, in ms. */
  ping(): Promise<number>;
  /** Tells the peer to open no more streams (GoAway normal); streams it opens after that are reset. */
  goAway(): void;
  /** GoAway, then closes the connection; every stream ends. */
  close(): Promise<void>;
  readonly closed: boolean;
  /** Settles when the session ends: undefined after close() or the peer's orderly end, else the reason. */
  readonly done: Promise<Error | undefined>;
  /** Streams open now. */
  readonly streams: number;
}

/** A protocol violation by the peer; the session sent GoAway(protocol error) and ended. */
export class YamuxProtocolError extends Error {
  override name = 'YamuxProtocolError';
}

const DEFAULT_BACKLOG = 256;
const DEFAULT_KEEPALIVE_MS = 30_000;
const DEFAULT_PING_TIMEOUT_MS = 10_000;
const DEFAULT_OPEN_TIMEOUT_MS = 75_000;
const MAX_DATA_FRAME = 64 * 1024;

export function createSession(conn: Duplex, options: SessionOptions): YamuxSession {
  const session = new Session(conn, options);
  // A plain object, as before: its methods may be passed around unbound, and the session's
  // internals (the writer, the stream table) stay out of reach.
  return {
    role: session.role,
    open: (openOptions) => session.open(openOptions),
    accept: () => session.accept(),
    ping: () => session.ping(),
    goAway: () => session.goAway(),
    close: () => session.close(),
    get closed() {
      return session.closed;
    },
    done: session.done,
    get streams() {
      return session.streams;
    },
  };
}

class Session implements YamuxSession {
  readonly role: 'client' | 'server';
  readonly done: Promise<Error | undefined>;
  private readonly conn: Duplex;
  private readonly options: SessionOptions;
  private readonly openTimeoutMs: number;
  private readonly pingTimeoutMs: number;
  private readonly writer: FrameWriter;
  /** What every stream of this session sends and asks through. */
  private readonly link: StreamLink;
  private readonly table = new Map<number, YamuxStream>();
  private readonly accepts: AcceptQueue;
  private readonly pings: Pings;
  private readonly reader = new FrameReader();
  private readonly keepAlive: ReturnType<typeof setInterval> | undefined;
  private resolveDone!: (err: Error | undefined) => void;
  private nextId: number;
  private localGoAway = false;
  private remoteGoAway = false;
  private ended = false;
  private ending: Error | undefined;
  /** The stream the payload now arriving belongs to; undefined while a payload is skipped. */
  private payloadTarget: YamuxStream | undefined;
  private endAfterPayload = false;

  constructor(conn: Duplex, options: SessionOptions) {
    const maxWindow = options.maxStreamWindow ?? INITIAL_STREAM_WINDOW;
    if (maxWindow < INITIAL_STREAM_WINDOW || maxWindow > MAX_UINT32) throw new RangeError(`maxStreamWindow must be from ${INITIAL_STREAM_WINDOW} to ${MAX_UINT32}`);
    this.conn = conn;
    this.role = options.role;
    this.options = options;
    this.openTimeoutMs = options.streamOpenTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
    this.pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    this.nextId = this.role === 'client' ? 1 : 2;
    this.writer = new FrameWriter(conn);
    this.link = this.streamLink(maxWindow);
    this.accepts = new AcceptQueue(options.acceptBacklog ?? DEFAULT_BACKLOG);
    this.pings = new Pings(this.pingTimeoutMs, (id) => this.writer.send(encodeHeader(FrameType.Ping, Flag.SYN, 0, id)));
    this.done = new Promise<Error | undefined>((resolve) => (this.resolveDone = resolve));
    conn.on('data', (chunk: Buffer) => this.onData(chunk));
    conn.on('end', () => this.end(undefined));
    conn.on('error', (err) => this.end(err));
    conn.on('close', () => this.end(undefined));
    this.keepAlive = this.startKeepAlive(options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_MS);
  }

  private streamLink(maxWindow: number): StreamLink {
    const writer = this.writer;
    const ended = () => this.ended;
    return {
      maxWindow,
      maxFrame: MAX_DATA_FRAME,
      send: (header, payload) => writer.send(header, payload),
      whenWritable: (fn) => writer.whenWritable(fn),
      get closed() {
        return ended();
      },
      forget: (id) => void this.table.delete(id),
    };
  }

  get closed(): boolean {
    return this.ended;
  }

  get streams(): number {
    return this.table.size;
  }

  // Streams this side opens and streams the peer opens (session.go OpenStream, AcceptStream).

  open(openOptions: { after?: Promise<unknown> } = {}): YamuxStream {
    if (this.ended) throw new Error('the yamux session is closed');
    if (this.remoteGoAway) throw new Error('the peer sent GoAway: it accepts no new yamux streams');
    if (this.nextId >= MAX_UINT32 - 1) throw new Error('the yamux session has used every stream id; open a new session');
    const id = this.nextId;
    this.nextId += 2;
    const stream = new YamuxStream(this.link, id, 'init');
    this.table.set(id, stream);
    if (openOptions.after) stream.holdUntil(openOptions.after);
    else stream.acknowledge();
    this.awaitAck(stream);
    return stream;
  }

  /** A stream we open must be acknowledged in time; if not, the session ends, as Go's does (session.go setOpenTimeout). */
  private awaitAck(stream: YamuxStream): void {
    const timer = setTimeout(() => {
      if (!stream.established && !this.ended) this.end(new Error(`the peer did not acknowledge yamux stream ${stream.id} within ${this.openTimeoutMs} ms`));
    }, this.openTimeoutMs);
    timer.unref?.();
    stream.once('established', () => clearTimeout(timer));
    stream.once('close', () => clearTimeout(timer));
  }

  accept(): Promise<YamuxStream> {
    if (this.ended) return Promise.reject(this.ending ?? new Error('the yamux session is closed'));
    return this.accepts.take();
  }

  // Ping and keepalive (session.go Ping, keepalive).

  ping(): Promise<number> {
    if (this.ended) return Promise.reject(new Error('the yamux session is closed'));
    return this.pings.start();
  }

  private startKeepAlive(intervalMs: number | false): ReturnType<typeof setInterval> | undefined {
    if (intervalMs === false) return undefined;
    const timer = setInterval(() => {
      this.ping().catch(() => this.end(new Error(`yamux keepalive failed: no Ping answer within ${this.pingTimeoutMs} ms`)));
    }, intervalMs);
    timer.unref?.();
    return timer;
  }

  // GoAway and the end (session.go GoAway, Close, exitErr).

  goAway(): void {
    if (this.ended || this.localGoAway) return;
    this.localGoAway = true;
    this.writer.send(encodeHeader(FrameType.GoAway, 0, 0, GoAwayCode.Normal));
  }

  close(): Promise<void> {
    if (!this.ended) {
      this.localGoAway = true;
      this.end(undefined, GoAwayCode.Normal);
    }
    return this.done.then(() => {});
  }

  /** Ends the session once: GoAway(`goAwayCode`) when given, every stream, accept() and Ping ends, the connection closes. */
  private end(err: Error | undefined, goAwayCode?: number): void {
    if (this.ended) return;
    if (goAwayCode !== undefined) this.writer.send(encodeHeader(FrameType.GoAway, 0, 0, goAwayCode));
    this.ended = true;
    this.ending = err;
    clearInterval(this.keepAlive);
    for (const stream of this.table.values()) stream.sessionEnded();
    this.table.clear();
    this.accepts.end(err ?? new Error('the yamux session is closed'));
    this.writer.stop();
    this.pings.end();
    if (!this.conn.destroyed) this.conn.end(() => this.conn.destroy());
    this.conn.on('error', noop);
    this.resolveDone(err);
  }

  private protocolError(message: string): void {
    this.end(new YamuxProtocolError(message), GoAwayCode.ProtocolError);
  }

  // Frames from the peer (session.go recvLoop, handleStreamMessage, handlePing, handleGoAway).

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    for (const event of this.reader.push(chunk)) {
      if (this.ended) return;
      if (event.t === 'header') this.onHeader(event.header);
      else if (this.payloadTarget) {
        const target = this.payloadTarget;
        target.receive(event.bytes);
        if (event.last) {
          this.payloadTarget = undefined;
          if (this.endAfterPayload) target.remoteEnd();
        }
      }
    }
  }

  private onHeader(header: FrameHeader): void {
    const error = headerError(header);
    if (error) return this.protocolError(error);
    switch (header.type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        return this.onStreamFrame(header);
      case FrameType.Ping:
        if (header.flags & Flag.SYN) this.writer.send(encodeHeader(FrameType.Ping, Flag.ACK, 0, header.length));
        else if (header.flags & Flag.ACK) this.pings.answered(header.length);
        return;
      case FrameType.GoAway:
        if (header.length === GoAwayCode.Normal) {
          this.remoteGoAway = true;
          return;
        }
        return this.end(new Error(goAwayReason(header.length)));
    }
  }

  /** A Data or WindowUpdate frame: its flags move the stream's state, its length is payload or window. */
  private onStreamFrame(header: FrameHeader): void {
    const { type, flags, streamId, length } = header;
    if (flags & Flag.SYN && !this.incoming(streamId)) return;
    const stream = this.table.get(streamId);
    if (!stream) {
      // Most likely a stream we reset: its payload is skipped (Go does the same).
      this.payloadTarget = undefined;
      return;
    }
    const error = stream.remoteFlags(flags, type === FrameType.Data && length > 0);
    if (error) return this.protocolError(`stream ${streamId}: ${error}`);
    if (type === FrameType.WindowUpdate) {
      if (!stream.grantSendWindow(length)) this.protocolError(`stream ${streamId}: a window update of ${length} bytes overflows the 32-bit send window`);
      return;
    }
    if (length === 0) return;
    if (!stream.reserveReceive(length)) {
      return this.protocolError(`stream ${streamId}: a ${length}-byte data frame exceeds the ${stream.receiveWindow}-byte receive window`);
    }
    this.payloadTarget = stream;
    this.endAfterPayload = (flags & Flag.FIN) !== 0;
  }

  /** A SYN from the peer: a new stream, reset, or a protocol error (false: the session ended). */
  private incoming(id: number): boolean {
    const role = this.role;
    if (this.localGoAway) {
      this.writer.send(encodeHeader(FrameType.WindowUpdate, Flag.RST, id, 0));
      return true;
    }
    if (isClientStreamId(id) === (role === 'client')) {
      this.protocolError(`the peer opened stream ${id}, an id only this side may open (the ${role} opens ${role === 'client' ? 'odd' : 'even'} ids)`);
      return false;
    }
    if (this.table.has(id)) {
      this.protocolError(`the peer opened stream ${id} again while it is still open`);
      return false;
    }
    if (!this.options.onStream && this.accepts.full) {
      // Go resets the stream and keeps the session (session.go incomingStream).
      this.writer.send(encodeHeader(FrameType.WindowUpdate, Flag.RST, id, 0));
      return true;
    }
    const stream = new YamuxStream(this.link, id, 'synReceived');
    this.table.set(id, stream);
    if (this.options.onStream) {
      stream.acknowledge();
      this.options.onStream(stream);
    } else this.accepts.offer(stream);
    return true;
  }
}

function goAwayReason(code: number): string {
  if (code === GoAwayCode.ProtocolError) return 'the peer ended the yamux session: it saw a protocol error';
  if (code === GoAwayCode.InternalError) return 'the peer ended the yamux session: internal error';
  return `the peer ended the yamux session with unknown GoAway code ${code}`;
}
