// The gRPC server: calls arrive as node:http2 streams from src/http2 listeners (or connections served some
// other way); the request headers are checked here and routed through the route table (routes.ts), and
// each call runs as a ServerCall (server-call.ts) on the core stream API (docs/node-http2.md#call-shapes),
// or is refused with one trailers-only HEADERS frame.
import { noop } from '../noop.js';
import http2 from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { listen, serveConnections, type Http2ConnectionServer, type Http2Listener } from '../http2/listener.js';
import { formatAddress } from '../http2/address.js';
import type { TlsServerOptions } from '../http2/tls-options.js';
import { isGrpcContentType } from './content-type.js';
import { ACCEPT_ENCODING, isSupportedEncoding, type Encoding } from './compression.js';
import { METADATA_BUDGET_BYTES, rawHeadersSize } from './metadata.js';
import { RouteTable } from './routes.js';
import { ServerCall, trailersOnly, type CallSettings } from './server-call.js';
import { GrpcError, Status } from './status.js';
import { parseGrpcTimeout } from './timeout.js';
import { reflectionHandlers, reflectionV1, reflectionV1alpha } from './reflection.js';
import type { ServiceDefinition, ServiceHandlers } from './service.js';

export interface ServerOptions {
  /** Largest request message accepted, in bytes (default 4 MiB); larger ones get RESOURCE_EXHAUSTED. */
  maxReceiveMessageSize?: number;
  /** Largest response message sent (default unlimited); larger ones fail the call with RESOURCE_EXHAUSTED. */
  maxSendMessageSize?: number;
  /** Compress responses with this encoding when the client accepts it. Default: no compression. */
  compression?: Encoding;
  /** Extra HTTP/2 SETTINGS. */
  settings?: http2.Settings;
  /**
   * Time a connection has to send the HTTP/2 preface, and a silent session to answer a PING, before
   * it is disconnected (default 20 s).
   */
  handshakeTimeoutMs?: number;
  /**
   * Serve gRPC server reflection (grpc.reflection.v1 and v1alpha) for grpcurl and similar tools, from the
   * descriptors the added definitions carry (loadProto and generated definitions do). Default false.
   */
  reflection?: boolean;
}

export interface ServerListenOptions {
  tls?: TlsServerOptions;
}

export interface Server {
  addService<S extends ServiceDefinition>(definition: S, handlers: ServiceHandlers<S>): void;
  /** Starts listening on `unix:/path` or `host:port` (port 0: any free port); resolves to the bound address. */
  listen(address: string, options?: ServerListenOptions): Promise<string>;
  /** Addresses being listened on. */
  readonly addresses: string[];
  /**
   * Graceful stop: GOAWAY, in-flight calls finish, calls still running after `graceMs` (default 5000)
   * are cancelled. New calls are refused meanwhile.
   */
  close(graceMs?: number): Promise<void>;
  /** Cancels every call and closes every connection at once. */
  forceClose(): Promise<void>;
  /**
   * Serves gRPC on a connection that arrived some other way, e.g. a yamux stream; over TLS when `tls`
   * is given (the same options object shares one TLS server).
   */
  serveConnection(connection: Duplex, options?: ServerListenOptions): void;
  /** Serves one HTTP/2 stream: for embedding in a node:http2 server of your own. */
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders?: string[]): void;
}

export const DEFAULT_MAX_RECEIVE_MESSAGE_SIZE = 4 * 1024 * 1024;

const HTTP_STATUS = http2.constants.HTTP2_HEADER_STATUS;

export function createServer(options: ServerOptions = {}): Server {
  const state: ServerState = {
    options,
    routes: new RouteTable(),
    settings: {
      maxReceive: options.maxReceiveMessageSize ?? DEFAULT_MAX_RECEIVE_MESSAGE_SIZE,
      maxSend: options.maxSendMessageSize ?? Infinity,
      compression: options.compression && options.compression !== 'identity' ? options.compression : undefined,
      calls: new Set<ServerCall>(),
    },
    listeners: [],
    connectionServers: new Map(),
    closing: false,
  };
  const handleStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders?: string[]) => acceptCall(state, stream, headers, rawHeaders);
  const server: Server = {
    addService: (definition, handlers) => state.routes.add(definition, handlers),
    handleStream,
    get addresses() {
      return state.listeners.map((l) => formatAddress(l.address));
    },
    listen: (address, listenOptions = {}) => listenOn(state, address, listenOptions, handleStream),
    serveConnection: (connection, listenOptions = {}) => serveOn(state, connection, listenOptions, handleStream),
    close: (graceMs = 5000) => closeGracefully(state, graceMs),
    forceClose: () => closeNow(state),
  };
  if (options.reflection) {
    const definitions = () => state.routes.definitions;
    server.addService(reflectionV1, reflectionHandlers(definitions));
    server.addService(reflectionV1alpha, reflectionHandlers(definitions));
  }
  return server;
}

