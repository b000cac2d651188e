// The gRPC server: calls arrive as node:http2 streams from src/http2 listeners; the request headers are
// checked and routed here, and each call runs as a ServerCall (server-call.ts) on the core stream API
// (docs/node-http2.md#call-shapes), or is refused with one trailers-only HEADERS frame.
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
import { ServerCall, callKind, trailersOnly, type CallSettings, type Route, type RouteHandler } from './server-call.js';
import { GrpcError, Status } from './status.js';
import { parseGrpcTimeout } from './timeout.js';
import { reflectionHandlers, reflectionV1, reflectionV1alpha } from './reflection.js';
import { methodAliases, type ServiceDefinition, type ServiceHandlers } from './service.js';

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
  const maxReceive = options.maxReceiveMessageSize ?? DEFAULT_MAX_RECEIVE_MESSAGE_SIZE;
  const maxSend = options.maxSendMessageSize ?? Infinity;
  const routes = new Map<string, Route>();
  const services = new Set<string>();
  /** Definitions by service name, for reflection. */
  const definitions = new Map<string, ServiceDefinition[]>();
  const listeners: Http2Listener[] = [];
  const connectionServers = new Map<TlsServerOptions | undefined, Http2ConnectionServer>();
  const calls = new Set<ServerCall>();
  const settings: CallSettings = {
    maxReceive,
    maxSend,
    compression: options.compression && options.compression !== 'identity' ? options.compression : undefined,
    calls,
  };
  let closing = false;

  function addService<S extends ServiceDefinition>(definition: S, handlers: ServiceHandlers<S>): void {
    const table: Record<string, unknown> = handlers;
    const known = new Set<string>();
    for (const [key, method] of Object.entries(definition)) {
      if (typeof method?.path !== 'string') throw new TypeError(`method "${key}" of the service definition has no path`);
      if (routes.has(method.path)) throw new Error(`a handler for ${method.path} is already registered`);
      const aliases = methodAliases(key, method);
      for (const a of aliases) known.add(a);
      const name = aliases.find((a) => typeof table[a] === 'function');
      const service = method.path.slice(1, method.path.lastIndexOf('/'));
      services.add(service);
      const seen = definitions.get(service) ?? [];
      if (!seen.includes(definition)) definitions.set(service, [...seen, definition]);
      if (name === undefined) continue;
      routes.set(method.path, { method, handler: table[name] as RouteHandler, kind: callKind(method) });
    }
    for (const name of Object.keys(table)) {
      if (!known.has(name)) {
        throw new TypeError(`handler "${name}" matches no method of the service; methods: ${Object.keys(definition).join(', ')}`);
      }
    }
  }

  function handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders?: string[]): void {
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
    const route = routes.get(path);
    if (!route) {
      trailersOnly(stream, Status.UNIMPLEMENTED, unknownMethodText(path, services));
      return;
    }
    if (closing) {
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
    new ServerCall(stream, headers, rawHeaders, route, settings, timeoutMs, requestEncoding);
  }


  if (options.reflection) {
    addService(reflectionV1, reflectionHandlers(() => definitions));
    addService(reflectionV1alpha, reflectionHandlers(() => definitions));
  }

  return {
    addService,
    handleStream,
    get addresses() {
      return listeners.map((l) => formatAddress(l.address));
    },
    async listen(address, listenOptions = {}) {
      const listener = await listen(address, {
        tls: listenOptions.tls,
        settings: options.settings,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        onStream: (stream, headers, rawHeaders) => handleStream(stream, headers, rawHeaders),
      });
      listeners.push(listener);
      return formatAddress(listener.address);
    },
    serveConnection(connection, listenOptions = {}) {
      let served = connectionServers.get(listenOptions.tls);
      if (!served) {
        served = serveConnections({
          tls: listenOptions.tls,
          settings: options.settings,
          onStream: (stream, headers, rawHeaders) => handleStream(stream, headers, rawHeaders),
        });
        connectionServers.set(listenOptions.tls, served);
      }
      served.serve(connection);
    },
    async close(graceMs = 5000) {
      closing = true;
      const timer = setTimeout(() => cancelAll(calls, 'the server shut down before the call finished'), Math.max(0, graceMs));
      timer.unref?.();
      await Promise.all([...listeners, ...connectionServers.values()].map((l) => l.close(graceMs)));
      clearTimeout(timer);
      cancelAll(calls, 'the server shut down');
    },
    async forceClose() {
      closing = true;
      cancelAll(calls, 'the server shut down');
      await Promise.all([...listeners, ...connectionServers.values()].map((l) => l.close(0)));
    },
  };
}

function cancelAll(calls: Set<ServerCall>, why: string): void {
  for (const call of [...calls]) call.shutdown(why);
}

function unknownMethodText(path: string, services: Set<string>): string {
  const slash = path.lastIndexOf('/');
  const service = path.slice(1, slash);
  const method = path.slice(slash + 1);
  // grpc-go's wording, which hosts and tools match on.
  if (slash <= 0 || !services.has(service)) return `unknown service ${service || path}`;
  return `unknown method ${method} for service ${service}`;
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

