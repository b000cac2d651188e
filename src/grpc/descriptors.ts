// Serialized google.protobuf.FileDescriptorProto for services loaded with protobufjs, for server
// reflection. protobufjs keeps no per-file view (its ext/descriptor groups by namespace and drops
// imports), so files are rebuilt here from each top-level object's source file, with the imports a file
// needs computed from the types it references. Field numbers: google/protobuf/descriptor.proto,
// https://github.com/protocolbuffers/protobuf/blob/cdc3fe3b84d74745416ac493af8bee053cc2c1d9/src/google/protobuf/descriptor.proto
import { basename, relative, isAbsolute, sep } from 'node:path';
import type protobuf from 'protobufjs';
import { protobufjs as pb, readFields, tag } from './protobufjs.js';
import type { ServiceDefinition } from './service.js';

/** Where a ServiceDefinition carries its descriptors: the declaring file first, then its transitive imports. */
export const FILE_DESCRIPTORS: unique symbol = Symbol.for('go-plugin-ts.fileDescriptors') as any;

/** The serialized FileDescriptorProtos a definition carries, or undefined. */
export function fileDescriptorsOf(definition: ServiceDefinition): Uint8Array[] | undefined {
  const value = (definition as unknown as Record<symbol, unknown>)[FILE_DESCRIPTORS];
  return Array.isArray(value) ? (value as Uint8Array[]) : undefined;
}

/** Attaches `files` (or a function computing them on first read) to a definition, invisible to Object.entries. */
export function attachFileDescriptors(definition: object, files: Uint8Array[] | (() => Uint8Array[])): void {
  if (typeof files !== 'function') {
    Object.defineProperty(definition, FILE_DESCRIPTORS, { value: files, enumerable: false });
    return;
  }
  let cached: Uint8Array[] | undefined;
  Object.defineProperty(definition, FILE_DESCRIPTORS, { get: () => (cached ??= files()), enumerable: false });
}

export interface FileNaming {
  /** Directories the .proto files were found under: a file's name is its path relative to the first that holds it. */
  includeDirs?: string[];
  /** Name for objects parsed from source text, which have no file (default: the package path + `.proto`). */
  sourceName?: string;
}

/** The files of a protobufjs Root, built on first use: `forService(service)` gives a definition's list. */
export function descriptorFiles(root: protobuf.Root, naming: FileNaming = {}) {
  let files: Map<string, FileModel> | undefined;
  const model = () => (files ??= buildModel(root, naming));
  return {
    forService(service: protobuf.Service): Uint8Array[] {
      const all = model();
      const first = fileNameOf(service, naming);
      const order: string[] = [];
      const visit = (name: string) => {
        if (order.includes(name) || !all.has(name)) return;
        order.push(name);
        for (const dep of all.get(name)!.dependencies) visit(dep);
      };
      visit(first);
      return order.map((name) => all.get(name)!.bytes());
    },
  };
}

interface FileModel {
  dependencies: string[];
  bytes(): Uint8Array;
}

// protobufjs gives its bundled google/protobuf types no filename; their real files, by type.
const WELL_KNOWN_FILES: Record<string, string> = {
  Any: 'any',
  Api: 'api',
  Method: 'api',
  Mixin: 'api',
  Duration: 'duration',
  Empty: 'empty',
  FieldMask: 'field_mask',
  SourceContext: 'source_context',
  Struct: 'struct',
  Value: 'struct',
  ListValue: 'struct',
  NullValue: 'struct',
  Timestamp: 'timestamp',
  Type: 'type',
  Field: 'type',
  Enum: 'type',
  EnumValue: 'type',
  Option: 'type',
  Syntax: 'type',
  DoubleValue: 'wrappers',
  FloatValue: 'wrappers',
  Int64Value: 'wrappers',
  UInt64Value: 'wrappers',
  Int32Value: 'wrappers',
  UInt32Value: 'wrappers',
  BoolValue: 'wrappers',
  StringValue: 'wrappers',
  BytesValue: 'wrappers',
};

function topLevelOf(object: protobuf.ReflectionObject): protobuf.ReflectionObject {
  let current = object;
  while (current.parent && current.parent instanceof pb().Type) current = current.parent;
  return current;
}

function packageOf(top: protobuf.ReflectionObject): string {
  return top.parent ? top.parent.fullName.replace(/^\./, '') : '';
}

