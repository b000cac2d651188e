// A channel: one HTTP/2 client session to one target, shared by every call and client on it, opened
// on first use and replaced after GOAWAY, close or error. The session is unref'd while no call is open,
// so a CLI that is done can exit without closing its clients first.
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { type Address, formatAddress, parseAddress } from './address.js';
import type { TlsClientOptions } from './tls-options.js';
import { nodeTlsClientOptions } from './node-tls.js';
import { CONNECTION_WINDOW_BYTES, MAX_HEADER_LIST_BYTES, MAX_HEADER_LIST_PAIRS, SESSION_MEMORY_MB, STREAM_WINDOW_BYTES } from './listener.js';

export interface ChannelOptions {
  tls?: TlsClientOptions;
  /** HTTP/2 SETTINGS to announce; merged over DEFAULT_CLIENT_SETTINGS. */
  settings?: http2.Settings;
  /** How long connecting (TCP, TLS and the server's SETTINGS) may take. Default 20 s, as gRPC's. */
  connectTimeoutMs?: number;
  /**
   * Opens the connection instead of dialing the target, e.g. a yamux stream (go-plugin's
   * multiplexing); TLS, when configured, runs inside it. Called once per (re)connect.
   */
  createConnection?: () => Duplex;
}

export interface Channel {
  /** The target as given, normalised: `unix:/path` or `host:port`. */
  readonly target: string;
  readonly address: Address;
  /**
   * The `:authority` to send: `localhost` on unix sockets (Node would send `localhost:80`,
   * docs/node-http2.md#unix-sockets-and-authority).
   */
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  /** The shared session, connected and past the server's SETTINGS. Rejects when connecting fails. */
  session(): Promise<ClientHttp2Session>;
  /** Keeps the session ref'd until `stream` closes, so the process stays alive during the call. */
  track(stream: ClientHttp2Stream): void;
  /** Stops handing out `session` (e.g. after ERR_HTTP2_OUT_OF_STREAMS); the next call reconnects. */
  retire(session: ClientHttp2Session): void;
  /** Closes the session once its open calls end; later calls fail. */
  close(): Promise<void>;
  readonly closed: boolean;
}

export const DEFAULT_CLIENT_SETTINGS: Readonly<http2.Settings> = Object.freeze({
  initialWindowSize: STREAM_WINDOW_BYTES,
  maxHeaderListSize: MAX_HEADER_LIST_BYTES,
  enablePush: false,
});

/**
 * The window this client grants the server on a unix socket, per stream and for the connection: less than
 * the socket buffers hold (Linux: 208 KiB by default). Node stops reading a session's socket while a write
 * to it is pending, so two Node peers that each have more in flight than the buffers hold stop reading at
 * once, and a bidi stream moving large messages both ways stalls for good
 * (docs/node-http2.md#both-peers-writing). Within this window the server's writes to us never wait on the
 * socket, so it keeps reading what we send.
 */
export const UNIX_CLIENT_WINDOW_BYTES = 128 * 1024;

const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;

/** Where the channel's one session is: none yet, connecting (until the server's SETTINGS), ready, or closed for good. */
type SessionState =
  | { t: 'idle' }
  | { t: 'connecting'; session: ClientHttp2Session; ready: Promise<ClientHttp2Session> }
  | { t: 'ready'; session: ClientHttp2Session; ready: Promise<ClientHttp2Session> }
  | { t: 'closed' };

/** What a channel's functions share. */
interface ChannelState {
  readonly address: Address;
  /** The target, normalised (for messages). */
  readonly target: string;
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  readonly options: ChannelOptions;
  readonly settings: http2.Settings;
  /** The connection-level window granted to the server (setLocalWindowSize once connected). */
  readonly connectionWindow: number;
  readonly connectTimeoutMs: number;
  /** Calls open on each session: a session is ref'd while it has one. */
  readonly openStreams: WeakMap<ClientHttp2Session, number>;
  current: SessionState;
}

export function createChannel(target: string | Address, options: ChannelOptions = {}): Channel {
  const address = typeof target === 'string' ? parseAddress(target) : target;
  const normalised = formatAddress(address);
  const unix = address.kind === 'unix';
  const ch: ChannelState = {
    address,
    target: normalised,
    authority: unix ? 'localhost' : normalised,
    scheme: options.tls ? 'https' : 'http',
    options,
    settings: { ...DEFAULT_CLIENT_SETTINGS, ...(unix ? { initialWindowSize: UNIX_CLIENT_WINDOW_BYTES } : {}), ...options.settings },
    connectionWindow: unix ? UNIX_CLIENT_WINDOW_BYTES : CONNECTION_WINDOW_BYTES,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    openStreams: new WeakMap(),
    current: { t: 'idle' },
  };
  return {
    target: normalised,
    address,
    authority: ch.authority,
    scheme: ch.scheme,
    get closed() {
      return ch.current.t === 'closed';
    },
    session: () => currentSession(ch),
    track: (stream) => track(ch.openStreams, stream),
    retire(session) {
      forget(ch, session);
      if (!session.closed && !session.destroyed) session.close();
    },
    close: () => closeChannel(ch),
  };
}

/** The session calls go on: the current one while it is usable, else a new connection. */
function currentSession(ch: ChannelState): Promise<ClientHttp2Session> {
  const current = ch.current;
  switch (current.t) {
    case 'closed':
      return Promise.reject(new Error(`the channel to ${ch.target} is closed; create a new client or channel`));
    case 'connecting':
      return current.ready;
    case 'ready':
      if (!current.session.closed && !current.session.destroyed) return current.ready;
      ch.current = { t: 'idle' };
      return connect(ch);
    case 'idle':
      return connect(ch);
  }
}

