// gRPC server reflection, v1 and v1alpha (wire-identical), answered from the serialized
// FileDescriptorProtos that service definitions carry (see descriptors.ts). Behaviour follows grpc-go's
// reflection server: one response per request, files sent once per stream except the one asked for,
// NOT_FOUND in an ErrorResponse for unknown names, INVALID_ARGUMENT ending the stream for an empty request.
// Protocol: https://github.com/grpc/grpc/blob/a389e6fbcd9440ce6eb69846882bc602ade961f6/src/proto/grpc/reflection/v1/reflection.proto
import { fileDescriptorsOf } from './descriptors.js';
import { protobufjs as pb, readFields as readMessage, tag } from './protobufjs.js';
import { attachPackagedDescriptors } from './packaged-protos.js';
import type { BidiStreamMethod, ServiceDefinition, ServiceHandlers } from './service.js';
import { GrpcError, Status } from './status.js';

/** What a reflection request asks. */
export type ReflectionQuery =
  | { kind: 'fileByFilename'; name: string }
  | { kind: 'fileContainingSymbol'; symbol: string }
  | { kind: 'fileContainingExtension'; containingType: string; extensionNumber: number }
  | { kind: 'allExtensionNumbersOfType'; type: string }
  | { kind: 'listServices' }
  | { kind: 'none' };

export type ReflectionRequest = ReflectionQuery & {
  host: string;
  /** The request as received, echoed in original_request. */
  raw: Uint8Array;
};

export type ReflectionAnswer =
  | { kind: 'files'; files: Uint8Array[] }
  | { kind: 'extensionNumbers'; baseTypeName: string; numbers: number[] }
  | { kind: 'services'; names: string[] }
  | { kind: 'error'; code: Status; message: string };

export interface ReflectionResponse {
  validHost: string;
  originalRequest: Uint8Array;
  answer: ReflectionAnswer;
}

export type ReflectionService = { ServerReflectionInfo: BidiStreamMethod<ReflectionRequest, ReflectionResponse> };

const text = (v: Uint8Array | number) => (typeof v === 'number' ? '' : new TextDecoder().decode(v));

export function decodeReflectionRequest(bytes: Uint8Array): ReflectionRequest {
  let host = '';
  const raw = bytes.slice();
  let request: ReflectionRequest = { kind: 'none', host, raw };
  readMessage(bytes, (field, v) => {
    if (field === 1) host = text(v);
    else if (field === 3) request = { kind: 'fileByFilename', name: text(v), host, raw };
    else if (field === 4) request = { kind: 'fileContainingSymbol', symbol: text(v), host, raw };
    else if (field === 5 && typeof v !== 'number') {
      let containingType = '';
      let extensionNumber = 0;
      readMessage(v, (f, x) => {
        if (f === 1) containingType = text(x);
        else if (f === 2 && typeof x === 'number') extensionNumber = x;
      });
      request = { kind: 'fileContainingExtension', containingType, extensionNumber, host, raw };
    } else if (field === 6) request = { kind: 'allExtensionNumbersOfType', type: text(v), host, raw };
    else if (field === 7) request = { kind: 'listServices', host, raw };
  });
  return { ...request, host, raw };
}

export function encodeReflectionResponse(response: ReflectionResponse): Uint8Array {
  const P = pb();
  const w = P.Writer.create();
  if (response.validHost) w.uint32(tag(1, 2)).string(response.validHost);
  w.uint32(tag(2, 2)).bytes(response.originalRequest);
  const a = response.answer;
  const inner = P.Writer.create();
  if (a.kind === 'files') {
    for (const f of a.files) inner.uint32(tag(1, 2)).bytes(f);
    w.uint32(tag(4, 2)).bytes(inner.finish());
  } else if (a.kind === 'extensionNumbers') {
    inner.uint32(tag(1, 2)).string(a.baseTypeName);
    if (a.numbers.length > 0) {
      inner.uint32(tag(2, 2)).fork();
      for (const n of a.numbers) inner.int32(n);
      inner.ldelim();
    }
    w.uint32(tag(5, 2)).bytes(inner.finish());
  } else if (a.kind === 'services') {
    for (const name of a.names) inner.uint32(tag(1, 2)).bytes(P.Writer.create().uint32(tag(1, 2)).string(name).finish());
    w.uint32(tag(6, 2)).bytes(inner.finish());
  } else {
    inner.uint32(tag(1, 0)).int32(a.code).uint32(tag(2, 2)).string(a.message);
    w.uint32(tag(7, 2)).bytes(inner.finish());
  }
  return w.finish();
}