function fileNameOf(object: protobuf.ReflectionObject, naming: FileNaming): string {
  const top = topLevelOf(object);
  const file = top.filename;
  if (file) {
    if (!isAbsolute(file)) return file;
    for (const dir of naming.includeDirs ?? []) {
      const rel = relative(dir, file);
      if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
    }
    return basename(file);
  }
  const pkg = packageOf(top);
  if (pkg === 'google.protobuf') return `google/protobuf/${WELL_KNOWN_FILES[top.name] ?? 'descriptor'}.proto`;
  return naming.sourceName ?? `${pkg ? pkg.replace(/\./g, '/') : 'source'}.proto`;
}

function buildModel(root: protobuf.Root, naming: FileNaming): Map<string, FileModel> {
  const P = pb();
  const byFile = new Map<string, { pkg: string; objects: protobuf.ReflectionObject[] }>();
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (child instanceof P.Type || child instanceof P.Enum || child instanceof P.Service || child instanceof P.Field) {
        const name = fileNameOf(child, naming);
        const entry = byFile.get(name) ?? { pkg: packageOf(child), objects: [] };
        entry.objects.push(child);
        byFile.set(name, entry);
      } else if (child instanceof P.Namespace) {
        visit(child);
      }
    }
  };
  visit(root);
  const out = new Map<string, FileModel>();
  for (const [name, { pkg, objects }] of byFile) {
    const deps: string[] = [];
    const use = (type: protobuf.ReflectionObject | null | undefined) => {
      if (!type) return;
      const file = fileNameOf(type, naming);
      if (file !== name && !deps.includes(file)) deps.push(file);
    };
    const writer = new FileWriter(use);
    writer.prepare(objects);
    out.set(name, { dependencies: deps, bytes: () => writer.file(name, pkg, deps, objects) });
  }
  return out;
}

const SCALAR_TYPES: Record<string, number> = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9,
  bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_OPTIONAL = 1;
const LABEL_REQUIRED = 2;
const LABEL_REPEATED = 3;

/** Encodes descriptor messages with protobufjs's Writer; `use` hears of every type a file references. */
class FileWriter {
  constructor(private readonly use: (type: protobuf.ReflectionObject | null | undefined) => void) {}

  /** Walks the objects once so the dependencies are known before anything is encoded. */
  prepare(objects: protobuf.ReflectionObject[]): void {
    const P = pb();
    const walk = (o: protobuf.ReflectionObject) => {
      if (o instanceof P.Type) {
        for (const f of o.fieldsArray) if (!isSister(f)) this.use(f.resolve().resolvedType);
        for (const n of o.nestedArray) walk(n);
      } else if (o instanceof P.Service) {
        for (const m of o.methodsArray) {
          m.resolve();
          this.use(m.resolvedRequestType);
          this.use(m.resolvedResponseType);
        }
      } else if (o instanceof P.Field) {
        o.resolve();
        this.use(o.resolvedType);
        this.use(o.extensionField?.parent);
      }
    };
    objects.forEach(walk);
  }

  file(name: string, pkg: string, deps: string[], objects: protobuf.ReflectionObject[]): Uint8Array {
    const P = pb();
    const w = P.Writer.create();
    w.uint32(tag(1, 2)).string(name);
    if (pkg) w.uint32(tag(2, 2)).string(pkg);
    for (const d of deps) w.uint32(tag(3, 2)).string(d);
    for (const o of objects) if (o instanceof P.Type) w.uint32(tag(4, 2)).bytes(this.message(o));
    for (const o of objects) if (o instanceof P.Enum) w.uint32(tag(5, 2)).bytes(this.enum(o));
    for (const o of objects) if (o instanceof P.Service) w.uint32(tag(6, 2)).bytes(this.service(o));
    for (const o of objects) if (o instanceof P.Field) w.uint32(tag(7, 2)).bytes(this.field(o, undefined));
    const edition = editionOf(objects[0]);
    if (edition === 'proto3') w.uint32(tag(12, 2)).string('proto3');
    else if (edition !== 'proto2') {
      w.uint32(tag(12, 2)).string('editions');
      w.uint32(tag(14, 0)).int32(1000); // EDITION_2023
    }
    return w.finish();
  }

