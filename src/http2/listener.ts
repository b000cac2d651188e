// An HTTP/2 listener (h2c or TLS, unix socket or TCP) that tracks its sessions and sockets itself, so
// close() finishes even when peers sit idle: Node 20's server.close() never closes idle sessions and
// never calls back (docs/node-http2.md#idle-sessions-block-server-close).
import { noop } from '../noop.js';
import http2 from 'node:http2';
import type { Http2Session, IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream, Http2Server, Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { rm } from 'node:fs/promises';
import { type Address, parseAddress } from './address.js';
import type { TlsServerOptions } from './tls-options.js';
import { nodeTlsServerOptions } from './node-tls.js';

export type StreamHandler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: string[],
) => void;

export interface ListenOptions {
  tls?: TlsServerOptions;
  /** HTTP/2 SETTINGS to announce; merged over DEFAULT_SERVER_SETTINGS. */
  settings?: http2.Settings;
  /**
   * How long a connection may take to send the HTTP/2 preface and SETTINGS (default 20 s), and how
   * long a session may stay silent before it must answer a PING within the same time. A peer that
   * does neither is disconnected: silent sockets would otherwise hold descriptors forever.
   */
  handshakeTimeoutMs?: number;
  onStream: StreamHandler;
}

export interface Http2Listener {
  /** The bound address: port 0 is replaced by the port the system chose. */
  readonly address: Address;
  /** Sessions currently open. */
  readonly sessions: number;
  /**
   * GOAWAY to every session (two phases), let in-flight streams finish, destroy what is left after
   * `graceMs` (default: wait for the streams however long they take).
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Larger windows than HTTP/2's 64 KiB default so big messages are not throttled by round trips
 * (docs/node-http2.md#flow-control-windows).
 */
export const STREAM_WINDOW_BYTES = 1 << 20;
export const CONNECTION_WINDOW_BYTES = 8 << 20;
/**
 * Node counts a session's queued outgoing data against maxSessionMemory (10 MB by default) and, once
 * over it, refuses every new stream with ENHANCE_YOUR_CALM: one 12 MB message poisoned the session for
 * all later calls. Messages go up to 256 MiB (Terraform) or 2^31-1 bytes (Go hosts), and inbound data
 * stays bounded by the flow-control windows, so the limit is set far above any message size.
 */
export const SESSION_MEMORY_MB = 8192;

/** As grpc-go's 20 s connection timeout for the server handshake. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 20_000;
/**
 * Node accepts 128 header fields by default; our metadata budget (8 KiB at 32 bytes per entry) allows
 * 256, plus the pseudo-headers and gRPC's own. Above this Node resets the stream (ENHANCE_YOUR_CALM)
 * before the server sees it; between the budget and this, the server answers RESOURCE_EXHAUSTED.
 */
export const MAX_HEADER_LIST_PAIRS = 1024;
/** SETTINGS_MAX_HEADER_LIST_SIZE announced: a generous multiple of the 8 KiB metadata budget. */
export const MAX_HEADER_LIST_BYTES = 64 * 1024;

export const DEFAULT_SERVER_SETTINGS: Readonly<http2.Settings> = Object.freeze({
  initialWindowSize: STREAM_WINDOW_BYTES,
  maxHeaderListSize: MAX_HEADER_LIST_BYTES,
  // Bounds the memory a single peer can pin; Node's 10 MB maxSessionMemory otherwise answers
  // ENHANCE_YOUR_CALM under load (nodejs/node#27416).
  maxConcurrentStreams: 1000,
  enablePush: false,
});

/**
 * The largest stream id; the first GOAWAY of a graceful shutdown names it (gRPC
 * https://github.com/grpc/grpc/blob/010decebd96922114400a6490f397367840db2d1/doc/PROTOCOL-HTTP2.md, GOAWAY).
 */
const MAX_STREAM_ID = 2 ** 31 - 1;
/** How long to wait for the PING that separates the two GOAWAY frames before sending the second anyway. */
const GOAWAY_PING_WAIT_MS = 1000;

export async function listen(address: string | Address, options: ListenOptions): Promise<Http2Listener> {
  const target = typeof address === 'string' ? parseAddress(address) : address;
  const { server, sessions, sockets } = trackedServer(options, target.kind === 'tcp');
  await bind(server, target);
  const bound = boundAddress(server, target);

  let closing: Promise<void> | undefined;
  return {
    address: bound,
    get sessions() {
      return sessions.size;
    },
    close(graceMs?: number) {
      closing ??= shutDown(server, bound, sessions, sockets, graceMs);
      return closing;
    },
  };
}

/** HTTP/2 (or HTTP/2 over TLS) on connections that arrive some other way than a listening socket. */
export interface Http2ConnectionServer {
  /** Serves one connection, e.g. a yamux stream (go-plugin's multiplexing, see docs/protocol.md). */
  serve(connection: Duplex): void;
  readonly sessions: number;
  /** As Http2Listener.close; the connections served are closed too. */
  close(graceMs?: number): Promise<void>;
}

export function serveConnections(options: ListenOptions): Http2ConnectionServer {
  const { server, sessions, sockets } = trackedServer(options, false);
  let closing: Promise<void> | undefined;
  return {
    serve(connection) {
      if (closing) {
        connection.destroy();
        return;
      }
      // node:http2 and node:tls take any Duplex here; a non-socket one is wrapped (JSStreamSocket).
      server.emit('connection', connection);
    },
    get sessions() {
      return sessions.size;
    },
    close(graceMs?: number) {
      closing ??= shutDown(server, undefined, sessions, sockets, graceMs);
      return closing;
    },
  };
}

function trackedServer(options: ListenOptions, tcp: boolean) {
  const settings = { ...DEFAULT_SERVER_SETTINGS, ...options.settings };
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const server = options.tls
    ? createTlsServer(options.tls, settings, handshakeTimeoutMs)
    : http2.createServer({ settings, maxSessionMemory: SESSION_MEMORY_MB, maxHeaderListPairs: MAX_HEADER_LIST_PAIRS });
  const sessions = new Set<ServerHttp2Session>();
  const sockets = new Set<Socket>();

  // A missing 'error' listener anywhere crashes the process (docs/node-http2.md#missing-error-listeners): the server,
  // every session, and every
  // raw socket, including TLS sockets that fail before a session exists (nodejs/node#35824).
  server.on('error', noop);
  server.on('sessionError', noop);
  // The socket under each session, for the liveness check (docs/node-http2.md#a-sessions-socket-cannot-be-destroyed):
  // the one seen just before the session, forgotten right after Node's own listener, so a runtime that makes
  // sessions later gets none.
  let arriving: Duplex | undefined;
  const sessionSocketEvent = options.tls ? 'secureConnection' : 'connection';
  server.prependListener(sessionSocketEvent, (socket: Duplex) => (arriving = socket));
  server.on(sessionSocketEvent, () => (arriving = undefined));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', noop);
    if (tcp) socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
  });
  if (options.tls) {
    server.on('secureConnection', (socket: Socket) => socket.on('error', noop));
    server.on('tlsClientError', noop);
    // A TLS client that negotiated no ALPN protocol would otherwise wait for unknownProtocolTimeout.
    server.on('unknownProtocol', (socket: Socket) => socket.destroy());
  }
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on('error', noop);
    session.on('close', () => sessions.delete(session));
    growConnectionWindow(session);
    watchLiveness(session, arriving, handshakeTimeoutMs);
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    stream.on('error', noop);
    const session = stream.session;
    // Deno may emit a stream that is already closed, without its session.
    if (session) {
      openStreams.set(session, (openStreams.get(session) ?? 0) + 1);
      // One shared listener, not a closure per stream; Node clears stream.session before 'close'.
      (stream as CountedStream)[COUNTED_IN] = session;
      stream.on('close', countClosed);
    }
    options.onStream(stream, headers, rawHeaders);
  });
  return { server, sessions, sockets };
}

