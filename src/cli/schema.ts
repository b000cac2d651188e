// A plugin's services and message types, for inspect and call: read through gRPC server reflection
// (v1, else v1alpha) or from .proto files, as protobufjs types with JSON conversion.
import type protobuf from 'protobufjs';
import { fileDescriptorDependencies as dependencies, fileDescriptorName as fileName, fileDescriptorsOf } from '../grpc/descriptors.js';
import { protobufjs as pb, protobufjsWithDescriptors, tag } from '../grpc/protobufjs.js';
import { createClient } from '../grpc/client.js';
import type { Channel } from '../http2/channel.js';
import { loadProto, type LoadedProto } from '../grpc/proto.js';
import { createQueue } from '../grpc/queue.js';
import { reflectionV1, reflectionV1alpha, type ReflectionAnswer, type ReflectionQuery, type ReflectionRequest } from '../grpc/reflection.js';
import type { MethodDefinition, ServiceDefinition } from '../grpc/service.js';
import { GrpcError, Status } from '../grpc/status.js';

export interface MethodInfo {
  name: string;
  /** `/package.Service/Method` */
  path: string;
  requestType: string;
  responseType: string;
  clientStream: boolean;
  serverStream: boolean;
}

export interface ServiceInfo {
  name: string;
  /** Undefined when the service's descriptors are unknown (listed by reflection without a file). */
  methods?: MethodInfo[];
}

export interface Schema {
  source: 'reflection' | 'proto';
  services: ServiceInfo[];
  /** Message types by fully-qualified name. */
  lookupType(name: string): protobuf.Type;
}

/** The plugin's schema through reflection, or undefined when it serves none (UNIMPLEMENTED). */
export async function schemaFromReflection(channel: Channel, timeoutMs = 5000): Promise<Schema | undefined> {
  for (const definition of [reflectionV1, reflectionV1alpha]) {
    const client = createClient(definition, channel);
    try {
      const names = await ask(client, [{ kind: 'listServices' }], timeoutMs);
      const listed = names[0]!;
      if (listed.kind !== 'services') throw new GrpcError(Status.INTERNAL, `reflection answered list_services with ${listed.kind}`);
      const files = new Map<string, Uint8Array>();
      const known = new Set<string>();
      const answers = await ask(client, listed.names.map((symbol) => ({ kind: 'fileContainingSymbol', symbol }) as const), timeoutMs);
      answers.forEach((answer, i) => {
        if (answer.kind !== 'files') return;
        known.add(listed.names[i]!);
        for (const bytes of answer.files) files.set(fileName(bytes), bytes);
      });
      // Dependencies sent earlier on a stream are not sent again, so ask by name for any still missing.
      for (let round = 0; round < 8; round++) {
        const missing = [...files.values()].flatMap(dependencies).filter((d) => !files.has(d));
        if (missing.length === 0) break;
        for (const answer of await ask(client, [...new Set(missing)].map((name) => ({ kind: 'fileByFilename', name }) as const), timeoutMs)) {
          if (answer.kind === 'files') for (const bytes of answer.files) files.set(fileName(bytes), bytes);
        }
      }
      const root = rootFromFiles([...files.values()]);
      return schemaOf('reflection', root, listed.names, known);
    } catch (err) {
      if (err instanceof GrpcError && err.code === Status.UNIMPLEMENTED) continue;
      throw err;
    }
  }
  return undefined;
}

async function ask(client: ReturnType<typeof createClient<typeof reflectionV1>>, queries: ReflectionQuery[], timeoutMs: number): Promise<ReflectionAnswer[]> {
  const requests = createQueue<ReflectionRequest>({ highWater: Infinity });
  for (const q of queries) requests.push({ ...q, host: '', raw: new Uint8Array(0) } as ReflectionRequest);
  requests.end();
  const answers: ReflectionAnswer[] = [];
  for await (const response of client.ServerReflectionInfo(requests, { timeoutMs })) answers.push(response.answer);
  return answers;
}

/** The schema of .proto files. */
export function schemaFromProto(files: string[], includeDirs: string[] = []): Schema {
  const loaded: LoadedProto = loadProto(files, { includeDirs });
  const P = pb();
  const names = Object.keys(loaded).filter((k) => !(loaded[k] instanceof P.ReflectionObject));
  // loadProto's definitions carry their descriptors; one root from them keeps a single code path.
  const descriptors = names.flatMap((n) => fileDescriptorsOf(loaded[n] as ServiceDefinition) ?? []);
  const unique = new Map(descriptors.map((bytes) => [fileName(bytes), bytes]));
  return schemaOf('proto', rootFromFiles([...unique.values()]), names, new Set(names));
}