  private message(type: protobuf.Type): Uint8Array {
    const P = pb();
    const w = P.Writer.create();
    w.uint32(tag(1, 2)).string(type.name);
    // protoc puts synthetic oneofs (proto3 `optional`) after the real ones; protodesc insists.
    const oneofs = [...type.oneofsArray.filter((o) => !isSynthetic(o)), ...type.oneofsArray.filter(isSynthetic)];
    for (const f of type.fieldsArray) {
      if (isSister(f)) continue;
      w.uint32(tag(2, 2)).bytes(this.field(f, oneofs));
    }
    for (const f of type.fieldsArray) {
      if (f instanceof P.MapField) w.uint32(tag(3, 2)).bytes(this.mapEntry(f));
    }
    for (const n of type.nestedArray) if (n instanceof P.Type) w.uint32(tag(3, 2)).bytes(this.message(n));
    for (const n of type.nestedArray) if (n instanceof P.Enum) w.uint32(tag(4, 2)).bytes(this.enum(n));
    for (const [start, end] of (type.extensions ?? []) as Array<[number, number]>) {
      const r = P.Writer.create().uint32(tag(1, 0)).int32(start).uint32(tag(2, 0)).int32(end + 1).finish();
      w.uint32(tag(5, 2)).bytes(r);
    }
    for (const n of type.nestedArray) if (n instanceof P.Field) w.uint32(tag(6, 2)).bytes(this.field(n, undefined));
    for (const o of oneofs) w.uint32(tag(8, 2)).bytes(P.Writer.create().uint32(tag(1, 2)).string(o.name).finish());
    return w.finish();
  }

  private mapEntry(field: protobuf.MapField): Uint8Array {
    const P = pb();
    const w = P.Writer.create();
    w.uint32(tag(1, 2)).string(mapEntryName(field.name));
    w.uint32(tag(2, 2)).bytes(this.plainField('key', 1, LABEL_OPTIONAL, SCALAR_TYPES[field.keyType]!, undefined));
    const valueType = field.resolvedType;
    const value = valueType
      ? this.plainField('value', 2, LABEL_OPTIONAL, valueType instanceof P.Enum ? TYPE_ENUM : TYPE_MESSAGE, valueType.fullName)
      : this.plainField('value', 2, LABEL_OPTIONAL, SCALAR_TYPES[field.type]!, undefined);
    w.uint32(tag(2, 2)).bytes(value);
    w.uint32(tag(7, 2)).bytes(P.Writer.create().uint32(tag(7, 0)).bool(true).finish()); // map_entry
    return w.finish();
  }

  private plainField(name: string, number: number, label: number, type: number, typeName: string | undefined): Uint8Array {
    const w = pb().Writer.create();
    w.uint32(tag(1, 2)).string(name).uint32(tag(3, 0)).int32(number).uint32(tag(4, 0)).int32(label).uint32(tag(5, 0)).int32(type);
    if (typeName) w.uint32(tag(6, 2)).string(typeName);
    w.uint32(tag(10, 2)).string(jsonName(name));
    return w.finish();
  }

  private field(field: protobuf.Field, oneofs: protobuf.OneOf[] | undefined): Uint8Array {
    const P = pb();
    field.resolve();
    const name = (field as { protoName?: string }).protoName ?? field.name;
    const w = P.Writer.create();
    w.uint32(tag(1, 2)).string(name);
    if (field.extensionField) w.uint32(tag(2, 2)).string(field.extensionField.parent!.fullName);
    w.uint32(tag(3, 0)).int32(field.id);
    const edition = editionOf(field);
    const label = field.map || field.repeated ? LABEL_REPEATED : field.required && edition === 'proto2' ? LABEL_REQUIRED : LABEL_OPTIONAL;
    w.uint32(tag(4, 0)).int32(label);
    if (field instanceof P.MapField) {
      w.uint32(tag(5, 0)).int32(TYPE_MESSAGE).uint32(tag(6, 2)).string(`${field.parent!.fullName}.${mapEntryName(field.name)}`);
    } else if (field.resolvedType) {
      w.uint32(tag(5, 0)).int32(field.resolvedType instanceof P.Enum ? TYPE_ENUM : TYPE_MESSAGE);
      w.uint32(tag(6, 2)).string(field.resolvedType.fullName);
    } else {
      const scalar = SCALAR_TYPES[field.type];
      if (scalar === undefined) throw new Error(`field ${field.fullName}: unknown type ${field.type}`);
      w.uint32(tag(5, 0)).int32(scalar);
    }
    const defaultValue = field.options?.default;
    if (defaultValue !== undefined) w.uint32(tag(7, 2)).string(String(defaultValue));
    const options = fieldOptions(field);
    if (options) w.uint32(tag(8, 2)).bytes(options);
    if (field.partOf && oneofs) w.uint32(tag(9, 0)).int32(oneofs.indexOf(field.partOf));
    w.uint32(tag(10, 2)).string(jsonName(name));
    if (field.options?.proto3_optional) w.uint32(tag(17, 0)).bool(true);
    return w.finish();
  }

