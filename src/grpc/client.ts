// The gRPC client: one HTTP/2 stream per call on a shared Channel (src/http2), read in the order
// 'response' → 'data' → 'trailers' → 'close' (docs/node-http2.md#call-shapes).
import http2 from 'node:http2';
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { createChannel, type Channel, type ChannelOptions } from '../http2/channel.js';
import { ACCEPT_ENCODING, COMPRESSION_MIN_BYTES, compress, decompress, type Encoding } from './compression.js';
import { isGrpcContentType, GRPC_CONTENT_TYPE } from './content-type.js';
import { FrameDecoder } from './framing.js';
import { statusFromHttpStatus, statusFromRstCode } from './http-status.js';
import { METADATA_BUDGET_BYTES, Metadata, type MetadataInit, metadataFromHeaders, metadataSize, metadataToHeaders } from './metadata.js';
import { decodeGrpcMessage } from './percent.js';
import { drained, toBuffer, writeMessage } from './stream-io.js';
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
const USER_AGENT = 'grpc-node-goplugin/0.1.0';

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

function methodCaller(method: MethodDefinition, config: CallConfig): (input: any, options?: CallOptions) => any {
  if (!method.requestStream && !method.responseStream) {
    return (request, options) => single(startCall(method, config, options, [request]));
  }
  if (!method.requestStream && method.responseStream) {
    return (request, options) => startCall(method, config, options, [request]).responses;
  }
  if (method.requestStream && !method.responseStream) {
    return (requests, options) => single(startCall(method, config, options, requests));
  }
  return (requests, options) => startCall(method, config, options, requests).responses;
}

async function single(call: Call): Promise<unknown> {
  let result: { value: unknown } | undefined;
  for await (const value of call.responses) {
    if (result) {
      call.cancel(new GrpcError(Status.UNIMPLEMENTED, 'the server sent more than one response message to a unary call'));
      continue;
    }
    result = { value };
  }
  if (!result) throw new GrpcError(Status.UNIMPLEMENTED, 'the server sent no response message to a unary call');
  return result.value;
}

interface Call {
  responses: AsyncIterable<unknown>;
  cancel(err: GrpcError): void;
}

