// Serialized google.protobuf.FileDescriptorProtos for generated definitions (the reflection contract:
// the declaring file first, then its transitive imports), built with protobufjs's descriptor extension
// at generation time only.
import type protobuf from 'protobufjs';
import { createRequire } from 'node:module';
import { loadProtobufjs } from '../grpc/protobufjs-loader.js';
import { encodeBase64 } from '../encoding/base64.js';
import { declaredIn, filenameOf, type LoadedFiles } from './load.js';

type Descriptor = { FileDescriptorProto: { fromObject(o: object): object; encode(m: object): { finish(): Uint8Array } } };
type WithDescriptor = { toDescriptor(edition?: string): object };

let descriptorExtension: Descriptor | undefined;
function descriptorModule(): Descriptor {
  // Installs toDescriptor() on protobufjs's reflection classes: it must extend the same protobufjs
  // copy as loadProtobufjs(), hence the same bundler-visible require (src/grpc/protobufjs-loader.ts).
  descriptorExtension ??=
    typeof require === 'function'
      ? (require('protobufjs/ext/descriptor') as Descriptor)
      : (createRequire(import.meta.url)('protobufjs/ext/descriptor') as Descriptor);
  return descriptorExtension;
}

/** The files whose declarations `filename`'s own declarations reference, by filename. */
export function referencedFiles(root: protobuf.Root, filename: string): string[] {
  const pb = loadProtobufjs();
  const out = new Set<string>();
  const note = (obj: protobuf.ReflectionObject | null | undefined) => {
    const file = obj ? filenameOf(obj) : null;
    if (file && file !== filename) out.add(file);
  };
  for (const obj of declaredIn(root, filename)) {
    if (obj instanceof pb.Type) for (const field of obj.fieldsArray) note(field.resolve().resolvedType);
    if (obj instanceof pb.Service) {
      for (const method of obj.methodsArray) {
        method.resolve();
        note(method.resolvedRequestType);
        note(method.resolvedResponseType);
      }
    }
  }
  return [...out].sort();
}

/** `filename` then its transitive dependencies, each once. */
export function fileClosure(root: protobuf.Root, filename: string): string[] {
  const order: string[] = [];
  const visit = (f: string) => {
    if (order.includes(f)) return;
    order.push(f);
    for (const dep of referencedFiles(root, f)) visit(dep);
  };
  visit(filename);
  return order;
}

/** One file's FileDescriptorProto, base64. */
export function fileDescriptor(loaded: LoadedFiles, filename: string): string {
  const pb = loadProtobufjs();
  const { FileDescriptorProto } = descriptorModule();
  const declared = declaredIn(loaded.root, filename);
  const top = declared.filter((o) => !(o.parent instanceof pb.Type));
  const first = top[0] as (protobuf.ReflectionObject & { _edition?: string }) | undefined;
  const edition = first?._edition ?? 'proto2';
  const packageName = first?.parent && !(first.parent instanceof pb.Root) ? first.parent.fullName.slice(1) : undefined;
  const editionFields =
    edition === 'proto2' || edition === 'proto3' ? { syntax: edition } : { syntax: 'editions', edition: `EDITION_${edition}` };
  const file = FileDescriptorProto.fromObject({
    name: loaded.descriptorName(filename),
    ...(packageName ? { package: packageName } : {}),
    dependency: referencedFiles(loaded.root, filename).map((f) => loaded.descriptorName(f)),
    messageType: top
      .filter((o): o is protobuf.Type => o instanceof pb.Type)
      .map((o) => qualify((o as unknown as WithDescriptor).toDescriptor(edition) as MessageDescriptor, o)),
    enumType: top.filter((o) => o instanceof pb.Enum).map((o) => (o as unknown as WithDescriptor).toDescriptor()),
    service: top.filter((o) => o instanceof pb.Service).map((o) => (o as unknown as WithDescriptor).toDescriptor()),
    ...editionFields,
  });
  return encodeBase64(FileDescriptorProto.encode(file).finish());
}

interface FieldDescriptor {
  number: number;
  typeName?: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
}

/**
 * protoc's names where protobufjs's descriptor extension differs: fully-qualified type names
 * (`.pkg.Msg`, not relative ones) and map entries named `FieldNameEntry`, which Go's protodesc
 * (grpcurl, reflection clients) insists on.
 */
function qualify(descriptor: MessageDescriptor, type: protobuf.Type): MessageDescriptor {
  const pb = loadProtobufjs();
  for (const field of descriptor.field) {
    const reflected = type.fieldsById[field.number];
    if (!reflected) continue;
    if (reflected instanceof pb.MapField) {
      const entry = descriptor.nestedType.find((n) => n.name === field.typeName);
      const entryName = mapEntryName(reflected.protoName ?? reflected.name);
      field.typeName = `${type.fullName}.${entryName}`;
      if (entry) {
        entry.name = entryName;
        const value = entry.field.find((f) => f.number === 2);
        if (value && reflected.resolvedType) value.typeName = reflected.resolvedType.fullName;
      }
    } else if (reflected.resolvedType) {
      field.typeName = reflected.resolvedType.fullName;
    }
  }
  for (const nested of descriptor.nestedType) {
    const reflected = type.nested?.[nested.name];
    if (reflected instanceof pb.Type) qualify(nested, reflected);
  }
  return descriptor;
}

/** protoc's map entry name: `by_id` → `ByIdEntry`. */
function mapEntryName(fieldName: string): string {
  return `${fieldName.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase()).replace(/_/g, '')}Entry`;
}
