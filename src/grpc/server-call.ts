// One server call, from its request headers to its status (docs/node-http2.md#call-shapes). The call's
// phase says what may still happen; the response writer (sendHeader / #send / #endWith / sendStatus)
// owns headers, messages, trailers and the trailers-only form. Stream listeners are shared functions
// that find their call on the stream, so a call allocates no closures, no queue and no AbortController
// unless its kind or its handler needs them (docs/node-http2.md#hot-path).
import http2 from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { ACCEPT_ENCODING, isSupportedEncoding, parseAcceptEncoding, type Encoding } from './compression.js';
import { GRPC_CONTENT_TYPE } from './content-type.js';
import { MessageReader, drained, encodeMessage, endWithMessage, writeMessage, type MessageSink } from './messages.js';
import { Metadata, metadataFromHeaders, metadataToHeaders } from './metadata.js';
import { encodeGrpcMessage } from './percent.js';
import { createQueue, type MessageQueue } from './queue.js';
import { GrpcError, Status } from './status.js';
import { MAX_TIMER_MS } from './timeout.js';
import type { MethodDefinition, ServerCallContext } from './service.js';

/**
 * receiving: the request is being read, the handler has not started (unary, server-streaming);
 * handling: the handler runs, nothing was sent; headersSent: response headers are out;
 * done: the status is decided (sent, or the stream is gone); nothing more is written.
 */
export type CallPhase = 'receiving' | 'handling' | 'headersSent' | 'done';

export type CallKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

/** A handler as the route table holds it: a request (or the request stream) in, a response (or stream) out. */
export type RouteHandler = (input: unknown, context: ServerCallContext) => unknown;

export interface Route {
  method: MethodDefinition;
  handler: RouteHandler;
  kind: CallKind;
}

export function callKind(method: MethodDefinition): CallKind {
  return method.requestStream ? (method.responseStream ? 'bidi' : 'clientStream') : method.responseStream ? 'serverStream' : 'unary';
}

/** What the server shares with its calls. */
export interface CallSettings {
  maxReceive: number;
  maxSend: number;
  /** The server's `compression` option, when not identity. */
  compression: Encoding | undefined;
  /** Running calls, for shutdown. */
  calls: Set<ServerCall>;
}

const HTTP_STATUS = http2.constants.HTTP2_HEADER_STATUS;
/** The response header every call sends; node:http2 copies the object it is given, so one serves all. */
const RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  [HTTP_STATUS]: '200',
  'content-type': GRPC_CONTENT_TYPE,
  'grpc-accept-encoding': ACCEPT_ENCODING,
});
const OK_TRAILERS: Readonly<Record<string, string>> = Object.freeze({ 'grpc-status': '0' });

const CALL = Symbol('grpc call');
type CallStream = ServerHttp2Stream & { [CALL]?: ServerCall };

/** Answers with a status in one HEADERS frame (trailers-only), before any call exists. */
export function trailersOnly(stream: ServerHttp2Stream, code: Status, details: string): void {
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond({ ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(details) }, { endStream: true });
  } catch {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
  stream.resume();
}

export class ServerCall implements ServerCallContext, MessageSink<unknown> {
  phase: CallPhase = 'receiving';
  readonly method: string;
  readonly deadline: number | undefined;
  compressResponses = true;
  requestCompressed = false;

