// The gRPC client: one HTTP/2 stream per call on a shared Channel (src/http2), read in the order
// 'response' → 'data' → 'trailers' → 'close' (docs/node-http2.md#call-shapes).
import { PACKAGE_VERSION } from '../version.js';
import { errorMessage } from '../errors.js';
import http2 from 'node:http2';
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { createChannel, type Channel, type ChannelOptions } from '../http2/channel.js';
import { callOutcome, type CallEndState } from './call-outcome.js';
import { ACCEPT_ENCODING, type Encoding } from './compression.js';
import { isGrpcContentType, GRPC_CONTENT_TYPE } from './content-type.js';
import { statusFromRequestError } from './http-status.js';
import { MessageReader, drained, encodeMessage, endWithMessage, writeMessage } from './messages.js';
import { METADATA_BUDGET_BYTES, Metadata, type MetadataInit, metadataFromHeaders, metadataSize, metadataToHeaders } from './metadata.js';
import { decodeGrpcMessage } from './percent.js';
import { createQueue } from './queue.js';
import { methodAliases, type CallOptions, type MethodDefinition, type ServiceClient, type ServiceDefinition } from './service.js';
import { GrpcError, Status, parseStatus } from './status.js';
import { MAX_TIMER_MS, formatGrpcTimeout } from './timeout.js';

export interface ClientOptions extends ChannelOptions {
  /** Largest response message accepted (default 4 MiB); larger ones fail with RESOURCE_EXHAUSTED. */
  maxReceiveMessageSize?: number;
  /** Largest request message sent (default unlimited). */
  maxSendMessageSize?: number;
  /** Compress request messages with this encoding (gzip or deflate). */
  compression?: Encoding;
  /** Metadata sent with every call, before the call's own. */
  metadata?: MetadataInit;
  /** Deadline applied to calls that give no timeoutMs. */
  defaultTimeoutMs?: number;
}

export type Client<S extends ServiceDefinition> = ServiceClient<S> & {
  /** The channel calls go over (shared when one was given). */
  readonly channel: Channel;
  /** Closes the channel when the client created it; a shared channel stays open. */
  close(): Promise<void>;
};

export const DEFAULT_CLIENT_MAX_RECEIVE_MESSAGE_SIZE = 4 * 1024 * 1024;
// gRPC's structured form first (grpc-<language>-<variant>/<version>, as servers and proxies parse it), then
// this package by name.
const USER_AGENT = `grpc-node-goplugints/${PACKAGE_VERSION} go-plugin-ts/${PACKAGE_VERSION}`;

export function createClient<S extends ServiceDefinition>(definition: S, target: string | Channel, options: ClientOptions = {}): Client<S> {
  const ownChannel = typeof target === 'string';
  const channel = typeof target === 'string' ? createChannel(target, options) : target;
  const base = options.metadata === undefined ? undefined : new Metadata(options.metadata);
  const config: CallConfig = {
    channel,
    maxReceive: options.maxReceiveMessageSize ?? DEFAULT_CLIENT_MAX_RECEIVE_MESSAGE_SIZE,
    maxSend: options.maxSendMessageSize ?? Infinity,
    compression: options.compression && options.compression !== 'identity' ? options.compression : undefined,
    base,
    defaultTimeoutMs: options.defaultTimeoutMs,
  };
  const client: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition)) {
    const fn = methodCaller(method, config);
    for (const alias of methodAliases(key, method)) if (!(alias in client)) client[alias] = fn;
  }
  Object.defineProperty(client, 'channel', { value: channel, enumerable: false });
  Object.defineProperty(client, 'close', { value: () => (ownChannel ? channel.close() : Promise.resolve()), enumerable: false });
  return client as Client<S>;
}

interface CallConfig {
  channel: Channel;
  maxReceive: number;
  maxSend: number;
  compression: Encoding | undefined;
  base: Metadata | undefined;
  defaultTimeoutMs: number | undefined;
}

/** One method's caller; `never` as the input type admits each shape's own (a request, or a stream of them). */
type MethodCaller = (input: never, options?: CallOptions) => Promise<unknown> | AsyncIterable<unknown>;
type RequestStream = Iterable<unknown> | AsyncIterable<unknown>;

function methodCaller(method: MethodDefinition, config: CallConfig): MethodCaller {
  if (!method.requestStream && !method.responseStream) {
    return (request: unknown, options?: CallOptions) => {
      const response = new SingleResponse();
      response.call = startCall(method, config, options, { single: request }, response);
      return response.promise;
    };
  }
  if (!method.requestStream && method.responseStream) {
    return (request: unknown, options?: CallOptions) => streamedResponses(method, config, options, { single: request });
  }
  if (method.requestStream && !method.responseStream) {
    return (requests: RequestStream, options?: CallOptions) => {
      const response = new SingleResponse();
      response.call = startCall(method, config, options, { many: requests }, response);
      return response.promise;
    };
  }
  return (requests: RequestStream, options?: CallOptions) => streamedResponses(method, config, options, { many: requests });
}

