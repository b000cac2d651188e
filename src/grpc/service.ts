// Service definitions in @grpc/grpc-js's shape, generic over each method's request and response types,
// and the plain-function handler and client types derived from them.
import type { PeerCertificate } from 'node:tls';
import type { Metadata, MetadataInit } from './metadata.js';

export interface MethodDefinition<Req = any, Res = any, RS extends boolean = boolean, SS extends boolean = boolean> {
  /** `/package.Service/Method` */
  path: string;
  requestStream: RS;
  responseStream: SS;
  // Method syntax on purpose: parameters stay bivariant, so grpc-js codegen taking `Buffer` fits.
  requestSerialize(value: Req): Uint8Array;
  requestDeserialize(bytes: Uint8Array): Req;
  responseSerialize(value: Res): Uint8Array;
  responseDeserialize(bytes: Uint8Array): Res;
  originalName?: string;
}

export type UnaryMethod<Req, Res> = MethodDefinition<Req, Res, false, false>;
export type ServerStreamMethod<Req, Res> = MethodDefinition<Req, Res, false, true>;
export type ClientStreamMethod<Req, Res> = MethodDefinition<Req, Res, true, false>;
export type BidiStreamMethod<Req, Res> = MethodDefinition<Req, Res, true, true>;

export type ServiceDefinition = { readonly [method: string]: MethodDefinition<any, any, boolean, boolean> };

/** Checks a hand-written definition's shape and keeps its precise method types. */
export function defineService<S extends ServiceDefinition>(definition: S): S {
  for (const [key, method] of Object.entries(definition)) {
    if (typeof method?.path !== 'string' || !method.path.startsWith('/')) {
      throw new TypeError(`method "${key}" needs a path such as "/package.Service/${key}"`);
    }
  }
  return definition;
}

export interface ServerCallContext {
  /** The `:path`, e.g. `/grpctest.Test/Double`. */
  readonly method: string;
  /** Metadata the client sent. */
  readonly metadata: Metadata;
  /** Aborted when the client cancels, the deadline passes, or the server shuts down. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds, when the client set a deadline. */
  readonly deadline: number | undefined;
  /** Sent with the first response message, or with the status when there is none. */
  readonly responseHeader: Metadata;
  /** Sent with the status. */
  readonly responseTrailer: Metadata;
  readonly peer: { address: string; certificate?: PeerCertificate };
  /** Sends `responseHeader` now instead of with the first message. */
  sendHeader(): void;
  /** Whether the request message the handler received last arrived compressed. */
  readonly requestCompressed: boolean;
  /**
   * Compress this call's responses with `encoding` (`'identity'` for none), overriding the server's
   * `compression` option. Takes effect only before the response header is sent and only when the client
   * accepts the encoding; returns whether it took effect.
   */
  setResponseCompression(encoding: 'gzip' | 'deflate' | 'identity'): boolean;
  /** Per message: set to false to send the next responses uncompressed (default true). */
  compressResponses: boolean;
}

export type UnaryHandler<Req, Res> = (request: Req, ctx: ServerCallContext) => Res | Promise<Res>;
export type ServerStreamHandler<Req, Res> = (request: Req, ctx: ServerCallContext) => AsyncIterable<Res> | Iterable<Res>;
export type ClientStreamHandler<Req, Res> = (requests: AsyncIterable<Req>, ctx: ServerCallContext) => Res | Promise<Res>;
export type BidiStreamHandler<Req, Res> = (requests: AsyncIterable<Req>, ctx: ServerCallContext) => AsyncIterable<Res> | Iterable<Res>;

export type RequestOf<M> = M extends MethodDefinition<infer Req, any, any, any> ? Req : never;
export type ResponseOf<M> = M extends MethodDefinition<any, infer Res, any, any> ? Res : never;

type Shape<M> = M extends { requestStream: infer RS; responseStream: infer SS } ? [RS, SS] : never;

