// One client call, from its request headers to its status (docs/node-http2.md#call-shapes), in the order
// it happens: watch the caller's signal and the deadline, merge the metadata, open a stream on the
// channel's session with the request headers, write the request (or the caller's stream of them), read
// 'response' → 'data' → 'trailers' → 'close', and map how the stream ended to the caller's result
// (call-outcome.ts). Like the server's call it is one object: its stream listeners are shared functions
// that find their call on the stream, so a call allocates no closures per event (docs/node-http2.md#hot-path).
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, Http2Session, IncomingHttpHeaders } from 'node:http2';
import { errorMessage } from '../errors.js';
import type { Channel } from '../http2/channel.js';
import { PACKAGE_VERSION } from '../version.js';
import { callOutcome, type CallEndState } from './call-outcome.js';
import { ACCEPT_ENCODING, type Encoding } from './compression.js';
import { isGrpcContentType, GRPC_CONTENT_TYPE } from './content-type.js';
import { statusFromRequestError } from './http-status.js';
import { MessageReader, drained, encodeMessage, endWithMessage, writeMessage, type EncodedMessage, type MessageSink } from './messages.js';
import { METADATA_BUDGET_BYTES, Metadata, metadataFromHeaders, metadataSize, metadataToHeaders } from './metadata.js';
import { decodeGrpcMessage } from './percent.js';
import type { CallOptions, MethodDefinition } from './service.js';
import { GrpcError, Status, parseStatus } from './status.js';
import { MAX_TIMER_MS, formatGrpcTimeout } from './timeout.js';

/** What a client shares with its calls. */
export interface CallConfig {
  channel: Channel;
  maxReceive: number;
  maxSend: number;
  compression: Encoding | undefined;
  base: Metadata | undefined;
  defaultTimeoutMs: number | undefined;
}

/** One request message (unary, server-streaming), or the caller's stream of them. */
export type Requests = { single: unknown; many?: undefined } | { many: Iterable<unknown> | AsyncIterable<unknown>; single?: undefined };

/** Where a call's decoded responses go: a queue the caller iterates, or one unary result. */
export interface ResponseSink {
  push(value: unknown): void;
  end(): void;
  fail(err: unknown): void;
}

/** What the response side may do to its call: cancel it, or hold back reading while the caller is behind. */
export interface Call {
  cancel(err: GrpcError): void;
  pause(): void;
  resume(): void;
}

// gRPC's structured form first (grpc-<language>-<variant>/<version>, as servers and proxies parse it), then
// this package by name.
const USER_AGENT = `grpc-node-goplugints/${PACKAGE_VERSION} go-plugin-ts/${PACKAGE_VERSION}`;

const CALL = Symbol('grpc client call');
type CallStream = ClientHttp2Stream & { [CALL]?: ClientCall };

export function startCall(method: MethodDefinition, config: CallConfig, options: CallOptions = {}, requests: Requests, responses: ResponseSink): Call {
  const call = new ClientCall(method, config, options, requests, responses);
  call.start();
  return call;
}

class ClientCall implements Call, MessageSink<unknown> {
  readonly #method: MethodDefinition;
  readonly #config: CallConfig;
  readonly #options: CallOptions;
  readonly #requests: Requests;
  readonly #responses: ResponseSink;
  readonly #reader: MessageReader<unknown>;
  readonly #timeoutMs: number | undefined;
  readonly #deadline: number | undefined;
  /**
   * Streamed requests only. Node's stream.close(CANCEL) first half-closes an open request side (an empty
   * DATA frame with END_STREAM) and sends the RST in a later write, so a server can take a cancelled request
   * stream as complete. Aborting the signal given to request() sends RST_STREAM CANCEL alone
   * (docs/node-http2.md#client-destroy-looks-like-a-normal-end). A single request is written and its request
   * side ended at once, so it needs no signal.
   */
  readonly #reset: AbortController | undefined;
  /** The listener on the caller's signal, when there is one. */
  #onAbort: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The caller has its result (or error); nothing more reaches it. */
  #settled = false;
  #metadata: Metadata | undefined;
  #stream: CallStream | undefined;
  // What the stream showed, for callOutcome once it closes.
  #localError: GrpcError | undefined;
  #session: Http2Session | undefined;
  #status: CallEndState['status'];
  #httpStatus: number | undefined;
  #contentTypeOk = true;
  #streamError: Error | undefined;

  constructor(method: MethodDefinition, config: CallConfig, options: CallOptions, requests: Requests, responses: ResponseSink) {
    this.#method = method;
    this.#config = config;
    this.#options = options;
    this.#requests = requests;
    this.#responses = responses;
    this.#reader = new MessageReader(method.responseDeserialize, config.maxReceive, 'response');
    this.#timeoutMs = options.timeoutMs ?? config.defaultTimeoutMs;
    this.#deadline = this.#timeoutMs === undefined ? undefined : Date.now() + this.#timeoutMs;
    this.#reset = requests.many === undefined ? undefined : new AbortController();
  }