/** Where a call's decoded responses go: a queue the caller iterates, or one unary result. */
interface ResponseSink {
  push(value: unknown): void;
  end(): void;
  fail(err: unknown): void;
}

/** The response of a unary or client-streaming call: exactly one message, then OK. */
class SingleResponse implements ResponseSink {
  readonly promise: Promise<unknown>;
  call: Call | undefined;
  #count = 0;
  #value: unknown;
  #resolve!: (value: unknown) => void;
  #reject!: (err: unknown) => void;

  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  push(value: unknown): void {
    if (this.#count++ === 0) this.#value = value;
    else this.call?.cancel(new GrpcError(Status.UNIMPLEMENTED, 'the server sent more than one response message to a unary call'));
  }

  end(): void {
    if (this.#count === 0) this.#reject(new GrpcError(Status.UNIMPLEMENTED, 'the server sent no response message to a unary call'));
    else this.#resolve(this.#value);
  }

  fail(err: unknown): void {
    this.#reject(err);
  }
}

function streamedResponses(method: MethodDefinition, config: CallConfig, options: CallOptions | undefined, requests: Requests): AsyncIterable<unknown> {
  let call: Call | undefined;
  const queue = createQueue<unknown>({
    onFull: () => call?.pause(),
    onDrain: () => call?.resume(),
    onCancel: () => call?.cancel(new GrpcError(Status.CANCELLED, 'the caller stopped reading the responses')),
  });
  call = startCall(method, config, options, requests, queue);
  return queue;
}

/** One request message (unary, server-streaming), or the caller's stream of them. */
type Requests = { single: unknown; many?: undefined } | { many: Iterable<unknown> | AsyncIterable<unknown>; single?: undefined };

interface Call {
  cancel(err: GrpcError): void;
  pause(): void;
  resume(): void;
}

function startCall(method: MethodDefinition, config: CallConfig, options: CallOptions = {}, requests: Requests, responses: ResponseSink): Call {
  let stream: ClientHttp2Stream | undefined;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  let localError: GrpcError | undefined;
  const signal = options.signal;
  // Node's stream.close(CANCEL) first half-closes an open request side (an empty DATA frame with
  // END_STREAM) and sends the RST in a later write, so a server can take a cancelled request stream as
  // complete. Aborting the signal given to request() sends RST_STREAM CANCEL alone
  // (docs/node-http2.md#client-destroy-looks-like-a-normal-end). A single request is written and its
  // request side ended at once, so the signal is needed only for streamed requests.
  const reset = requests.many === undefined ? undefined : new AbortController();

  const finish = (err?: GrpcError) => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (err) responses.fail(err);
    else responses.end();
  };

  /** Local cancellation: RST_STREAM CANCEL, and this status wins over whatever the server says later. */
  const cancel = (err: GrpcError) => {
    if (settled) return;
    localError = err;
    if (stream && !stream.closed && !stream.destroyed) {
      if (reset) reset.abort();
      else stream.close(http2.constants.NGHTTP2_CANCEL);
    }
    finish(err);
  };
  function onAbort() {
    const reason = signal?.reason;
    cancel(reason instanceof GrpcError ? reason : new GrpcError(Status.CANCELLED, 'the call was cancelled by the caller', { cause: reason }));
  }
  const call: Call = {
    cancel,
    pause: () => stream?.pause(),
    resume: () => stream?.resume(),
  };

  if (signal?.aborted) {
    onAbort();
    return call;
  }
  signal?.addEventListener('abort', onAbort);

  const timeoutMs = options.timeoutMs ?? config.defaultTimeoutMs;
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
    timer = setTimeout(() => cancel(new GrpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded after ${timeoutMs} ms`)), Math.max(0, timeoutMs));
  }

  let metadata: Metadata | undefined;
  if (config.base || options.metadata !== undefined) {
    try {
      metadata = config.base ? config.base.clone() : new Metadata();
      if (options.metadata !== undefined) metadata.merge(options.metadata);
      if (metadataSize(metadata) > METADATA_BUDGET_BYTES) {
        throw new GrpcError(Status.INTERNAL, `request metadata is ${metadataSize(metadata)} bytes, over the ${METADATA_BUDGET_BYTES}-byte limit peers enforce`);
      }
    } catch (err) {
      finish(GrpcError.from(err, Status.INTERNAL));
      return call;
    }
  }

  config.channel.session().then(
    (session) => {
      if (settled) return;
      const headers: Record<string, string | string[]> = {
        ':method': 'POST',
        ':scheme': config.channel.scheme,
        ':path': method.path,
        ':authority': config.channel.authority,
      };
      if (deadline !== undefined) headers['grpc-timeout'] = formatGrpcTimeout(Math.max(0, deadline - Date.now()));
      headers['te'] = 'trailers';
      headers['content-type'] = GRPC_CONTENT_TYPE;
      headers['user-agent'] = USER_AGENT;
      headers['grpc-accept-encoding'] = ACCEPT_ENCODING;
      if (config.compression) headers['grpc-encoding'] = config.compression;
      if (metadata) metadataToHeaders(metadata, headers);
      let s: ClientHttp2Stream;
      try {
        s = reset ? session.request(headers, { signal: reset.signal }) : session.request(headers);
      } catch (err) {
        if (statusFromRequestError((err as NodeJS.ErrnoException).code) === Status.UNAVAILABLE) {
          config.channel.retire(session);
          finish(new GrpcError(Status.UNAVAILABLE, `cannot start the call on ${config.channel.target}: ${errorMessage(err)}`, { cause: err }));
        } else {
          finish(new GrpcError(Status.INTERNAL, `cannot start the call: ${errorMessage(err)}`, { cause: err }));
        }
        return;
      }
      stream = s;
      config.channel.track(s);
      readResponse(s);
      if (requests.many === undefined) writeSingle(s, requests.single);
      else void writeRequests(s, requests.many);
    },
    (err: Error) => finish(new GrpcError(Status.UNAVAILABLE, err.message, { cause: err })),
  );

  function readResponse(s: ClientHttp2Stream): void {
    // Taken now: Node clears stream.session when the stream is destroyed, before 'close' is emitted.
    const session = s.session;
    const reader = new MessageReader(method.responseDeserialize, config.maxReceive, 'response');
    let status: CallEndState['status'];
    let httpStatus: number | undefined;
    let contentTypeOk = true;
    let streamError: Error | undefined;

    const fromTrailers = (h: IncomingHttpHeaders, raw?: string[]) => {
      const code = parseStatus(h['grpc-status'] as string | undefined);
      if (code === undefined) return;
      const message = h['grpc-message'];
      const trailers = metadataFromHeaders(h, raw);
      status = { code, details: message === undefined ? '' : decodeGrpcMessage(String(message)), trailers };
      options.onTrailer?.(trailers);
    };

    // Node passes the raw name/value list as a third argument, so repeated fields stay separate
    // (docs/node-http2.md#repeated-headers-are-joined);
    // where a runtime does not, the joined values are split as well as they can be.
    s.on('response', (h, flags, raw?: unknown) => {
      httpStatus = Number(h[':status']);
      contentTypeOk = isGrpcContentType(h['content-type'] as string | undefined);
      reader.encoding = h['grpc-encoding'] as string | undefined;
      const trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      if (trailersOnly) {
        fromTrailers(h, rawList(raw));
      } else if (options.onHeader) {
        options.onHeader(metadataFromHeaders(h, rawList(raw)));
      }
    });
    s.on('data', (chunk: Buffer) => {
      if (settled) return;
      // Not a gRPC response (an error page, a proxy's answer): its body is no message stream; the
      // status comes from grpc-status or the HTTP status when the stream closes
      // (docs/node-http2.md#http-status-mapping, #missing-grpc-status).
      // (Deno may deliver DATA before the 'response' event: only a response seen to be non-gRPC is skipped.)
      if (httpStatus !== undefined && (httpStatus !== 200 || !contentTypeOk)) return;
      try {
        reader.push(chunk, responseSink);
      } catch (err) {
        const e = GrpcError.from(err, Status.INTERNAL);
        // A response the client cannot decode is INTERNAL, also in an encoding it does not know
        // (docs/node-http2.md#compression).
        cancel(e.code === Status.UNIMPLEMENTED ? new GrpcError(Status.INTERNAL, e.details, { cause: e }) : e);
      }
    });
    s.on('trailers', (h, _flags, raw?: unknown) => fromTrailers(h, rawList(raw)));
    s.on('error', (err) => {
      streamError = err;
    });
    s.on('close', () => {
      if (settled) return;
      finish(
        callOutcome({
          localError,
          status,
          partialMessage: reader.hasPartial,
          httpStatus,
          contentTypeOk,
          rstCode: s.rstCode,
          connectionLost: !session || session.destroyed,
          sessionClosed: session ? session.closed : true,
          streamError,
          timeoutMs,
          pastDeadline: deadline !== undefined && Date.now() >= deadline,
          target: config.channel.target,
        }),
      );
    });
  }

  const responseSink = { message: (value: unknown) => responses.push(value) };

  function encode(value: unknown) {
    return encodeMessage(method.requestSerialize, value, config.maxSend, config.compression, 'request');
  }

  function writeSingle(s: ClientHttp2Stream, value: unknown): void {
    let message;
    try {
      message = encode(value);
    } catch (err) {
      cancel(GrpcError.from(err, Status.INTERNAL));
      return;
    }
    endWithMessage(s, message.payload, message.compressed);
  }

  async function writeRequests(s: ClientHttp2Stream, values: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const value of values as AsyncIterable<unknown>) {
        if (settled || s.closed || s.destroyed) return;
        const { payload, compressed } = encode(value);
        if (!writeMessage(s, payload, compressed)) await drained(s);
      }
      if (!settled && !s.closed && !s.destroyed) s.end();
    } catch (err) {
      cancel(GrpcError.from(err, Status.CANCELLED));
    }
  }

  return call;
}

function rawList(raw: unknown): string[] | undefined {
  return Array.isArray(raw) ? (raw as string[]) : undefined;
}

export { createChannel, type Channel, type ChannelOptions };