function schemaOf(source: Schema['source'], root: protobuf.Root, names: string[], known: Set<string>): Schema {
  const P = pb();
  const services = [...names].sort().map((name): ServiceInfo => {
    if (!known.has(name)) return { name };
    const service = root.lookup(name);
    if (!(service instanceof P.Service)) return { name };
    return {
      name,
      methods: service.methodsArray.map((m) => {
        m.resolve();
        return {
          name: m.name,
          path: `/${name}/${m.name}`,
          requestType: m.resolvedRequestType!.fullName.slice(1),
          responseType: m.resolvedResponseType!.fullName.slice(1),
          clientStream: m.requestStream === true,
          serverStream: m.responseStream === true,
        };
      }),
    };
  });
  return {
    source,
    services,
    lookupType: (name) => root.lookupType(name),
  };
}

function rootFromFiles(files: Uint8Array[]): protobuf.Root {
  const P = protobufjsWithDescriptors();
  const set = P.Writer.create();
  for (const bytes of files) set.uint32(tag(1, 2)).bytes(bytes);
  return P.Root.fromDescriptor(set.finish());
}

/** How call reads and prints messages: protobuf JSON-ish (lowerCamel names, int64 and enums as strings, bytes base64). */
const TO_JSON: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

/** A MethodDefinition for one method of the schema, with JSON objects in and out. */
export function jsonMethod(schema: Schema, method: MethodInfo): MethodDefinition<Record<string, unknown>, Record<string, unknown>> {
  const request = schema.lookupType(method.requestType);
  const response = schema.lookupType(method.responseType);
  return {
    path: method.path,
    requestStream: method.clientStream,
    responseStream: method.serverStream,
    requestSerialize: (value) => {
      checkFields(request, value, method.requestType);
      return request.encode(request.fromObject(value)).finish();
    },
    requestDeserialize: (bytes) => request.toObject(request.decode(bytes), TO_JSON),
    responseSerialize: (value) => response.encode(response.fromObject(value)).finish(),
    responseDeserialize: (bytes) => response.toObject(response.decode(bytes), TO_JSON),
  };
}

/** protobufjs ignores unknown keys; a typo in a request deserves an error naming the fields. */
export function checkFields(type: protobuf.Type, value: Record<string, unknown>, where: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${where} must be a JSON object`);
  const names = new Set<string>();
  for (const f of type.fieldsArray) {
    names.add(f.name);
    const raw = (f as { protoName?: string }).protoName;
    if (raw) names.add(raw);
  }
  for (const key of Object.keys(value)) {
    if (!names.has(key)) throw new TypeError(`${where} has no field "${key}"; its fields: ${type.fieldsArray.map((f) => f.name).join(', ') || 'none'}`);
  }
  for (const f of type.fieldsArray) {
    f.resolve();
    const v = value[f.name];
    if (v && typeof v === 'object' && !Array.isArray(v) && !f.map && f.resolvedType instanceof pb().Type && !f.resolvedType.fullName.startsWith('.google.protobuf.')) {
      checkFields(f.resolvedType, v as Record<string, unknown>, `${where}.${f.name}`);
    }
  }
}

/** Finds `Service/Method` (or `Service.Method`, package optional when unambiguous) in the schema. */
export function findMethod(schema: Schema, spec: string): MethodInfo {
  const match = /^\/?(.+)[/.]([^/.]+)$/.exec(spec);
  if (!match) throw new TypeError(`"${spec}" is not Service/Method`);
  const [, service, name] = match as unknown as [string, string, string];
  const candidates = schema.services.filter((s) => s.name === service || s.name.endsWith(`.${service}`));
  const all = candidates.flatMap((s) => (s.methods ?? []).filter((m) => m.name === name));
  if (all.length === 1) return all[0]!;
  const known = schema.services.flatMap((s) => (s.methods ?? []).map((m) => m.path.slice(1))).join(', ');
  if (all.length > 1) throw new TypeError(`"${spec}" is ambiguous: ${all.map((m) => m.path.slice(1)).join(', ')}`);
  throw new TypeError(`no method "${spec}" in the plugin's ${schema.source === 'reflection' ? 'reflected services' : '.proto files'}; methods: ${known || 'none'}`);
}
