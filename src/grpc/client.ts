// The gRPC client: a method caller per method of the definition, each call one ClientCall (client-call.ts)
// on an HTTP/2 stream of a shared Channel (src/http2), and the two shapes its responses take: one result
// (SingleResponse) or a queue the caller iterates.
import { createChannel, type Channel, type ChannelOptions } from '../http2/channel.js';
import { startCall, type Call, type CallConfig, type Requests, type ResponseSink } from './client-call.js';
import type { Encoding } from './compression.js';
import { Metadata, type MetadataInit } from './metadata.js';
import { createQueue } from './queue.js';
import { methodAliases, type CallOptions, type MethodDefinition, type ServiceClient, type ServiceDefinition } from './service.js';
import { GrpcError, Status } from './status.js';

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

export { createChannel, type Channel, type ChannelOptions };