/** What a server's functions share: its routes, its calls, its listeners and whether it is closing. */
interface ServerState {
  readonly options: ServerOptions;
  readonly routes: RouteTable;
  readonly settings: CallSettings;
  readonly listeners: Http2Listener[];
  /** One per TLS options object given to serveConnection (undefined: plaintext). */
  readonly connectionServers: Map<TlsServerOptions | undefined, Http2ConnectionServer>;
  closing: boolean;
}

type StreamHandler = Server['handleStream'];

/**
 * One incoming stream, checked in this order: the HTTP method and content-type (plain HTTP answers,
 * docs/node-http2.md#request-checks), the metadata size, the route, shutdown, grpc-timeout and grpc-encoding
 * (trailers-only statuses); then the call runs as a ServerCall.
 */
function acceptCall(state: ServerState, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[] | undefined): void {
  // Our listener has added one already; a second would turn the listener slot into an array per call.
  if (stream.listenerCount('error') === 0) stream.on('error', noop);
  if (headers[':method'] !== 'POST') {
    respondPlain(stream, 405, `gRPC requires POST, got ${headers[':method']}`);
    return;
  }
  const contentType = headers['content-type'];
  if (!isGrpcContentType(contentType)) {
    respondPlain(stream, 415, `content-type "${contentType ?? ''}" is not application/grpc`);
    return;
  }
  if (rawHeaders) {
    const size = rawHeadersSize(rawHeaders);
    if (size > METADATA_BUDGET_BYTES) {
      // Answered, not reset: the client learns which limit it crossed (grpc-go resets with no text).
      trailersOnly(stream, Status.RESOURCE_EXHAUSTED, `request metadata is ${size} bytes (${rawHeaders.length / 2} header fields), over the server's ${METADATA_BUDGET_BYTES}-byte metadata limit`);
      return;
    }
  }
  const path = headers[':path'] ?? '';
  const route = state.routes.get(path);
  if (!route) {
    trailersOnly(stream, Status.UNIMPLEMENTED, state.routes.unknownMethodText(path));
    return;
  }
  if (state.closing) {
    trailersOnly(stream, Status.UNAVAILABLE, 'the server is shutting down');
    return;
  }
  let timeoutMs: number | undefined;
  const timeoutHeader = headers['grpc-timeout'];
  if (timeoutHeader !== undefined) {
    try {
      timeoutMs = parseGrpcTimeout(String(timeoutHeader));
    } catch (err) {
      trailersOnly(stream, Status.INTERNAL, (err as GrpcError).details);
      return;
    }
  }
  const requestEncoding = headers['grpc-encoding'] as string | undefined;
  if (requestEncoding !== undefined && !isSupportedEncoding(requestEncoding)) {
    trailersOnly(stream, Status.UNIMPLEMENTED, `grpc-encoding "${requestEncoding}" is not supported; supported: ${ACCEPT_ENCODING}`);
    return;
  }
  if (timeoutMs !== undefined && timeoutMs <= 0) {
    trailersOnly(stream, Status.DEADLINE_EXCEEDED, 'deadline exceeded before the call started');
    return;
  }
  new ServerCall(stream, headers, rawHeaders, route, state.settings, timeoutMs, requestEncoding);
}

// --- lifecycle: listeners, connections that arrive another way, and shutdown

async function listenOn(state: ServerState, address: string, listenOptions: ServerListenOptions, onStream: StreamHandler): Promise<string> {
  const listener = await listen(address, {
    tls: listenOptions.tls,
    settings: state.options.settings,
    handshakeTimeoutMs: state.options.handshakeTimeoutMs,
    onStream,
  });
  state.listeners.push(listener);
  return formatAddress(listener.address);
}

function serveOn(state: ServerState, connection: Duplex, listenOptions: ServerListenOptions, onStream: StreamHandler): void {
  let served = state.connectionServers.get(listenOptions.tls);
  if (!served) {
    served = serveConnections({ tls: listenOptions.tls, settings: state.options.settings, onStream });
    state.connectionServers.set(listenOptions.tls, served);
  }
  served.serve(connection);
}

/** GOAWAY and wait for calls to finish; those still running after `graceMs` are cancelled. */
async function closeGracefully(state: ServerState, graceMs: number): Promise<void> {
  state.closing = true;
  const calls = state.settings.calls;
  const timer = setTimeout(() => cancelAll(calls, 'the server shut down before the call finished'), Math.max(0, graceMs));
  timer.unref?.();
  await Promise.all([...state.listeners, ...state.connectionServers.values()].map((l) => l.close(graceMs)));
  clearTimeout(timer);
  cancelAll(calls, 'the server shut down');
}

async function closeNow(state: ServerState): Promise<void> {
  state.closing = true;
  cancelAll(state.settings.calls, 'the server shut down');
  await Promise.all([...state.listeners, ...state.connectionServers.values()].map((l) => l.close(0)));
}

function cancelAll(calls: Set<ServerCall>, why: string): void {
  for (const call of [...calls]) call.shutdown(why);
}

function respondPlain(stream: ServerHttp2Stream, status: number, text: string): void {
  try {
    stream.respond({ [HTTP_STATUS]: status, 'content-type': 'text/plain; charset=utf-8' });
    stream.end(text + '\n');
  } catch {
    stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
  }
  stream.resume();
}