function createTlsServer(tls: TlsServerOptions, settings: http2.Settings, handshakeTimeoutMs: number): Http2SecureServer {
  return http2.createSecureServer({
    ...nodeTlsServerOptions(tls),
    // Node's own default is 120 s; the TLS handshake gets the same bound as the HTTP/2 one.
    handshakeTimeout: handshakeTimeoutMs,
    settings,
    maxSessionMemory: SESSION_MEMORY_MB,
    maxHeaderListPairs: MAX_HEADER_LIST_PAIRS,
    allowHTTP1: false,
  });
}

function bind(server: Http2Server | Http2SecureServer, target: Address): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(listenError(err, target));
    server.once('error', onError);
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    if (target.kind === 'unix') server.listen(target.path, onListening);
    else server.listen(target.port, target.host === '' ? undefined : target.host, onListening);
  });
}

function listenError(err: Error, target: Address): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const where = target.kind === 'unix' ? `unix socket ${target.path}` : `${target.host || '*'}:${target.port}`;
  if (code === 'EADDRINUSE') {
    const hint = target.kind === 'unix' ? 'remove the stale socket file or choose another path' : 'choose another port, or port 0 for any free one';
    return Object.assign(new Error(`cannot listen on ${where}: the address is in use; ${hint}`, { cause: err }), { code });
  }
  return Object.assign(new Error(`cannot listen on ${where}: ${err.message}`, { cause: err }), { code });
}

