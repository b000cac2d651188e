// .proto loading with protobufjs: services become ServiceDefinitions in @grpc/grpc-js's shape, keyed by
// fully-qualified name next to the messages (protobufjs Types) and enums.
import { errorMessage } from '../errors.js';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type protobuf from 'protobufjs';
import type { MethodDefinition, ServiceDefinition } from './service.js';
import { camelCase } from './service.js';
import { attachFileDescriptors, descriptorFiles, type FileNaming } from './descriptors.js';
import { loadProtobufjs } from './protobufjs-loader.js';
import { tracePhase } from './startup-trace.js';
import { DEFAULT_CONVERSION, deserializerOf, serializerOf } from './proto-codec.js';
import { generateCodecsOnFirstCall } from './lazy-codecs.js';

export interface LoadProtoOptions {
  /** Directories searched for imports, after the importing file's own directory. */
  includeDirs?: string[];
  /** Keep field names as written in the .proto (`service_id`) instead of lowerCamelCase (`serviceId`). */
  keepCase?: boolean;
  /** How 64-bit integers appear in received messages. Default `bigint`. Sending accepts all three. */
  longs?: 'bigint' | 'string' | 'number';
  /** How enum values appear in received messages. Default `string` (the value's name). */
  enums?: 'string' | 'number';
  /** Fill absent fields with their defaults (proto3 semantics). Default true. */
  defaults?: boolean;
  /** Add, per oneof, a property naming the field that is set. Default true. */
  oneofs?: boolean;
}

export type ProtoEntry = ServiceDefinition | protobuf.Type | protobuf.Enum;
export type LoadedProto = Record<string, ProtoEntry>;

/** Loads .proto files synchronously (start-up work). Throws with the file and reason when one cannot be read. */
export function loadProto(files: string | string[], options: LoadProtoOptions = {}): LoadedProto {
  const root = rootFor(options);
  tracePhase('loadProto: protobufjs loaded');
  try {
    root.loadSync(Array.isArray(files) ? files : [files], { keepCase: options.keepCase ?? false });
    root.resolveAll();
  } catch (err) {
    throw new Error(`cannot load ${[files].flat().join(', ')}: ${errorMessage(err)}`, { cause: err });
  }
  tracePhase('loadProto: parsed and resolved');
  const entryDirs = [files].flat().map((f) => dirname(resolve(f)));
  const definitions = definitionsOf(root, options, { includeDirs: [...(options.includeDirs ?? []).map((d) => resolve(d)), ...entryDirs] });
  tracePhase('loadProto: definitions built');
  return definitions;
}

/** Like loadProto for .proto source text (imports resolve against includeDirs and protobufjs's google/protobuf files). */
export function parseProto(source: string, options: LoadProtoOptions = {}): LoadedProto {
  const root = rootFor(options);
  try {
    // protobuf.parse only lists the imports; loading them is up to us.
    const parsed = pb().parse(source, root, { keepCase: options.keepCase ?? false });
    const imports = [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])];
    if (imports.length > 0) root.loadSync(imports, { keepCase: options.keepCase ?? false });
    root.resolveAll();
  } catch (err) {
    throw new Error(`cannot parse the .proto source: ${errorMessage(err)}`, { cause: err });
  }
  return definitionsOf(root, options);
}

/**
 * Like loadProto for protobufjs's JSON form of the loaded files (`Root.toJSON()`, `pbjs -t json`): no
 * parse at start-up. Field names are as the JSON has them (keepCase was decided when it was made);
 * reflection names each file by its package (`pkg/name.proto`), google/protobuf types by their own files.
 */