  readonly #stream: CallStream;
  readonly #headers: IncomingHttpHeaders;
  readonly #rawHeaders: string[] | undefined;
  readonly #route: Route;
  readonly #settings: CallSettings;
  readonly #reader: MessageReader<unknown>;
  #responseEncoding: Encoding | undefined;
  #acceptEncodings: string[] | undefined;
  /** Unary and server-streaming: the one request, and how many arrived. */
  #request: unknown;
  #received = 0;
  /** Streaming requests, and the compression flags of those the handler has not taken yet. */
  #requests: MessageQueue<unknown> | undefined;
  #pendingFlags: boolean[] | undefined;
  #controller: AbortController | undefined;
  #abortReason: GrpcError | undefined;
  #metadata: Metadata | undefined;
  #responseHeader: Metadata | undefined;
  #responseTrailer: Metadata | undefined;
  #peer: { address: string; certificate?: PeerCertificate } | undefined;
  #trailers: Record<string, string | string[]> = OK_TRAILERS;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: string[] | undefined,
    route: Route,
    settings: CallSettings,
    timeoutMs: number | undefined,
    requestEncoding: string | undefined,
  ) {
    this.#stream = stream;
    this.#headers = headers;
    this.#rawHeaders = rawHeaders;
    this.#route = route;
    this.#settings = settings;
    this.method = route.method.path;
    this.deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    this.#reader = new MessageReader(route.method.requestDeserialize, settings.maxReceive, 'request', requestEncoding);
    if (settings.compression && this.#accepts(settings.compression)) this.#responseEncoding = settings.compression;
    this.#stream[CALL] = this;
    settings.calls.add(this);
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
      this.#timer = setTimeout(ServerCall.#onDeadline, Math.ceil(timeoutMs), this);
      this.#timer.unref?.();
    }
    stream.on('close', ServerCall.#onClose);
    stream.on('data', ServerCall.#onData);
    stream.on('end', ServerCall.#onEnd);
    if (route.kind === 'clientStream' || route.kind === 'bidi') {
      this.#pendingFlags = [];
      this.#requests = createQueue({ onFull: () => stream.pause(), onDrain: () => stream.resume() });
      this.#start();
    }
  }

  // --- ServerCallContext

  get metadata(): Metadata {
    return (this.#metadata ??= metadataFromHeaders(this.#headers, this.#rawHeaders));
  }

  /** Made on first read: most handlers never look at it, and an AbortController costs on every call. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortReason) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get responseHeader(): Metadata {
    return (this.#responseHeader ??= new Metadata());
  }

  get responseTrailer(): Metadata {
    return (this.#responseTrailer ??= new Metadata());
  }

  get peer(): { address: string; certificate?: PeerCertificate } {
    return (this.#peer ??= peerOf((this.#stream.session as ServerHttp2Session | undefined)?.socket as TLSSocket | undefined));
  }

  setResponseCompression(encoding: 'gzip' | 'deflate' | 'identity'): boolean {
    if (this.phase === 'headersSent' || this.phase === 'done') return false;
    if (encoding === 'identity') {
      this.#responseEncoding = undefined;
      return true;
    }
    if (!isSupportedEncoding(encoding) || !this.#accepts(encoding)) return false;
    this.#responseEncoding = encoding;
    return true;
  }

  /** Sends the response header now (with `responseHeader`); later calls do nothing. */
  sendHeader(): void {
    if (this.phase === 'headersSent' || this.phase === 'done' || this.#stream.destroyed) return;
    this.phase = 'headersSent';
    this.#stream.on('wantTrailers', ServerCall.#onWantTrailers);
    this.#stream.respond(this.#responseHeaders(), { waitForTrailers: true });
  }

  // --- the response writer

  #responseHeaders(): Record<string, string | string[]> {
    if (!this.#responseEncoding && !this.#responseHeader) return RESPONSE_HEADERS;
    const h: Record<string, string | string[]> = { ...RESPONSE_HEADERS };
    if (this.#responseEncoding) h['grpc-encoding'] = this.#responseEncoding;
    if (this.#responseHeader) metadataToHeaders(this.#responseHeader, h);
    return h;
  }

  #encode(value: unknown) {
    return encodeMessage(this.#route.method.responseSerialize, value, this.#settings.maxSend, this.compressResponses ? this.#responseEncoding : undefined, 'response');
  }

  /** Sends one streamed response; a promise only when the stream must drain before the next. */
  #send(value: unknown): Promise<void> | undefined {
    if (this.phase === 'done') throw this.#abortReason ?? new GrpcError(Status.CANCELLED, 'the call has ended');
    const { payload, compressed } = this.#encode(value);
    this.sendHeader();
    return writeMessage(this.#stream, payload, compressed) ? undefined : drained(this.#stream, this.signal);
  }

  /** A unary or client-streaming result: header, message and end in one go, then the OK trailers. */
  #endWith(value: unknown): void {
    if (this.phase === 'done') return;
    const { payload, compressed } = this.#encode(value);
    this.sendHeader();
    if (!this.#finish()) return;
    this.#trailers = this.#trailerHeaders(Status.OK, '');
    endWithMessage(this.#stream, payload, compressed);
  }

  #trailerHeaders(code: Status, details: string, extra?: Metadata): Record<string, string | string[]> {
    if (code === Status.OK && !details && !this.#responseTrailer && !extra) return OK_TRAILERS;
    const trailers: Record<string, string | string[]> = { 'grpc-status': String(code) };
    if (details) trailers['grpc-message'] = encodeGrpcMessage(details);
    if (this.#responseTrailer) metadataToHeaders(this.#responseTrailer, trailers);
    if (extra) metadataToHeaders(extra, trailers);
    return trailers;
  }

  /** Ends the call with a status; trailers-only when nothing was sent yet. Later calls do nothing. */
  sendStatus(code: Status, details: string, extra?: Metadata): void {
    const headersSent = this.phase === 'headersSent';
    if (!this.#finish()) return;
    const stream = this.#stream;
    const trailers = this.#trailerHeaders(code, details, extra);
    if (!headersSent) {
      try {
        stream.respond({ ...this.#responseHeadersWithoutEncoding(), ...trailers }, { endStream: true });
      } catch {
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      }
      return;
    }
    this.#trailers = trailers;
    stream.end();
  }

  /** Trailers-only carries no messages, so no grpc-encoding either. */
  #responseHeadersWithoutEncoding(): Record<string, string | string[]> {
    if (!this.#responseHeader) return RESPONSE_HEADERS;
    return metadataToHeaders(this.#responseHeader, { ...RESPONSE_HEADERS });
  }

  /** Moves to done; false when the call was already done or its stream is gone (nothing to send). */
  #finish(): boolean {
    if (this.phase === 'done') return false;
    this.phase = 'done';
    this.#settings.calls.delete(this);
    if (this.#timer) clearTimeout(this.#timer);
    return !this.#stream.destroyed && !this.#stream.closed;
  }

  #abort(reason: GrpcError): void {
    if (this.#abortReason) return;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  #fail(err: unknown): void {
    const e = GrpcError.from(err);
    this.sendStatus(e.code, e.details, e.metadata);
    this.#abort(e);
  }

  /**
   * Shutdown ends the call for the client now (UNAVAILABLE: safe to retry elsewhere) and drops the
   * handler's later writes, which could otherwise still end the call as OK; the handler sees CANCELLED.
   */
  shutdown(why: string): void {
    this.sendStatus(Status.UNAVAILABLE, why);
    this.#abort(new GrpcError(Status.CANCELLED, why));
  }

  #accepts(encoding: string): boolean {
    this.#acceptEncodings ??= parseAcceptEncoding(this.#headers['grpc-accept-encoding'] as string | undefined);
    return this.#acceptEncodings.includes(encoding);
  }

  // --- requests and the handler

  /** MessageSink: one decoded request. */
  message(value: unknown, compressed: boolean): void {
    if (this.#requests) {
      this.#pendingFlags!.push(compressed);
      this.#requests.push(value);
    } else if (this.#received++ === 0) {
      this.#request = value;
      this.requestCompressed = compressed;
    }
  }

  /** The handler's view of streamed requests: each message it takes sets requestCompressed. */
  #handlerRequests(): AsyncIterable<unknown> {
    const requests = this.#requests!;
    const flags = this.#pendingFlags!;
    return {
      [Symbol.asyncIterator]: () => {
        const it = requests[Symbol.asyncIterator]();
        return {
          next: () =>
            it.next().then((r) => {
              if (!r.done) this.requestCompressed = flags.shift() ?? false;
              return r;
            }),
          return: (value?: unknown) => it.return!(value),
        };
      },
    };
  }

  #start(): void {
    if (this.phase === 'done') return;
    this.phase = 'handling';
    const { kind, handler, method } = this.#route;
    const input = kind === 'unary' || kind === 'serverStream' ? this.#request : this.#handlerRequests();
    let result: unknown;
    try {
      result = handler(input, this);
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (kind === 'unary' || kind === 'clientStream') {
      if (isThenable(result)) {
        result.then(
          (value) => this.#endWithOrFail(value),
          (err) => this.#failUnlessDone(err),
        );
      } else {
        this.#endWithOrFail(result);
      }
      return;
    }
    const output = result;
    if (!isIterable(output)) {
      this.#fail(new GrpcError(Status.INTERNAL, `the handler for ${method.path} must return an async iterable (write it as an async function*)`));
      return;
    }
    this.#pipe(output).then(
      () => this.sendStatus(Status.OK, ''),
      (err) => this.#failUnlessDone(err),
    );
  }

  async #pipe(output: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
    for await (const value of output) {
      if (this.phase === 'done') break;
      const drain = this.#send(value);
      if (drain) await drain;
    }
  }

  #endWithOrFail(value: unknown): void {
    try {
      this.#endWith(value);
    } catch (err) {
      this.#fail(err);
    }
  }

  #failUnlessDone(err: unknown): void {
    if (this.phase !== 'done') this.#fail(err);
  }

  // --- shared stream listeners (`this` is the stream)

  static #onData(this: CallStream, chunk: Buffer): void {
    const call = this[CALL]!;
    if (call.phase === 'done') return;
    try {
      call.#reader.push(chunk, call);
    } catch (err) {
      // Drain what is left so flow control does not stall the session.
      this.resume();
      call.#requests?.fail(err, true);
      call.#fail(err);
    }
  }

  static #onEnd(this: CallStream): void {
    // Node also ends the readable side of a stream the peer reset: that is a cancel, which the 'close'
    // listener reports, not a half-close after the last request.
    if (this.aborted || this.rstCode > http2.constants.NGHTTP2_NO_ERROR) return;
    const call = this[CALL]!;
    if (call.#reader.hasPartial) {
      const err = new GrpcError(Status.INTERNAL, 'the request ended inside a message (truncated length-prefixed message)');
      call.#requests?.fail(err, true);
      call.#fail(err);
      return;
    }
    if (call.#requests) call.#requests.end();
    else if (call.phase === 'receiving') {
      if (call.#received !== 1) call.#fail(new GrpcError(Status.UNIMPLEMENTED, `a unary request needs exactly one message, got ${call.#received === 0 ? 'none' : 'more'}`));
      else call.#start();
    }
  }

  static #onClose(this: CallStream): void {
    const call = this[CALL]!;
    if (call.phase !== 'done') {
      call.#finish();
      call.#abort(new GrpcError(Status.CANCELLED, this.rstCode === http2.constants.NGHTTP2_CANCEL ? 'the client cancelled the call' : 'the connection closed before the call ended'));
    }
    // A queue already ended needs no error, and creating one costs a stack trace.
    const requests = call.#requests;
    if (requests && !requests.ended) requests.fail(call.#abortReason ?? new GrpcError(Status.CANCELLED, 'the call ended'));
  }

  static #onWantTrailers(this: CallStream): void {
    try {
      this.sendTrailers(this[CALL]!.#trailers);
    } catch {
      this.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  static #onDeadline(call: ServerCall): void {
    call.#fail(new GrpcError(Status.DEADLINE_EXCEEDED, 'deadline exceeded'));
  }
}

function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  if (value == null) return false;
  const object = value as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown };
  return typeof object[Symbol.asyncIterator] === 'function' || typeof object[Symbol.iterator] === 'function';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

function peerOf(socket: TLSSocket | undefined): { address: string; certificate?: PeerCertificate } {
  if (!socket) return { address: 'unknown' };
  let address: string;
  try {
    // A unix socket has no remoteAddress (docs/node-http2.md#unix-sockets-and-authority).
    address = socket.remoteAddress ? (socket.remoteAddress.includes(':') ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`) : 'unix';
  } catch {
    address = 'unknown';
  }
  let certificate: PeerCertificate | undefined;
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
