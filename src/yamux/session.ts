// A yamux session over one connection (hashicorp/yamux spec.md, pinned:
// https://github.com/hashicorp/yamux/blob/v0.1.2/spec.md), with Go's defaults (mux.go DefaultConfig):
// 256-stream accept backlog, a keepalive Ping every 30 s answered within 10 s, 256 KiB stream windows,
// 75 s for a peer to acknowledge a stream we open. Any protocol error ends the session with
// GoAway(protocol error), as Go does; the framing rules live in frame.ts, window.ts and stream-state.ts.
import { noop } from '../noop.js';
import type { Duplex } from 'node:stream';
import { encodeHeader, Flag, FrameReader, FrameType, GoAwayCode, headerError, INITIAL_STREAM_WINDOW, isClientStreamId, MAX_UINT32, type FrameHeader } from './frame.js';
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
  const role = options.role;
  const backlog = options.acceptBacklog ?? DEFAULT_BACKLOG;
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const openTimeoutMs = options.streamOpenTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const maxWindow = options.maxStreamWindow ?? INITIAL_STREAM_WINDOW;
  if (maxWindow < INITIAL_STREAM_WINDOW || maxWindow > MAX_UINT32) throw new RangeError(`maxStreamWindow must be from ${INITIAL_STREAM_WINDOW} to ${MAX_UINT32}`);

  const streams = new Map<number, YamuxStream>();
  const acceptQueue: YamuxStream[] = [];
  const acceptWaiters: Array<{ resolve: (s: YamuxStream) => void; reject: (e: Error) => void }> = [];
  const pings = new Map<number, () => void>();
  const reader = new FrameReader();
  let nextId = role === 'client' ? 1 : 2;
  let nextPing = 0;
  let localGoAway = false;
  let remoteGoAway = false;
  let closed = false;
  let ending: Error | undefined;
  /** The stream the payload now arriving belongs to; undefined while a payload is skipped. */
  let payloadTarget: YamuxStream | undefined;
  let endAfterPayload = false;
  let writable = true;
  const drainWaiters: Array<() => void> = [];
  let resolveDone!: (err: Error | undefined) => void;
  const done = new Promise<Error | undefined>((resolve) => (resolveDone = resolve));

  const send = (header: Buffer, payload?: Uint8Array): void => {
    if (closed || conn.destroyed) return;
    let ok: boolean;
    if (payload && payload.length > 0) {
      conn.cork();
      conn.write(header);
      ok = conn.write(payload);
      conn.uncork();
    } else {
      ok = conn.write(header);
    }
    if (!ok) writable = false;
  };
  conn.on('drain', () => {
    writable = true;
    for (const waiter of drainWaiters.splice(0)) waiter();
  });

  const link: StreamLink = {
    maxWindow,
    maxFrame: MAX_DATA_FRAME,
    send,
    whenWritable(fn) {
      if (writable || closed) fn();
      else drainWaiters.push(fn);
    },
    get closed() {
      return closed;
    },
    forget(id) {
      streams.delete(id);
    },
  };

  const fail = (err: Error | undefined, goAwayCode?: number): void => {
    if (closed) return;
    if (goAwayCode !== undefined) send(encodeHeader(FrameType.GoAway, 0, 0, goAwayCode));
    closed = true;
    ending = err;
    clearInterval(keepAlive);
    for (const stream of streams.values()) stream.sessionEnded();
    streams.clear();
    const rejection = err ?? new Error('the yamux session is closed');
    for (const waiter of acceptWaiters.splice(0)) waiter.reject(rejection);
    for (const stream of acceptQueue.splice(0)) stream.sessionEnded();
    for (const wake of drainWaiters.splice(0)) wake();
    for (const answer of pings.values()) answer();
    pings.clear();
    if (!conn.destroyed) conn.end(() => conn.destroy());
    conn.on('error', noop);
    resolveDone(err);
  };
  const protocolError = (message: string): void => fail(new YamuxProtocolError(message), GoAwayCode.ProtocolError);

  function incoming(id: number): boolean {
    if (localGoAway) {
      send(encodeHeader(FrameType.WindowUpdate, Flag.RST, id, 0));
      return true;
    }
    if (isClientStreamId(id) === (role === 'client')) {
      protocolError(`the peer opened stream ${id}, an id only this side may open (the ${role} opens ${role === 'client' ? 'odd' : 'even'} ids)`);
      return false;
    }
    if (streams.has(id)) {
      protocolError(`the peer opened stream ${id} again while it is still open`);
      return false;
    }
    if (!options.onStream && acceptQueue.length >= backlog) {
      // Go resets the stream and keeps the session (session.go incomingStream).
      send(encodeHeader(FrameType.WindowUpdate, Flag.RST, id, 0));
      return true;
    }
    const stream = new YamuxStream(link, id, 'synReceived');
    streams.set(id, stream);
    if (options.onStream) {
      stream.acknowledge();
      options.onStream(stream);
    } else {
      const waiter = acceptWaiters.shift();
      if (waiter) {
        stream.acknowledge();
        waiter.resolve(stream);
      } else acceptQueue.push(stream);
    }
    return true;
  }

  function onStreamFrame(header: FrameHeader): void {
    const { type, flags, streamId, length } = header;
    if (flags & Flag.SYN && !incoming(streamId)) return;
    const stream = streams.get(streamId);
    if (!stream) {
      // Most likely a stream we reset: its payload is skipped (Go does the same).
      payloadTarget = undefined;
      return;
    }
    const error = stream.remoteFlags(flags, type === FrameType.Data && length > 0);
    if (error) return protocolError(`stream ${streamId}: ${error}`);
    if (type === FrameType.WindowUpdate) {
      if (!stream.grantSendWindow(length)) protocolError(`stream ${streamId}: a window update of ${length} bytes overflows the 32-bit send window`);
      return;
    }
    if (length === 0) return;
    if (!stream.reserveReceive(length)) {
      return protocolError(`stream ${streamId}: a ${length}-byte data frame exceeds the ${stream.receiveWindow}-byte receive window`);
    }
    payloadTarget = stream;
    endAfterPayload = (flags & Flag.FIN) !== 0;
  }

  function onHeader(header: FrameHeader): void {
    const error = headerError(header);
    if (error) return protocolError(error);
    switch (header.type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        return onStreamFrame(header);
      case FrameType.Ping:
        if (header.flags & Flag.SYN) send(encodeHeader(FrameType.Ping, Flag.ACK, 0, header.length));
        else if (header.flags & Flag.ACK) {
          const answer = pings.get(header.length);
          pings.delete(header.length);
          answer?.();
        }
        return;
      case FrameType.GoAway:
        if (header.length === GoAwayCode.Normal) {
          remoteGoAway = true;
          return;
        }
        return fail(new Error(header.length === GoAwayCode.ProtocolError ? 'the peer ended the yamux session: it saw a protocol error' : header.length === GoAwayCode.InternalError ? 'the peer ended the yamux session: internal error' : `the peer ended the yamux session with unknown GoAway code ${header.length}`));
    }
  }

  conn.on('data', (chunk: Buffer) => {
    if (closed) return;
    for (const event of reader.push(chunk)) {
      if (closed) return;
      if (event.t === 'header') onHeader(event.header);
      else if (payloadTarget) {
        const target = payloadTarget;
        target.receive(event.bytes);
        if (event.last) {
          payloadTarget = undefined;
          if (endAfterPayload) target.remoteEnd();
        }
      }
    }
  });
  conn.on('end', () => fail(undefined));
  conn.on('error', (err) => fail(err));
  conn.on('close', () => fail(undefined));

  const keepAliveMs = options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_MS;
  const keepAlive =
    keepAliveMs === false
      ? undefined
      : setInterval(() => {
          session.ping().catch(() => fail(new Error(`yamux keepalive failed: no Ping answer within ${pingTimeoutMs} ms`)));
        }, keepAliveMs);
  keepAlive?.unref?.();

  const session: YamuxSession = {
    role,
    open(openOptions = {}) {
      if (closed) throw new Error('the yamux session is closed');
      if (remoteGoAway) throw new Error('the peer sent GoAway: it accepts no new yamux streams');
      if (nextId >= MAX_UINT32 - 1) throw new Error('the yamux session has used every stream id; open a new session');
      const id = nextId;
      nextId += 2;
      const stream = new YamuxStream(link, id, 'init');
      streams.set(id, stream);
      if (openOptions.after) stream.holdUntil(openOptions.after);
      else stream.acknowledge();
      const timer = setTimeout(() => {
        if (!stream.established && !closed) fail(new Error(`the peer did not acknowledge yamux stream ${id} within ${openTimeoutMs} ms`));
      }, openTimeoutMs);
      timer.unref?.();
      stream.once('established', () => clearTimeout(timer));
      stream.once('close', () => clearTimeout(timer));
      return stream;
    },
    accept() {
      if (closed) return Promise.reject(ending ?? new Error('the yamux session is closed'));
      const queued = acceptQueue.shift();
      if (queued) {
        queued.acknowledge();
        return Promise.resolve(queued);
      }
      return new Promise((resolve, reject) => acceptWaiters.push({ resolve, reject }));
    },
    ping() {
      if (closed) return Promise.reject(new Error('the yamux session is closed'));
      const id = nextPing;
      nextPing = (nextPing + 1) >>> 0;
      const started = performance.now();
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          pings.delete(id);
          reject(new Error(`no yamux Ping answer within ${pingTimeoutMs} ms`));
        }, pingTimeoutMs);
        timer.unref?.();
        pings.set(id, () => {
          clearTimeout(timer);
          if (closed) reject(new Error('the yamux session is closed'));
          else resolve(performance.now() - started);
        });
        send(encodeHeader(FrameType.Ping, Flag.SYN, 0, id));
      });
    },
    goAway() {
      if (closed || localGoAway) return;
      localGoAway = true;
      send(encodeHeader(FrameType.GoAway, 0, 0, GoAwayCode.Normal));
    },
    close() {
      if (!closed) {
        localGoAway = true;
        fail(undefined, GoAwayCode.Normal);
      }
      return done.then(() => {});
    },
    get closed() {
      return closed;
    },
    done,
    get streams() {
      return streams.size;
    },
  };
  return session;
}