  private enum(type: protobuf.Enum): Uint8Array {
    const P = pb();
    const w = P.Writer.create();
    w.uint32(tag(1, 2)).string(type.name);
    const numbers = Object.values(type.values);
    for (const [name, number] of Object.entries(type.values)) {
      w.uint32(tag(2, 2)).bytes(P.Writer.create().uint32(tag(1, 2)).string(name).uint32(tag(2, 0)).int32(number).finish());
    }
    if (new Set(numbers).size !== numbers.length) {
      w.uint32(tag(3, 2)).bytes(P.Writer.create().uint32(tag(2, 0)).bool(true).finish()); // allow_alias
    }
    return w.finish();
  }

  private service(service: protobuf.Service): Uint8Array {
    const P = pb();
    const w = P.Writer.create();
    w.uint32(tag(1, 2)).string(service.name);
    for (const m of service.methodsArray) {
      m.resolve();
      const mw = P.Writer.create();
      mw.uint32(tag(1, 2)).string(m.name);
      mw.uint32(tag(2, 2)).string(m.resolvedRequestType!.fullName);
      mw.uint32(tag(3, 2)).string(m.resolvedResponseType!.fullName);
      if (m.requestStream) mw.uint32(tag(5, 0)).bool(true);
      if (m.responseStream) mw.uint32(tag(6, 0)).bool(true);
      w.uint32(tag(2, 2)).bytes(mw.finish());
    }
    return w.finish();
  }
}

function fieldOptions(field: protobuf.Field): Uint8Array | undefined {
  const packed = field.options?.packed;
  const deprecated = field.options?.deprecated;
  if (packed === undefined && deprecated === undefined) return undefined;
  const w = pb().Writer.create();
  if (packed !== undefined) w.uint32(tag(2, 0)).bool(Boolean(packed));
  if (deprecated !== undefined) w.uint32(tag(3, 0)).bool(Boolean(deprecated));
  return w.finish();
}

/** A sister field protobufjs adds to the extended message for an extension declared elsewhere. */
function isSister(field: protobuf.Field): boolean {
  return (field as { declaringField?: unknown }).declaringField != null;
}

function isSynthetic(oneof: protobuf.OneOf): boolean {
  return oneof.fieldsArray.length === 1 && oneof.fieldsArray[0]!.options?.proto3_optional === true;
}

function editionOf(object: protobuf.ReflectionObject | undefined): string {
  let current: protobuf.ReflectionObject | null | undefined = object;
  while (current) {
    const edition = (current as { _edition?: string | null })._edition;
    if (edition) return edition;
    current = current.parent;
  }
  return 'proto2';
}

/** protoc's name for a map field's entry message: `my_map` → `MyMapEntry`. */
export function mapEntryName(field: string): string {
  const camel = field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel.charAt(0).toUpperCase() + camel.slice(1) + 'Entry';
}

/** protoc's json_name: underscores dropped, the letter after one upper-cased. */
export function jsonName(field: string): string {
  let out = '';
  let upper = false;
  for (const c of field) {
    if (c === '_') upper = true;
    else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return out;
}

/** The name (field 1) of a serialized FileDescriptorProto. */
export function fileDescriptorName(bytes: Uint8Array): string {
  let name = '';
  readFields(bytes, (field, v) => field === 1 && typeof v !== 'number' && (name = new TextDecoder().decode(v)));
  return name;
}

/** The imports (field 3) of a serialized FileDescriptorProto. */
export function fileDescriptorDependencies(bytes: Uint8Array): string[] {
  const out: string[] = [];
  readFields(bytes, (field, v) => field === 3 && typeof v !== 'number' && out.push(new TextDecoder().decode(v)));
  return out;
}
