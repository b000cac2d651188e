// The gRPC server: calls arrive as node:http2 streams from src/http2 listeners and are answered with the
// core stream API (docs/node-http2.md#call-shapes): respond(waitForTrailers) → messages → trailers, or one
// trailers-only HEADERS frame for early errors.
import http2 from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { listen, serveConnections, type Http2ConnectionServer, type Http2Listener } from '../http2/listener.js';
import { formatAddress, type Address } from '../http2/address.js';
import type { TlsServerOptions } from '../http2/tls-options.js';
import { isGrpcContentType, GRPC_CONTENT_TYPE } from './content-type.js';
import { ACCEPT_ENCODING, COMPRESSION_MIN_BYTES, compress, decompress, isSupportedEncoding, parseAcceptEncoding, type Encoding } from './compression.js';
import { FrameDecoder } from './framing.js';
import { METADATA_BUDGET_BYTES, Metadata, metadataFromHeaders, metadataToHeaders, rawHeadersSize } from './metadata.js';
import { encodeGrpcMessage } from './percent.js';
import { drained, toBuffer, writeMessage } from './stream-io.js';
import { createQueue, type MessageQueue } from './queue.js';
import { GrpcError, Status } from './status.js';
import { MAX_TIMER_MS, parseGrpcTimeout } from './timeout.js';
import { reflectionHandlers, reflectionV1, reflectionV1alpha } from './reflection.js';
import { methodAliases, type MethodDefinition, type ServerCallContext, type ServiceDefinition, type ServiceHandlers } from './service.js';

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

interface Route {
  method: MethodDefinition;
  handler: (...args: any[]) => any;
}