export function protoFromJson(json: protobuf.INamespace | string, options: Omit<LoadProtoOptions, 'includeDirs' | 'keepCase'> = {}): LoadedProto {
  const P = pb();
  tracePhase('protoFromJson: protobufjs loaded');
  let root: protobuf.Root;
  try {
    // fromJSON resolves every type, so a reference to a type the JSON lacks fails here.
    root = P.Root.fromJSON(typeof json === 'string' ? (JSON.parse(json) as protobuf.INamespace) : json);
  } catch (err) {
    throw new Error(`cannot load the JSON descriptor: ${errorMessage(err)}`, { cause: err });
  }
  tracePhase('protoFromJson: types built and resolved');
  const definitions = definitionsOf(root, options);
  tracePhase('protoFromJson: definitions built');
  return definitions;
}

/** protobufjs is loaded on first use: a plugin that never loads .proto files does not pay its import. */
const pb = loadProtobufjs;

/** A protobufjs Root resolving imports as loadProto does (shared with the generator, src/codegen). */
export function rootFor(options: Pick<LoadProtoOptions, 'includeDirs'>): protobuf.Root {
  const root = new (pb().Root)();
  const includeDirs = (options.includeDirs ?? []).map((d) => resolve(d));
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    const bases = [origin ? dirname(origin) : process.cwd(), ...includeDirs];
    for (const base of bases) {
      const candidate = join(base, target);
      if (existsSync(candidate)) return candidate;
    }
    // protobufjs ships google/protobuf/*.proto itself and finds them by this bare name.
    return target;
  };
  return root;
}

/** The service `name` in a loaded proto, with a clear error when it is missing; give `S` to type it. */
export function serviceOf<S extends ServiceDefinition = ServiceDefinition>(loaded: LoadedProto, name: string): S {
  const entry = loaded[name];
  if (entry === undefined || entry instanceof pb().Type || entry instanceof pb().Enum) {
    const services = Object.keys(loaded).filter((k) => !(loaded[k] instanceof pb().ReflectionObject));
    throw new Error(`no service "${name}" in the loaded .proto files; services: ${services.join(', ') || 'none'}`);
  }
  return entry as S;
}

/** The message type `name` (fully qualified) in a loaded proto. */
export function messageOf(loaded: LoadedProto, name: string): protobuf.Type {
  const entry = loaded[name];
  if (!(entry instanceof pb().Type)) throw new Error(`no message "${name}" in the loaded .proto files`);
  return entry;
}

function definitionsOf(root: protobuf.Root, options: LoadProtoOptions, naming: FileNaming = {}): LoadedProto {
  const files = descriptorFiles(root, naming);
  const conversion: protobuf.IConversionOptions = {
    longs: options.longs === 'string' ? String : options.longs === 'number' ? Number : DEFAULT_CONVERSION.longs,
    enums: options.enums === 'number' ? undefined : DEFAULT_CONVERSION.enums,
    defaults: options.defaults ?? DEFAULT_CONVERSION.defaults,
    oneofs: options.oneofs ?? DEFAULT_CONVERSION.oneofs,
  };
  const out: LoadedProto = {};
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      const name = child.fullName.replace(/^\./, '');
      if (child instanceof pb().Service) {
        out[name] = serviceDefinition(child, name, conversion);
        // Serialized FileDescriptorProtos for server reflection, built on first read.
        attachFileDescriptors(out[name], () => files.forService(child));
      }
      else if (child instanceof pb().Type) {
        out[name] = child;
        generateCodecsOnFirstCall(child, pb());
      }
      else if (child instanceof pb().Enum) out[name] = child;
      if (child instanceof pb().Namespace || child instanceof pb().Type) visit(child);
    }
  };
  visit(root);
  return out;
}

function serviceDefinition(service: protobuf.Service, fullName: string, conversion: protobuf.IConversionOptions): ServiceDefinition {
  const definition: Record<string, MethodDefinition> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializerOf(() => request),
      requestDeserialize: deserializerOf(() => request, conversion),
      responseSerialize: serializerOf(() => response),
      responseDeserialize: deserializerOf(() => response, conversion),
      // As @grpc/proto-loader names it, so handlers ported from grpc-js keep working.
      originalName: camelCase(method.name),
    };
  }
  return definition;
}
