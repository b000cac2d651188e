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

const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;

type State =
  | { t: 'idle' }
  | { t: 'connecting'; session: ClientHttp2Session; ready: Promise<ClientHttp2Session> }
  | { t: 'ready'; session: ClientHttp2Session; ready: Promise<ClientHttp2Session> }
  | { t: 'closed' };

export function createChannel(target: string | Address, options: ChannelOptions = {}): Channel {
  const address = typeof target === 'string' ? parseAddress(target) : target;
  const normalised = formatAddress(address);
  const authority = address.kind === 'unix' ? 'localhost' : normalised;
  const scheme = options.tls ? 'https' : 'http';
  const settings = { ...DEFAULT_CLIENT_SETTINGS, ...options.settings };
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const openStreams = new WeakMap<ClientHttp2Session, number>();
  let state: State = { t: 'idle' };

  function forget(session: ClientHttp2Session): void {
    if ((state.t === 'connecting' || state.t === 'ready') && state.session === session) state = { t: 'idle' };
  }

  function connect(): Promise<ClientHttp2Session> {
    let socket: Duplex | undefined;
    const session = http2.connect(`${scheme}://${authority}`, {
      settings,
      maxSessionMemory: SESSION_MEMORY_MB,
      maxHeaderListPairs: MAX_HEADER_LIST_PAIRS,
      createConnection: () => (socket = openSocket(address, authority, options.tls, options.createConnection)),
    });
    // Every session needs an 'error' listener, or a peer's reset crashes the process
    // (docs/node-http2.md#missing-error-listeners).
    session.on('error', () => forget(session));
    session.on('goaway', () => forget(session));
    session.on('close', () => forget(session));
    const ready = new Promise<ClientHttp2Session>((resolve, reject) => {
      let settled = false;
      const fail = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        forget(session);
        if (!session.destroyed) session.destroy();
        reject(connectError(normalised, err));
      };
      const timer = setTimeout(() => fail(new Error(`connecting took longer than ${connectTimeoutMs} ms`)), connectTimeoutMs);
      timer.unref();
      session.once('error', fail);
      session.once('close', () => fail());
      // On Node 20 a session whose TLS peer refuses our certificate after a TLS 1.3 handshake is
      // destroyed without 'error' or 'close'; the socket still reports it.
      socket?.once('error', fail);
      socket?.once('close', () =>
        fail(new Error(`the connection closed before the server sent its HTTP/2 SETTINGS${options.tls ? ' (a refused TLS client certificate looks like this)' : ''}`)),
      );
      // Until the server's SETTINGS arrive Node assumes 100 concurrent streams and default windows (docs/node-http2.md#session-readiness).
      session.once('remoteSettings', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.off('error', fail);
        try {
          session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
        } catch {
          // A session closing already; the call on it will report that.
        }
        if (state.t === 'connecting' && state.session === session) state = { t: 'ready', session, ready };
        if (!openStreams.get(session)) session.unref();
        resolve(session);
      });
    });
    // Marks the rejection handled: callers see it through session().
    ready.catch(() => {});
    state = { t: 'connecting', session, ready };
    return ready;
  }

  return {
    target: normalised,
    address,
    authority,
    scheme,
    get closed() {
      return state.t === 'closed';
    },
    session() {
      switch (state.t) {
        case 'closed':
          return Promise.reject(new Error(`the channel to ${normalised} is closed; create a new client or channel`));
        case 'connecting':
          return state.ready;
        case 'ready':
          if (!state.session.closed && !state.session.destroyed) return state.ready;
          state = { t: 'idle' };
          return connect();
        case 'idle':
          return connect();
      }
    },
    track(stream) {
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
    },
    retire(session) {
      forget(session);
      if (!session.closed && !session.destroyed) session.close();
    },
    close() {
      const current = state.t === 'connecting' || state.t === 'ready' ? state.session : undefined;
      state = { t: 'closed' };
      if (!current || current.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        current.once('close', () => resolve());
        // An idle session is unref'd; without this the process could exit before 'close' is emitted,
        // and `await client.close()` would never return (ESM: exit code 13; CommonJS: silently).
        current.ref();
        if (!current.closed) current.close();
      });
    },
  };
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