type Kind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

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
  /** Running calls, each with how to stop it when the server shuts down. */
  const calls = new Map<ServerHttp2Stream, (why: string) => void>();
  let closing = false;

  function addService<S extends ServiceDefinition>(definition: S, handlers: ServiceHandlers<S>): void {
    const table = handlers as Record<string, ((...args: any[]) => any) | undefined>;
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
      routes.set(method.path, { method, handler: table[name]! });
    }
    for (const name of Object.keys(table)) {
      if (!known.has(name)) {
        throw new TypeError(`handler "${name}" matches no method of the service; methods: ${Object.keys(definition).join(', ')}`);
      }
    }
  }

  function handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders?: string[]): void {
    stream.on('error', noop);
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
    const wanted = options.compression && options.compression !== 'identity' ? options.compression : undefined;
    const responseEncoding = wanted && parseAcceptEncoding(headers['grpc-accept-encoding'] as string | undefined).includes(wanted) ? wanted : undefined;
    runCall(stream, headers, rawHeaders, route, timeoutMs, requestEncoding, responseEncoding);
  }

  function runCall(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: string[] | undefined,
    route: Route,
    timeoutMs: number | undefined,
    requestEncoding: string | undefined,
    initialResponseEncoding: Encoding | undefined,
  ): void {
    let responseEncoding = initialResponseEncoding;
    let compressResponses = true;
    // Compression flags of decoded requests the handler has not taken yet, and of the one it took last.
    const pendingFlags: boolean[] = [];
    let requestCompressed = false;
    const { method, handler } = route;
    const kind: Kind = method.requestStream ? (method.responseStream ? 'bidi' : 'clientStream') : method.responseStream ? 'serverStream' : 'unary';
    // The AbortController and the metadata objects are made on first use: most unary handlers touch
    // none of them, and each costs allocations on the hot path (docs/node-http2.md#hot-path).
    let controller: AbortController | undefined;
    let abortReason: GrpcError | undefined;
    const signal = (): AbortSignal => {
      if (!controller) {
        controller = new AbortController();
        if (abortReason) controller.abort(abortReason);
      }
      return controller.signal;
    };
    calls.set(stream, (why) => {
      // Shutdown ends the call for the client now (UNAVAILABLE: safe to retry elsewhere) and drops the
      // handler's later writes, which could otherwise still end the call as OK; the handler sees CANCELLED.
      sendStatus(Status.UNAVAILABLE, why);
      abort(new GrpcError(Status.CANCELLED, why));
    });
    let responseHeader: Metadata | undefined;
    let responseTrailer: Metadata | undefined;
    let headersSent = false;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = () => {
      finished = true;
      calls.delete(stream);
      if (timer) clearTimeout(timer);
    };
    const abort = (reason: GrpcError) => {
      if (abortReason) return;
      abortReason = reason;
      controller?.abort(reason);
    };

    const sendHeaders = () => {
      if (headersSent || finished || stream.destroyed) return;
      headersSent = true;
      const h: Record<string, string | string[]> = { [HTTP_STATUS]: '200', 'content-type': GRPC_CONTENT_TYPE, 'grpc-accept-encoding': ACCEPT_ENCODING };
      if (responseEncoding) h['grpc-encoding'] = responseEncoding;
      if (responseHeader) metadataToHeaders(responseHeader, h);
      stream.respond(h, { waitForTrailers: true });
    };

    /** Ends the call with a status; trailers-only when nothing was sent yet. Later calls are ignored. */
    const sendStatus = (code: Status, details: string, extra?: Metadata) => {
      if (finished) return;
      finish();
      if (stream.destroyed || stream.closed) return;
      const trailers: Record<string, string | string[]> = { 'grpc-status': String(code) };
      if (details) trailers['grpc-message'] = encodeGrpcMessage(details);
      if (responseTrailer) metadataToHeaders(responseTrailer, trailers);
      if (extra) metadataToHeaders(extra, trailers);
      if (!headersSent) {
        headersSent = true;
        const h: Record<string, string | string[]> = { [HTTP_STATUS]: '200', 'content-type': GRPC_CONTENT_TYPE, 'grpc-accept-encoding': ACCEPT_ENCODING };
        if (responseHeader) metadataToHeaders(responseHeader, h);
        try {
          stream.respond({ ...h, ...trailers }, { endStream: true });
        } catch {
          stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        }
        return;
      }
      stream.once('wantTrailers', () => {
        try {
          stream.sendTrailers(trailers);
        } catch {
          stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        }
      });
      stream.end();
    };

    const fail = (err: unknown) => {
      const e = GrpcError.from(err);
      sendStatus(e.code, e.details, e.metadata);
      abort(e);
    };

    if (timeoutMs !== undefined) {
      if (timeoutMs <= 0) {
        // Already expired when it arrived.
        const e = new GrpcError(Status.DEADLINE_EXCEEDED, 'deadline exceeded before the call started');
        calls.delete(stream);
        trailersOnly(stream, e.code, e.details);
        return;
      }
      if (timeoutMs <= MAX_TIMER_MS) {
        timer = setTimeout(() => fail(new GrpcError(Status.DEADLINE_EXCEEDED, 'deadline exceeded')), Math.ceil(timeoutMs));
        timer.unref?.();
      }
    }

    stream.on('close', () => {
      if (!finished) {
        finish();
        abort(new GrpcError(Status.CANCELLED, stream.rstCode === http2.constants.NGHTTP2_CANCEL ? 'the client cancelled the call' : 'the connection closed before the call ended'));
      }
      // A queue already ended needs no error, and creating one costs a stack trace.
      if (requests && !requests.ended) requests.fail(abortReason ?? new GrpcError(Status.CANCELLED, 'the call ended'));
    });

    // Unary and server-streaming calls take exactly one request: it is kept here and the handler starts
    // at the client's half-close, without a queue, an async iterator or extra awaits per call.
    const singleRequest = kind === 'unary' || kind === 'serverStream';
    let received = 0;
    let firstRequest: unknown;
    // Streaming requests: decoded as they arrive; the stream is paused while the handler is behind.
    const requests: MessageQueue<unknown> | undefined = singleRequest
      ? undefined
      : createQueue({
          onFull: () => stream.pause(),
          onDrain: () => stream.resume(),
        });
    const decoder = new FrameDecoder(maxReceive);
    stream.on('data', (chunk: Buffer) => {
      if (finished) return;
      try {
        for (const frame of decoder.push(chunk)) {
          let payload = frame.payload;
          if (frame.compressed) payload = decompress(requestEncoding, payload, maxReceive);
          let message: unknown;
          try {
            message = method.requestDeserialize(toBuffer(payload));
          } catch (err) {
            throw new GrpcError(Status.INTERNAL, `cannot decode the request message: ${(err as Error).message}`);
          }
          if (requests) {
            pendingFlags.push(frame.compressed);
            requests.push(message);
          } else if (received++ === 0) {
            firstRequest = message;
            requestCompressed = frame.compressed;
          }
        }
      } catch (err) {
        // Drain what is left so flow control does not stall the session.
        stream.resume();
        requests?.fail(err, true);
        fail(err);
      }
    });
    stream.on('end', () => {
      // Node also ends the readable side of a stream the peer reset: that is a cancel, which the 'close'
      // handler reports, not a half-close after the last request.
      if (stream.aborted || stream.rstCode > http2.constants.NGHTTP2_NO_ERROR) return;
      if (decoder.hasPartial) {
        const err = new GrpcError(Status.INTERNAL, 'the request ended inside a message (truncated length-prefixed message)');
        requests?.fail(err, true);
        fail(err);
        return;
      }
      if (requests) requests.end();
      else if (!finished) {
        if (received !== 1) fail(new GrpcError(Status.UNIMPLEMENTED, `a unary request needs exactly one message, got ${received === 0 ? 'none' : 'more'}`));
        else start(firstRequest);
      }
    });

    const socket = (stream.session as ServerHttp2Session | undefined)?.socket as TLSSocket | undefined;
    let metadata: Metadata | undefined;
    let peer: ServerCallContext['peer'] | undefined;
    const ctx: ServerCallContext = {
      method: method.path,
      get metadata() {
        return (metadata ??= metadataFromHeaders(headers, rawHeaders));
      },
      get signal() {
        return signal();
      },
      deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
      get responseHeader() {
        return (responseHeader ??= new Metadata());
      },
      get responseTrailer() {
        return (responseTrailer ??= new Metadata());
      },
      get peer() {
        return (peer ??= peerOf(socket));
      },
      sendHeader: sendHeaders,
      get requestCompressed() {
        return requestCompressed;
      },
      setResponseCompression(encoding) {
        if (headersSent) return false;
        if (encoding === 'identity') {
          responseEncoding = undefined;
          return true;
        }
        if (!isSupportedEncoding(encoding) || !parseAcceptEncoding(headers['grpc-accept-encoding'] as string | undefined).includes(encoding)) return false;
        responseEncoding = encoding;
        return true;
      },
      get compressResponses() {
        return compressResponses;
      },
      set compressResponses(value: boolean) {
        compressResponses = value;
      },
    };
    // The handler's view of streamed requests: each message it takes sets ctx.requestCompressed.
    const handlerRequests: AsyncIterable<unknown> | undefined = requests && {
      [Symbol.asyncIterator]() {
        const it = requests[Symbol.asyncIterator]();
        return {
          next: () =>
            it.next().then((r) => {
              if (!r.done) requestCompressed = pendingFlags.shift() ?? false;
              return r;
            }),
          return: (value?: unknown) => it.return!(value),
        };
      },
    };

    const send = async (value: unknown): Promise<void> => {
      if (finished) throw abortReason ?? new GrpcError(Status.CANCELLED, 'the call has ended');
      let payload: Uint8Array;
      try {
        payload = method.responseSerialize(value ?? {});
      } catch (err) {
        throw new GrpcError(Status.INTERNAL, `cannot encode the response message: ${(err as Error).message}`);
      }
      if (payload.length > maxSend) {
        throw new GrpcError(Status.RESOURCE_EXHAUSTED, `sent message larger than max (${payload.length} vs. ${maxSend})`);
      }
      let compressed = false;
      if (responseEncoding && compressResponses && payload.length >= COMPRESSION_MIN_BYTES) {
        payload = compress(responseEncoding, payload);
        compressed = true;
      }
      sendHeaders();
      const ok = writeMessage(stream, payload, compressed);
      if (!ok) await drained(stream, signal());
    };

    const run = async (single: unknown) => {
      if (kind === 'unary' || kind === 'clientStream') {
        const response = await handler(kind === 'unary' ? single : handlerRequests, ctx);
        await send(response);
      } else {
        const output = handler(kind === 'serverStream' ? single : handlerRequests, ctx) as AsyncIterable<unknown> | Iterable<unknown>;
        if (output == null || (typeof (output as any)[Symbol.asyncIterator] !== 'function' && typeof (output as any)[Symbol.iterator] !== 'function')) {
          throw new GrpcError(Status.INTERNAL, `the handler for ${method.path} must return an async iterable (write it as an async function*)`);
        }
        for await (const value of output) {
          if (finished) break;
          await send(value);
        }
      }
      sendStatus(Status.OK, '');
    };

    function start(single: unknown): void {
      run(single).then(noop, (err) => {
        if (finished) return;
        fail(err);
      });
    }

    if (!singleRequest) start(undefined);
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

function cancelAll(calls: Map<ServerHttp2Stream, (why: string) => void>, why: string): void {
  for (const stop of [...calls.values()]) stop(why);
}

function unknownMethodText(path: string, services: Set<string>): string {
  const slash = path.lastIndexOf('/');
  const service = path.slice(1, slash);
  const method = path.slice(slash + 1);
  // grpc-go's wording, which hosts and tools match on.
  if (slash <= 0 || !services.has(service)) return `unknown service ${service || path}`;
  return `unknown method ${method} for service ${service}`;
}

function trailersOnly(stream: ServerHttp2Stream, code: Status, details: string): void {
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond(
      {
        [HTTP_STATUS]: '200',
        'content-type': GRPC_CONTENT_TYPE,
        'grpc-accept-encoding': ACCEPT_ENCODING,
        'grpc-status': String(code),
        'grpc-message': encodeGrpcMessage(details),
      },
      { endStream: true },
    );
  } catch {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
  stream.resume();
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

function peerOf(socket: TLSSocket | undefined): { address: string; certificate?: import('node:tls').PeerCertificate } {
  if (!socket) return { address: 'unknown' };
  let address: string;
  try {
    // A unix socket has no remoteAddress (docs/node-http2.md#unix-sockets-and-authority).
    address = socket.remoteAddress ? (socket.remoteAddress.includes(':') ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`) : 'unix';
  } catch {
    address = 'unknown';
  }
  let certificate: import('node:tls').PeerCertificate | undefined;
  try {
    if (typeof socket.getPeerCertificate === 'function') {
      const cert = socket.getPeerCertificate();
      if (cert && Object.keys(cert).length > 0) certificate = cert;
    }
  } catch {
    certificate = undefined;
  }
  return certificate ? { address, certificate } : { address };
}

function noop(): void {}

export type { Address };