export type HandlerFor<M> = Shape<M> extends [false, false]
  ? UnaryHandler<RequestOf<M>, ResponseOf<M>>
  : Shape<M> extends [false, true]
    ? ServerStreamHandler<RequestOf<M>, ResponseOf<M>>
    : Shape<M> extends [true, false]
      ? ClientStreamHandler<RequestOf<M>, ResponseOf<M>>
      : Shape<M> extends [true, true]
        ? BidiStreamHandler<RequestOf<M>, ResponseOf<M>>
        : AnyHandler;

type AnyHandler = UnaryHandler<any, any> | ServerStreamHandler<any, any> | ClientStreamHandler<any, any> | BidiStreamHandler<any, any>;

/**
 * Handlers keyed by the definition's method key (`PrintKV`) or its lower-camel form (`printKV`). A
 * method without a handler answers UNIMPLEMENTED.
 */
export type ServiceHandlers<S extends ServiceDefinition> = {
  [K in keyof S & string]?: HandlerFor<S[K]>;
} & {
  // Not `[K in keyof S as Uncapitalize<K>]`: inside a generic call such as addService(def, {...}),
  // TypeScript gives handlers of such a key-remapped type `never` parameters.
  [L in Uncapitalize<keyof S & string>]?: HandlerFor<S[KeyOfLowerCamel<S, L>]>;
};

/** The key of `S` whose lower-camel form is `L`. */
type KeyOfLowerCamel<S, L extends string> = { [K in keyof S & string]: Uncapitalize<K> extends L ? K : never }[keyof S & string];

export interface CallOptions {
  metadata?: MetadataInit;
  signal?: AbortSignal;
  /** Deadline relative to the call's start; sent as grpc-timeout. */
  timeoutMs?: number;
  onHeader?(metadata: Metadata): void;
  onTrailer?(metadata: Metadata): void;
}

export type UnaryCall<Req, Res> = (request: Req, options?: CallOptions) => Promise<Res>;
export type ServerStreamCall<Req, Res> = (request: Req, options?: CallOptions) => AsyncIterable<Res>;
export type ClientStreamCall<Req, Res> = (requests: AsyncIterable<Req> | Iterable<Req>, options?: CallOptions) => Promise<Res>;
export type BidiStreamCall<Req, Res> = (requests: AsyncIterable<Req> | Iterable<Req>, options?: CallOptions) => AsyncIterable<Res>;

export type ClientMethodFor<M> = Shape<M> extends [false, false]
  ? UnaryCall<RequestOf<M>, ResponseOf<M>>
  : Shape<M> extends [false, true]
    ? ServerStreamCall<RequestOf<M>, ResponseOf<M>>
    : Shape<M> extends [true, false]
      ? ClientStreamCall<RequestOf<M>, ResponseOf<M>>
      : Shape<M> extends [true, true]
        ? BidiStreamCall<RequestOf<M>, ResponseOf<M>>
        : (...args: any[]) => any;

/** Client methods under the definition's keys and their lower-camel forms. */
export type ServiceClient<S extends ServiceDefinition> = {
  readonly [K in keyof S & string]: ClientMethodFor<S[K]>;
} & {
  readonly [K in keyof S & string as Uncapitalize<K>]: ClientMethodFor<S[K]>;
};

/** lodash's camelCase, which @grpc/proto-loader uses for originalName: `PrintKV` → `printKv`. */
export function camelCase(name: string): string {
  const words = name.match(/[A-Z]{2,}(?=[A-Z][a-z]+|[0-9]|\b|_)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g) ?? [name];
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join('');
}

export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** The names a method answers to: its key, lower-camel key, originalName, and the name in its path. */
export function methodAliases(key: string, method: MethodDefinition): string[] {
  const fromPath = method.path.slice(method.path.lastIndexOf('/') + 1);
  const names = [key, lowerFirst(key), method.originalName, fromPath, lowerFirst(fromPath), camelCase(fromPath)];
  return [...new Set(names.filter((n): n is string => typeof n === 'string' && n !== ''))];
}