/** The client side's view of a response (tools and tests): files decoded into their bytes. */
export function decodeReflectionResponse(bytes: Uint8Array): { validHost: string; answer: ReflectionAnswer } {
  let validHost = '';
  let answer: ReflectionAnswer = { kind: 'error', code: Status.INTERNAL, message: 'empty reflection response' };
  readMessage(bytes, (field, v) => {
    if (typeof v === 'number') return;
    if (field === 1) validHost = text(v);
    else if (field === 4) {
      const files: Uint8Array[] = [];
      readMessage(v, (f, x) => f === 1 && typeof x !== 'number' && files.push(x));
      answer = { kind: 'files', files };
    } else if (field === 5) {
      let baseTypeName = '';
      const numbers: number[] = [];
      const reader = pb().Reader.create(v);
      while (reader.pos < reader.len) {
        const key = reader.uint32();
        if (key >>> 3 === 1) baseTypeName = reader.string();
        else if (key === tag(2, 2)) {
          const end = reader.uint32() + reader.pos;
          while (reader.pos < end) numbers.push(reader.int32());
        } else if (key === tag(2, 0)) numbers.push(reader.int32());
        else reader.skipType(key & 7);
      }
      answer = { kind: 'extensionNumbers', baseTypeName, numbers };
    } else if (field === 6) {
      const names: string[] = [];
      readMessage(v, (f, x) => {
        if (f === 1 && typeof x !== 'number') readMessage(x, (g, y) => g === 1 && names.push(text(y)));
      });
      answer = { kind: 'services', names };
    } else if (field === 7) {
      let code: Status = Status.OK;
      let message = '';
      readMessage(v, (f, x) => {
        if (f === 1 && typeof x === 'number') code = x as Status;
        else if (f === 2) message = text(x);
      });
      answer = { kind: 'error', code, message };
    }
  });
  return { validHost, answer };
}

export function encodeReflectionRequest(request: ReflectionQuery & { host?: string }): Uint8Array {
  const w = pb().Writer.create();
  if (request.host) w.uint32(tag(1, 2)).string(request.host);
  switch (request.kind) {
    case 'fileByFilename':
      w.uint32(tag(3, 2)).string(request.name);
      break;
    case 'fileContainingSymbol':
      w.uint32(tag(4, 2)).string(request.symbol);
      break;
    case 'fileContainingExtension':
      w.uint32(tag(5, 2)).fork().uint32(tag(1, 2)).string(request.containingType).uint32(tag(2, 0)).int32(request.extensionNumber).ldelim();
      break;
    case 'allExtensionNumbersOfType':
      w.uint32(tag(6, 2)).string(request.type);
      break;
    case 'listServices':
      w.uint32(tag(7, 2)).string('');
      break;
  }
  return w.finish();
}

/** Names a set of FileDescriptorProtos declares, for lookups by symbol, file and extension. */
export interface DescriptorIndex {
  files: Map<string, { bytes: Uint8Array; dependencies: string[] }>;
  /** Fully-qualified symbol → file name. */
  symbols: Map<string, string>;
  /** `extendee#number` → file name. */
  extensions: Map<string, string>;
  /** Message → its extension numbers (messages with none map to []). */
  extensionNumbers: Map<string, number[]>;
}

export function indexDescriptors(files: Iterable<Uint8Array>): DescriptorIndex {
  const index: DescriptorIndex = { files: new Map(), symbols: new Map(), extensions: new Map(), extensionNumbers: new Map() };
  for (const bytes of files) {
    let name = '';
    let pkg = '';
    const dependencies: string[] = [];
    const parts: Array<[number, Uint8Array]> = [];
    readMessage(bytes, (field, v) => {
      if (typeof v === 'number') return;
      if (field === 1) name = text(v);
      else if (field === 2) pkg = text(v);
      else if (field === 3) dependencies.push(text(v));
      else parts.push([field, v]);
    });
    if (index.files.has(name)) continue;
    index.files.set(name, { bytes, dependencies });
    const scope = pkg;
    const add = (symbol: string) => {
      if (!index.symbols.has(symbol)) index.symbols.set(symbol, name);
    };
    for (const [field, v] of parts) {
      if (field === 4) indexMessage(index, name, scope, v, add);
      else if (field === 5) indexEnum(scope, v, add);
      else if (field === 6) indexService(scope, v, add);
      else if (field === 7) indexExtension(index, name, scope, v, add);
    }
  }
  return index;
}

const join = (scope: string, name: string) => (scope ? `${scope}.${name}` : name);

function nameOf(bytes: Uint8Array): string {
  let name = '';
  readMessage(bytes, (f, v) => f === 1 && (name = text(v)));
  return name;
}

function indexMessage(index: DescriptorIndex, file: string, scope: string, bytes: Uint8Array, add: (s: string) => void): void {
  const full = join(scope, nameOf(bytes));
  add(full);
  if (!index.extensionNumbers.has(full)) index.extensionNumbers.set(full, []);
  readMessage(bytes, (field, v) => {
    if (typeof v === 'number') return;
    if (field === 2 || field === 8) add(join(full, nameOf(v))); // fields, oneofs
    else if (field === 3) indexMessage(index, file, full, v, add);
    else if (field === 4) indexEnum(full, v, add);
    else if (field === 6) indexExtension(index, file, full, v, add);
  });
}