function startCall(method: MethodDefinition, config: CallConfig, options: CallOptions = {}, requests: Iterable<unknown> | AsyncIterable<unknown>): Call {
  let stream: ClientHttp2Stream | undefined;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  let localError: GrpcError | undefined;
  const signal = options.signal;
  // Node's stream.close(CANCEL) first half-closes an open request side (an empty DATA frame with
  // END_STREAM) and sends the RST in a later write, so a server can take a cancelled request stream as
  // complete. Aborting the signal given to request() sends RST_STREAM CANCEL alone
  // (docs/node-http2.md#client-destroy-looks-like-a-normal-end).
  const reset = new AbortController();

  const responses = createQueue<unknown>({
    onFull: () => stream?.pause(),
    onDrain: () => stream?.resume(),
    onCancel: () => cancel(new GrpcError(Status.CANCELLED, 'the caller stopped reading the responses')),
  });

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
    if (stream && !stream.closed && !stream.destroyed) reset.abort();
    finish(err);
  };
  function onAbort() {
    const reason = signal?.reason;
    cancel(reason instanceof GrpcError ? reason : new GrpcError(Status.CANCELLED, 'the call was cancelled by the caller', { cause: reason }));
  }

  if (signal?.aborted) {
    onAbort();
    return { responses, cancel };
  }
  signal?.addEventListener('abort', onAbort);

  const timeoutMs = options.timeoutMs ?? config.defaultTimeoutMs;
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
    timer = setTimeout(() => cancel(new GrpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded after ${timeoutMs} ms`)), Math.max(0, timeoutMs));
  }

  let metadata: Metadata;
  try {
    metadata = config.base ? config.base.clone() : new Metadata();
    if (options.metadata !== undefined) metadata.merge(options.metadata);
    if (metadataSize(metadata) > METADATA_BUDGET_BYTES) {
      throw new GrpcError(Status.INTERNAL, `request metadata is ${metadataSize(metadata)} bytes, over the ${METADATA_BUDGET_BYTES}-byte limit peers enforce`);
    }
  } catch (err) {
    finish(GrpcError.from(err, Status.INTERNAL));
    return { responses, cancel };
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
      metadataToHeaders(metadata, headers);
      let s: ClientHttp2Stream;
      try {
        s = session.request(headers, { signal: reset.signal });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ERR_HTTP2_OUT_OF_STREAMS' || code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION') {
          config.channel.retire(session);
          finish(new GrpcError(Status.UNAVAILABLE, `cannot start the call on ${config.channel.target}: ${(err as Error).message}`, { cause: err }));
        } else {
          finish(new GrpcError(Status.INTERNAL, `cannot start the call: ${(err as Error).message}`, { cause: err }));
        }
        return;
      }
      stream = s;
      config.channel.track(s);
      readResponse(s);
      void writeRequests(s);
    },
    (err: Error) => finish(new GrpcError(Status.UNAVAILABLE, err.message, { cause: err })),
  );

  function readResponse(s: ClientHttp2Stream): void {
    // Taken now: Node clears stream.session when the stream is destroyed, before 'close' is emitted.
    const session = s.session;
    const decoder = new FrameDecoder(config.maxReceive);
    let encoding: string | undefined;
    let status: { code: Status; details: string; trailers: Metadata } | undefined;
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
      encoding = h['grpc-encoding'] as string | undefined;
      const trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      if (trailersOnly) {
        fromTrailers(h, rawList(raw));
      } else {
        options.onHeader?.(metadataFromHeaders(h, rawList(raw)));
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
        for (const frame of decoder.push(chunk)) {
          let payload = frame.payload;
          if (frame.compressed) payload = decompress(encoding, payload, config.maxReceive);
          let message: unknown;
          try {
            message = method.responseDeserialize(toBuffer(payload));
          } catch (err) {
            throw new GrpcError(Status.INTERNAL, `cannot decode the response message: ${(err as Error).message}`);
          }
          responses.push(message);
        }
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
      if (localError) return finish(localError);
      if (status) {
        if (status.code === Status.OK) {
          if (decoder.hasPartial) return finish(new GrpcError(Status.INTERNAL, 'the response ended inside a message'));
          return finish();
        }
        return finish(new GrpcError(status.code, status.details, { metadata: status.trailers }));
      }
      if (httpStatus !== undefined && httpStatus !== 200) {
        return finish(new GrpcError(statusFromHttpStatus(httpStatus), `the server answered HTTP ${httpStatus} without a gRPC status`));
      }
      if (httpStatus === 200 && !contentTypeOk) {
        return finish(new GrpcError(Status.UNKNOWN, 'the server answered with a content-type that is not application/grpc'));
      }
      const rst = s.rstCode;
      // When the connection drops, Node destroys the session and then closes its streams with a local
      // CANCEL code: that is a lost connection (docs/node-http2.md#connection-loss), not a reset sent by the server.
      const connectionLost = !session || session.destroyed;
      if (!connectionLost && rst !== undefined && rst !== http2.constants.NGHTTP2_NO_ERROR) {
        return finish(new GrpcError(statusFromRstCode(rst), `the stream was reset by the server (HTTP/2 error code ${rst})`));
      }
      if (connectionLost || streamError || session.closed) {
        return finish(new GrpcError(Status.UNAVAILABLE, `the connection to ${config.channel.target} was lost${streamError ? `: ${streamError.message}` : ''}`, { cause: streamError }));
      }
      finish(new GrpcError(httpStatus === undefined ? Status.INTERNAL : Status.UNKNOWN, 'the server ended the call without a grpc-status'));
    });
  }

  async function writeRequests(s: ClientHttp2Stream): Promise<void> {
    try {
      for await (const value of requests as AsyncIterable<unknown>) {
        if (settled || s.closed || s.destroyed) return;
        let payload: Uint8Array;
        try {
          payload = method.requestSerialize(value ?? {});
        } catch (err) {
          throw new GrpcError(Status.INTERNAL, `cannot encode the request message: ${(err as Error).message}`);
        }
        if (payload.length > config.maxSend) {
          throw new GrpcError(Status.RESOURCE_EXHAUSTED, `sent message larger than max (${payload.length} vs. ${config.maxSend})`);
        }
        let compressed = false;
        if (config.compression && payload.length >= COMPRESSION_MIN_BYTES) {
          payload = compress(config.compression, payload);
          compressed = true;
        }
        const ok = writeMessage(s, payload, compressed);
        if (!ok) await drained(s);
      }
      if (!settled && !s.closed && !s.destroyed) s.end();
    } catch (err) {
      cancel(GrpcError.from(err, Status.CANCELLED));
    }
  }

  return { responses, cancel };
}

function rawList(raw: unknown): string[] | undefined {
  return Array.isArray(raw) ? (raw as string[]) : undefined;
}

export { createChannel, type Channel, type ChannelOptions };