function boundAddress(server: Http2Server | Http2SecureServer, target: Address): Address {
  if (target.kind === 'unix') return target;
  const info = server.address();
  if (info && typeof info === 'object') return { kind: 'tcp', host: info.address, port: info.port };
  return target;
}

async function shutDown(
  server: Http2Server | Http2SecureServer,
  address: Address | undefined,
  sessions: Set<ServerHttp2Session>,
  sockets: Set<Socket>,
  graceMs: number | undefined,
): Promise<void> {
  // Stop accepting connections. Its callback is not awaited: on Node 20 it waits for sessions that
  // server.close() itself never closes (docs/node-http2.md#idle-sessions-block-server-close).
  server.close();
  const allClosed = Promise.all([...sessions].map((session) => closeGracefully(session)));
  let timer: NodeJS.Timeout | undefined;
  const grace =
    graceMs === undefined
      ? new Promise<void>(() => {})
      : new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(0, graceMs));
        });
  await Promise.race([allClosed, grace]);
  clearTimeout(timer);
  for (const session of sessions) session.destroy();
  for (const socket of sockets) socket.destroy();
  await Promise.all([...sessions].map((session) => closedEvent(session)));
  if (address?.kind === 'unix') await rm(address.path, { force: true }).catch(noop);
}

/**
 * gRPC's two-phase GOAWAY: first GOAWAY(NO_ERROR, 2^31-1) so the peer stops opening streams, a PING
 * round trip so streams already in flight are counted, then session.close(), which sends the real
 * last stream id and closes once every stream has ended.
 */
/** Streams open per session, so an idle session can be closed at once. */
const openStreams = new WeakMap<Http2Session, number>();
const COUNTED_IN = Symbol('open stream of');
type CountedStream = ServerHttp2Stream & { [COUNTED_IN]?: Http2Session };
function countClosed(this: CountedStream): void {
  const session = this[COUNTED_IN]!;
  openStreams.set(session, (openStreams.get(session) ?? 1) - 1);
}

function closeGracefully(session: ServerHttp2Session): Promise<void> {
  if (session.closed || session.destroyed) return closedEvent(session);
  const closed = closedEvent(session);
  if (!openStreams.get(session)) {
    // Idle: nothing to let finish. A Node 20 client never acknowledges a PING sent after GOAWAY, so the
    // two-phase close would always wait out GOAWAY_PING_WAIT_MS here.
    session.close();
    return closed;
  }
  try {
    session.goaway(http2.constants.NGHTTP2_NO_ERROR, MAX_STREAM_ID);
  } catch {
    // Already going away.
  }
  const second = () => {
    if (!session.closed && !session.destroyed) session.close();
  };
  const timer = setTimeout(second, GOAWAY_PING_WAIT_MS);
  timer.unref();
  let pinged = false;
  try {
    pinged = session.ping(() => {
      clearTimeout(timer);
      second();
    });
  } catch {
    pinged = false;
  }
  if (!pinged) {
    clearTimeout(timer);
    second();
  }
  return closed;
}

function closedEvent(session: ServerHttp2Session): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve) => session.once('close', () => resolve()));
}

/**
 * Disconnects peers that never finish the HTTP/2 handshake, and sessions that went silent and do not
 * answer a PING. The second catches a session after a fatal GOAWAY (garbage after the preface, rapid
 * reset): nghttp2 stops reading, and Node 20 emits nothing and keeps the socket open
 * (docs/node-http2.md#fatal-goaway-leaves-the-socket-open). A silent but healthy peer answers the PING and stays.
 */
function watchLiveness(session: ServerHttp2Session, socket: Duplex | undefined, timeoutMs: number): void {
  const drop = () => {
    session.destroy();
    socket?.destroy();
  };
  const preface = setTimeout(drop, timeoutMs);
  preface.unref();
  session.once('remoteSettings', () => clearTimeout(preface));
  session.once('close', () => clearTimeout(preface));
  let noAnswer: NodeJS.Timeout | undefined;
  session.once('close', () => clearTimeout(noAnswer));
  // A persistent listener, re-armed after every answer: setTimeout(ms, callback) listens once only,
  // and a PING acknowledgement does not count as activity for Node's session timer.
  session.on('timeout', () => {
    if (session.destroyed || session.closed || noAnswer) return;
    noAnswer = setTimeout(drop, timeoutMs);
    noAnswer.unref();
    let sent = false;
    try {
      sent = session.ping((err) => {
        clearTimeout(noAnswer);
        noAnswer = undefined;
        if (err) drop();
        else if (!session.destroyed) session.setTimeout(timeoutMs);
      });
    } catch {
      sent = false;
    }
    if (!sent) drop();
  });
  session.setTimeout(timeoutMs);
}

function growConnectionWindow(session: ServerHttp2Session): void {
  try {
    session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
  } catch {
    // The session may already be closing; the default window still works.
  }
}