function indexEnum(scope: string, bytes: Uint8Array, add: (s: string) => void): void {
  add(join(scope, nameOf(bytes)));
  // Enum values are scoped like their enum's siblings (protobuf's C++ scoping).
  readMessage(bytes, (field, v) => field === 2 && typeof v !== 'number' && add(join(scope, nameOf(v))));
}

function indexService(scope: string, bytes: Uint8Array, add: (s: string) => void): void {
  const full = join(scope, nameOf(bytes));
  add(full);
  readMessage(bytes, (field, v) => field === 2 && typeof v !== 'number' && add(join(full, nameOf(v))));
}

function indexExtension(index: DescriptorIndex, file: string, scope: string, bytes: Uint8Array, add: (s: string) => void): void {
  let name = '';
  let extendee = '';
  let number = 0;
  readMessage(bytes, (f, v) => {
    if (f === 1) name = text(v);
    else if (f === 2) extendee = text(v).replace(/^\./, '');
    else if (f === 3 && typeof v === 'number') number = v;
  });
  add(join(scope, name));
  index.extensions.set(`${extendee}#${number}`, file);
  const numbers = index.extensionNumbers.get(extendee) ?? [];
  numbers.push(number);
  index.extensionNumbers.set(extendee, numbers);
}

/** The answer to one request; `sent` holds the files already sent on this stream (updated). */
export function answerReflection(request: ReflectionRequest, index: DescriptorIndex, services: string[], sent: Set<string>): ReflectionAnswer {
  const withDependencies = (name: string): ReflectionAnswer => {
    const out: Uint8Array[] = [];
    const visit = (file: string, requested: boolean) => {
      const entry = index.files.get(file);
      if (!entry || (!requested && sent.has(file))) return;
      sent.add(file);
      out.push(entry.bytes);
      for (const dep of entry.dependencies) visit(dep, false);
    };
    visit(name, true);
    return { kind: 'files', files: out };
  };
  const notFound = (message: string): ReflectionAnswer => ({ kind: 'error', code: Status.NOT_FOUND, message });
  switch (request.kind) {
    case 'listServices':
      return { kind: 'services', names: services };
    case 'fileByFilename':
      return index.files.has(request.name) ? withDependencies(request.name) : notFound(`file not found: ${request.name}`);
    case 'fileContainingSymbol': {
      const file = index.symbols.get(request.symbol.replace(/^\./, ''));
      return file ? withDependencies(file) : notFound(`symbol not found: ${request.symbol}`);
    }
    case 'fileContainingExtension': {
      const type = request.containingType.replace(/^\./, '');
      const file = index.extensions.get(`${type}#${request.extensionNumber}`);
      return file ? withDependencies(file) : notFound(`extension not found: ${type} has no extension number ${request.extensionNumber}`);
    }
    case 'allExtensionNumbersOfType': {
      const type = request.type.replace(/^\./, '');
      const numbers = index.extensionNumbers.get(type);
      return numbers ? { kind: 'extensionNumbers', baseTypeName: type, numbers: [...numbers].sort((a, b) => a - b) } : notFound(`type not found: ${type}`);
    }
    case 'none':
      throw new GrpcError(Status.INVALID_ARGUMENT, 'invalid reflection request: it sets none of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services');
  }
}

function reflectionDefinition(pkg: string): ReflectionService {
  return {
    ServerReflectionInfo: {
      path: `/${pkg}.ServerReflection/ServerReflectionInfo`,
      requestStream: true,
      responseStream: true,
      requestSerialize: (r: ReflectionRequest) => encodeReflectionRequest(r),
      requestDeserialize: decodeReflectionRequest,
      responseSerialize: encodeReflectionResponse,
      responseDeserialize: (bytes: Uint8Array) => ({ ...decodeReflectionResponse(bytes), originalRequest: new Uint8Array(0) }) as ReflectionResponse,
      originalName: 'serverReflectionInfo',
    },
  };
}

export const reflectionV1 = reflectionDefinition('grpc.reflection.v1');
export const reflectionV1alpha = reflectionDefinition('grpc.reflection.v1alpha');
attachPackagedDescriptors(reflectionV1, 'grpc/reflection/v1/reflection.proto', 'grpc.reflection.v1.ServerReflection');
attachPackagedDescriptors(reflectionV1alpha, 'grpc/reflection/v1alpha/reflection.proto', 'grpc.reflection.v1alpha.ServerReflection');

/**
 * Handlers answering from `served()`: the server's services by name with their definitions, read per
 * stream so services added after the reflection service are seen.
 */
export function reflectionHandlers(served: () => Map<string, ServiceDefinition[]>): ServiceHandlers<ReflectionService> {
  return {
    async *ServerReflectionInfo(requests) {
      const current = served();
      const index = indexDescriptors([...current.values()].flat().flatMap((d) => fileDescriptorsOf(d) ?? []));
      const services = [...current.keys()].sort();
      const sent = new Set<string>();
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request.raw, answer: answerReflection(request, index, services, sent) };
      }
    },
  };
}