/** The session is going (GOAWAY, close, error, retired): the next call connects anew. */
function forget(ch: ChannelState, session: ClientHttp2Session): void {
  const current = ch.current;
  if ((current.t === 'connecting' || current.t === 'ready') && current.session === session) ch.current = { t: 'idle' };
}

function connect(ch: ChannelState): Promise<ClientHttp2Session> {
  let socket: Duplex | undefined;
  const session = http2.connect(`${ch.scheme}://${ch.authority}`, {
    settings: ch.settings,
    maxSessionMemory: SESSION_MEMORY_MB,
    maxHeaderListPairs: MAX_HEADER_LIST_PAIRS,
    createConnection: () => (socket = openSocket(ch.address, ch.authority, ch.options.tls, ch.options.createConnection)),
  });
  // Every session needs an 'error' listener, or a peer's reset crashes the process
  // (docs/node-http2.md#missing-error-listeners).
  session.on('error', () => forget(ch, session));
  session.on('goaway', () => forget(ch, session));
  session.on('close', () => forget(ch, session));
  const ready = whenSettingsArrive(ch, session, socket);
  // Marks the rejection handled: callers see it through session().
  ready.catch(() => {});
  ch.current = { t: 'connecting', session, ready };
  return ready;
}

/**
 * Resolves with the session once the server's SETTINGS arrive: until then Node assumes 100 concurrent
 * streams and default windows (docs/node-http2.md#session-readiness). Rejects, and destroys the session,
 * when connecting fails or takes longer than the connect timeout.
 */
function whenSettingsArrive(ch: ChannelState, session: ClientHttp2Session, socket: Duplex | undefined): Promise<ClientHttp2Session> {
  return new Promise<ClientHttp2Session>((resolve, reject) => {
    let settled = false;
    const fail = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      forget(ch, session);
      if (!session.destroyed) session.destroy();
      reject(connectError(ch.target, err));
    };
    const timer = setTimeout(() => fail(new Error(`connecting took longer than ${ch.connectTimeoutMs} ms`)), ch.connectTimeoutMs);
    timer.unref();
    session.once('error', fail);
    session.once('close', () => fail());
    // On Node 20 a session whose TLS peer refuses our certificate after a TLS 1.3 handshake is
    // destroyed without 'error' or 'close'; the socket still reports it.
    socket?.once('error', fail);
    socket?.once('close', () =>
      fail(new Error(`the connection closed before the server sent its HTTP/2 SETTINGS${ch.options.tls ? ' (a refused TLS client certificate looks like this)' : ''}`)),
    );
    session.once('remoteSettings', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.off('error', fail);
      try {
        session.setLocalWindowSize(ch.connectionWindow);
      } catch {
        // A session closing already; the call on it will report that.
      }
      const current = ch.current;
      if (current.t === 'connecting' && current.session === session) ch.current = { t: 'ready', session, ready: current.ready };
      if (!ch.openStreams.get(session)) session.unref();
      resolve(session);
    });
  });
}

/** Keeps `stream`'s session ref'd until the stream closes; an idle session is unref'd. */
function track(openStreams: WeakMap<ClientHttp2Session, number>, stream: ClientHttp2Stream): void {
  const session = stream.session as ClientHttp2Session | undefined;
  if (!session) return;
  const open = (openStreams.get(session) ?? 0) + 1;
  openStreams.set(session, open);
  if (open === 1 && !session.destroyed) session.ref();
  stream.once('close', () => {
    const left = (openStreams.get(session) ?? 1) - 1;
    openStreams.set(session, left);
    if (left === 0 && !session.destroyed) session.unref();
  });
}

function closeChannel(ch: ChannelState): Promise<void> {
  const current = ch.current.t === 'connecting' || ch.current.t === 'ready' ? ch.current.session : undefined;
  ch.current = { t: 'closed' };
  if (!current || current.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    current.once('close', () => resolve());
    // An idle session is unref'd; without this the process could exit before 'close' is emitted,
    // and `await client.close()` would never return (ESM: exit code 13; CommonJS: silently).
    current.ref();
    if (!current.closed) current.close();
  });
}

function openSocket(address: Address, authority: string, tlsOptions: TlsClientOptions | undefined, createConnection?: () => Duplex): Duplex {
  const where = address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
  const own = createConnection?.();
  if (own && !tlsOptions) return own;
  if (!tlsOptions) {
    const socket = net.connect(where);
    if (address.kind === 'tcp') socket.setNoDelay(true);
    return socket;
  }
  // SNI must not carry an IP address (RFC 6066 §3); on unix sockets the name to check is localhost.
  const host = address.kind === 'unix' ? 'localhost' : address.host;
  const socket = tls.connect({ ...(own ? { socket: own } : where), ...nodeTlsClientOptions(tlsOptions, net.isIP(host) ? undefined : host) });
  if (address.kind === 'tcp' && !own) socket.setNoDelay(true);
  // gRPC needs HTTP/2 negotiated through ALPN; grpc-go >= 1.67 refuses anything else (docs/node-http2.md#tls-and-alpn).
  socket.once('secureConnect', () => {
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy(new Error(`the server at ${authority} did not negotiate HTTP/2 (ALPN "h2"); it is not a gRPC server over TLS`));
    }
  });
  return socket;
}

function connectError(target: string, err: Error | undefined): Error {
  const reason = err ? err.message : 'the connection closed before the server sent its HTTP/2 SETTINGS';
  return Object.assign(new Error(`cannot connect to ${target}: ${reason}`, { cause: err }), {
    code: (err as NodeJS.ErrnoException | undefined)?.code ?? 'ECONNRESET',
  });
}
