// The run-time half of `go-plugin-ts gen` (src/cli/gen.ts): generated modules describe their messages as
// static protobufjs codecs and their services as ServiceDefinitions; nothing parses a .proto at start-up,
// and protobufjs's minimal runtime is loaded on the first call that encodes or decodes.
import type { MethodDefinition, ServiceDefinition } from './service.js';
import { camelCase } from './service.js';
import { loadProtobufjsMinimal } from './protobufjs-loader.js';
import { DEFAULT_CONVERSION, deserializerOf, serializerOf, type MessageCodec } from './proto-codec.js';
import { decodeBase64 } from '../encoding/base64.js';

import { FILE_DESCRIPTORS } from './descriptors.js';

/** A generated message: its constructor (with protobufjs's oneof properties) and, once built, its codec. */
export interface GeneratedMessage extends Partial<MessageCodec> {
  ctor: new () => object;
}

/** A generated enum in the shape protobufjs's codecs read: values by name, and names by number. */
export interface GeneratedEnum {
  values: Record<string, number>;
  valuesById: Record<number, string>;
}

/** What generated codecs run on. Typed loosely: protobufjs's generated code uses its internals (util.Long, …). */
export interface CodecRuntime {
  Reader: any;
  Writer: any;
  util: any;
  /** A message whose oneofs (synthetic ones included) are `{ oneofName: [fieldName, …] }`. */
  message(oneofs: Record<string, string[]>, ctor: (this: any, properties?: any) => void): GeneratedMessage;
  enumeration(valuesById: Record<number, string>, aliases?: Record<string, number>): GeneratedEnum;
}

/** Runs a generated module's codec builder once, on first use. */
export function generatedCodecs(build: (runtime: CodecRuntime) => Record<string, GeneratedMessage>): () => Record<string, MessageCodec> {
  let built: Record<string, MessageCodec> | undefined;
  return () => {
    if (built) return built;
    const minimal = loadProtobufjsMinimal();
    const { util } = minimal;
    const runtime: CodecRuntime = {
      Reader: minimal.Reader,
      Writer: minimal.Writer,
      util,
      message(oneofs, init) {
        const ctor = init as unknown as new () => object;
        for (const [name, fields] of Object.entries(oneofs)) {
          // As protobufjs's reflected constructors: setting the oneof's name clears its other fields.
          Object.defineProperty(ctor.prototype, name, { get: util.oneOfGetter(fields), set: util.oneOfSetter(fields) });
        }
        return { ctor };
      },
      enumeration(valuesById, aliases = {}) {
        // protobufjs looks names up by number through `values`, whose prototype is `valuesById`.
        const values = Object.create(valuesById) as Record<string, number>;
        for (const [id, name] of Object.entries(valuesById)) values[name] = Number(id);
        Object.assign(values, aliases);
        return { values, valuesById };
      },
    };
    built = build(runtime) as Record<string, MessageCodec>;
    return built;
  };
}

/** One method of a generated service: request and response message names, client and server streaming. */
export type GeneratedMethod = readonly [request: string, response: string, requestStream: boolean, responseStream: boolean];

/** A generated service's definition, with its file descriptors for reflection under FILE_DESCRIPTORS. */
export function generatedService<S extends ServiceDefinition>(
  codecs: () => Record<string, MessageCodec>,
  fullName: string,
  methods: Record<string, GeneratedMethod>,
  fileDescriptors: readonly string[],
): S {
  const definition: Record<string, MethodDefinition> = {};
  for (const [name, [request, response, requestStream, responseStream]] of Object.entries(methods)) {
    const requestCodec = () => codecs()[request]!;
    const responseCodec = () => codecs()[response]!;
    definition[name] = {
      path: `/${fullName}/${name}`,
      requestStream,
      responseStream,
      requestSerialize: serializerOf(requestCodec),
      requestDeserialize: deserializerOf(requestCodec, DEFAULT_CONVERSION),
      responseSerialize: serializerOf(responseCodec),
      responseDeserialize: deserializerOf(responseCodec, DEFAULT_CONVERSION),
      originalName: camelCase(name),
    };
  }
  let decoded: Uint8Array[] | undefined;
  Object.defineProperty(definition, FILE_DESCRIPTORS, { get: () => (decoded ??= fileDescriptors.map((d) => decodeBase64(d))) });
  return definition as unknown as S;
}