  start(): void {
    const signal = this.#options.signal;
    if (signal?.aborted) {
      this.#abort();
      return;
    }
    if (signal) signal.addEventListener('abort', (this.#onAbort = () => this.#abort()));
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) this.#timer = setTimeout(ClientCall.#onDeadline, Math.max(0, timeoutMs), this);
    if (!this.#mergeMetadata()) return;
    this.#config.channel.session().then(
      (session) => this.#open(session),
      (err: Error) => this.#finish(new GrpcError(Status.UNAVAILABLE, err.message, { cause: err })),
    );
  }

  /** Local cancellation: RST_STREAM CANCEL, and this status wins over whatever the server says later. */
  cancel(err: GrpcError): void {
    if (this.#settled) return;
    this.#localError = err;
    const stream = this.#stream;
    if (stream && !stream.closed && !stream.destroyed) {
      if (this.#reset) this.#reset.abort();
      else stream.close(http2.constants.NGHTTP2_CANCEL);
    }
    this.#finish(err);
  }

  pause(): void {
    this.#stream?.pause();
  }

  resume(): void {
    this.#stream?.resume();
  }

  /** MessageSink: each decoded response message. */
  message(value: unknown): void {
    this.#responses.push(value);
  }

  #finish(err?: GrpcError): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
    if (err) this.#responses.fail(err);
    else this.#responses.end();
  }

  #abort(): void {
    const reason = this.#options.signal?.reason;
    this.cancel(reason instanceof GrpcError ? reason : new GrpcError(Status.CANCELLED, 'the call was cancelled by the caller', { cause: reason }));
  }

  static #onDeadline(call: ClientCall): void {
    call.cancel(new GrpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded after ${call.#timeoutMs} ms`));
  }

  /** The client's metadata with the call's over it; false (the call failed) when it is over the budget. */
  #mergeMetadata(): boolean {
    const base = this.#config.base;
    const own = this.#options.metadata;
    if (!base && own === undefined) return true;
    try {
      const metadata = base ? base.clone() : new Metadata();
      if (own !== undefined) metadata.merge(own);
      const size = metadataSize(metadata);
      if (size > METADATA_BUDGET_BYTES) {
        throw new GrpcError(Status.INTERNAL, `request metadata is ${size} bytes, over the ${METADATA_BUDGET_BYTES}-byte limit peers enforce`);
      }
      this.#metadata = metadata;
      return true;
    } catch (err) {
      this.#finish(GrpcError.from(err, Status.INTERNAL));
      return false;
    }
  }

  // --- the stream

  #open(session: ClientHttp2Session): void {
    if (this.#settled) return;
    const headers = requestHeaders(this.#method.path, this.#config, this.#deadline, this.#metadata);
    let stream: CallStream;
    try {
      stream = this.#reset ? session.request(headers, { signal: this.#reset.signal }) : session.request(headers);
    } catch (err) {
      this.#refused(session, err);
      return;
    }
    this.#stream = stream;
    this.#config.channel.track(stream);
    this.#listen(stream);
    const requests = this.#requests;
    if (requests.many === undefined) this.#writeSingle(stream, requests.single);
    else void this.#writeMany(stream, requests.many);
  }

  /** session.request() threw: a session that can take no more streams is retired, so the next call reconnects. */
  #refused(session: ClientHttp2Session, err: unknown): void {
    const channel = this.#config.channel;
    if (statusFromRequestError((err as NodeJS.ErrnoException).code) === Status.UNAVAILABLE) {
      channel.retire(session);
      this.#finish(new GrpcError(Status.UNAVAILABLE, `cannot start the call on ${channel.target}: ${errorMessage(err)}`, { cause: err }));
    } else {
      this.#finish(new GrpcError(Status.INTERNAL, `cannot start the call: ${errorMessage(err)}`, { cause: err }));
    }
  }

  #listen(stream: CallStream): void {
    // Taken now: Node clears stream.session when the stream is destroyed, before 'close' is emitted.
    this.#session = stream.session;
    stream[CALL] = this;
    stream.on('response', ClientCall.#onResponse);
    stream.on('data', ClientCall.#onData);
    stream.on('trailers', ClientCall.#onTrailers);
    stream.on('error', ClientCall.#onError);
    stream.on('close', ClientCall.#onClose);
  }

  // --- writing the request

  #encode(value: unknown): EncodedMessage {
    return encodeMessage(this.#method.requestSerialize, value, this.#config.maxSend, this.#config.compression, 'request');
  }

  #writeSingle(stream: CallStream, value: unknown): void {
    let message;
    try {
      message = this.#encode(value);
    } catch (err) {
      this.cancel(GrpcError.from(err, Status.INTERNAL));
      return;
    }
    endWithMessage(stream, message.payload, message.compressed);
  }

  async #writeMany(stream: CallStream, values: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const value of values as AsyncIterable<unknown>) {
        if (this.#settled || stream.closed || stream.destroyed) return;
        const { payload, compressed } = this.#encode(value);
        if (!writeMessage(stream, payload, compressed)) await drained(stream);
      }
      if (!this.#settled && !stream.closed && !stream.destroyed) stream.end();
    } catch (err) {
      this.cancel(GrpcError.from(err, Status.CANCELLED));
    }
  }

  // --- reading the response. Node passes the raw name/value list as a third argument, so repeated fields
  // stay separate (docs/node-http2.md#repeated-headers-are-joined); where a runtime does not, the joined
  // values are split as well as they can be.

  static #onResponse(this: CallStream, h: IncomingHttpHeaders, flags: number, raw?: unknown): void {
    const call = this[CALL]!;
    call.#httpStatus = Number(h[':status']);
    call.#contentTypeOk = isGrpcContentType(h['content-type'] as string | undefined);
    call.#reader.encoding = h['grpc-encoding'] as string | undefined;
    const trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    if (trailersOnly) call.#fromTrailers(h, rawList(raw));
    else if (call.#options.onHeader) call.#options.onHeader(metadataFromHeaders(h, rawList(raw)));
  }

  static #onData(this: CallStream, chunk: Buffer): void {
    const call = this[CALL]!;
    if (call.#settled) return;
    // Not a gRPC response (an error page, a proxy's answer): its body is no message stream; the status
    // comes from grpc-status or the HTTP status when the stream closes
    // (docs/node-http2.md#http-status-mapping, #missing-grpc-status).
    // (Deno may deliver DATA before the 'response' event: only a response seen to be non-gRPC is skipped.)
    const httpStatus = call.#httpStatus;
    if (httpStatus !== undefined && (httpStatus !== 200 || !call.#contentTypeOk)) return;
    try {
      call.#reader.push(chunk, call);
    } catch (err) {
      const e = GrpcError.from(err, Status.INTERNAL);
      // A response the client cannot decode is INTERNAL, also in an encoding it does not know
      // (docs/node-http2.md#compression).
      call.cancel(e.code === Status.UNIMPLEMENTED ? new GrpcError(Status.INTERNAL, e.details, { cause: e }) : e);
    }
  }

  static #onTrailers(this: CallStream, h: IncomingHttpHeaders, _flags: number, raw?: unknown): void {
    this[CALL]!.#fromTrailers(h, rawList(raw));
  }

  static #onError(this: CallStream, err: Error): void {
    this[CALL]!.#streamError = err;
  }

  static #onClose(this: CallStream): void {
    const call = this[CALL]!;
    if (call.#settled) return;
    const session = call.#session;
    const deadline = call.#deadline;
    call.#finish(
      callOutcome({
        localError: call.#localError,
        status: call.#status,
        partialMessage: call.#reader.hasPartial,
        httpStatus: call.#httpStatus,
        contentTypeOk: call.#contentTypeOk,
        rstCode: this.rstCode,
        connectionLost: !session || session.destroyed,
        sessionClosed: session ? session.closed : true,
        streamError: call.#streamError,
        timeoutMs: call.#timeoutMs,
        pastDeadline: deadline !== undefined && Date.now() >= deadline,
        target: call.#config.channel.target,
      }),
    );
  }

  #fromTrailers(h: IncomingHttpHeaders, raw: string[] | undefined): void {
    const code = parseStatus(h['grpc-status'] as string | undefined);
    if (code === undefined) return;
    const message = h['grpc-message'];
    const trailers = metadataFromHeaders(h, raw);
    this.#status = { code, details: message === undefined ? '' : decodeGrpcMessage(String(message)), trailers };
    this.#options.onTrailer?.(trailers);
  }
}

/** The request's HEADERS: pseudo-headers, gRPC's own fields (docs/node-http2.md#request-headers), then metadata. */
function requestHeaders(path: string, config: CallConfig, deadline: number | undefined, metadata: Metadata | undefined): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {
    ':method': 'POST',
    ':scheme': config.channel.scheme,
    ':path': path,
    ':authority': config.channel.authority,
  };
  if (deadline !== undefined) headers['grpc-timeout'] = formatGrpcTimeout(Math.max(0, deadline - Date.now()));
  headers['te'] = 'trailers';
  headers['content-type'] = GRPC_CONTENT_TYPE;
  headers['user-agent'] = USER_AGENT;
  headers['grpc-accept-encoding'] = ACCEPT_ENCODING;
  if (config.compression) headers['grpc-encoding'] = config.compression;
  if (metadata) metadataToHeaders(metadata, headers);
  return headers;
}

function rawList(raw: unknown): string[] | undefined {
  return Array.isArray(raw) ? (raw as string[]) : undefined;
}
