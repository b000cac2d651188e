// What the generator reads: .proto files loaded with loadProto's import resolution, and, per file, the
// reflection objects it declares.
import { errorMessage } from '../errors.js';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type protobuf from 'protobufjs';
import { loadProtobufjs } from '../grpc/protobufjs-loader.js';
import { rootFor } from '../grpc/proto.js';

export interface LoadedFiles {
  root: protobuf.Root;
  /** The command-line files, as protobufjs names them (the `filename` of what they declare). */
  inputs: string[];
  /** A file's name in its FileDescriptorProto: relative to the include directory it was found in. */
  descriptorName(filename: string): string;
}

export function loadFiles(files: string[], includeDirs: string[], keepCase: boolean): LoadedFiles {
  const root = rootFor({ includeDirs });
  const inputs = files.map((f) => resolve(f));
  try {
    root.loadSync(inputs, { keepCase });
    root.resolveAll();
  } catch (err) {
    throw new Error(`cannot load ${files.join(', ')}: ${errorMessage(err)}`, { cause: err });
  }
  const bases = [...includeDirs.map((d) => resolve(d)), ...inputs.map((f) => dirname(f))];
  const descriptorName = (filename: string) => {
    // protobufjs's own google/protobuf files keep their import name.
    if (!isAbsolute(filename) && !existsSync(filename)) return filename;
    const path = resolve(filename);
    const base = bases.find((b) => !relative(b, path).startsWith('..'));
    return relative(base ?? dirname(path), path).split('\\').join('/');
  };
  return { root, inputs, descriptorName };
}

/** Every message type, enum and service declared in `filename`, outermost first. */
export function declaredIn(root: protobuf.Root, filename: string): protobuf.ReflectionObject[] {
  const pb = loadProtobufjs();
  const out: protobuf.ReflectionObject[] = [];
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (filenameOf(child) === filename && (child instanceof pb.Type || child instanceof pb.Enum || child instanceof pb.Service)) out.push(child);
      if (child instanceof pb.Namespace) visit(child);
    }
  };
  visit(root);
  return out;
}

let commonFiles: Map<string, string> | undefined;
/**
 * The file that declares `obj`. protobufjs adds its bundled google/protobuf types (protobuf.common)
 * without a filename; they are found by full name in its table of those files.
 */
export function filenameOf(obj: protobuf.ReflectionObject): string | null {
  if (obj.filename) return obj.filename;
  if (!commonFiles) {
    commonFiles = new Map();
    const common = loadProtobufjs().common as unknown as Record<string, protobuf.INamespace>;
    for (const [file, json] of Object.entries(common)) {
      if (!file.endsWith('.proto') || typeof json !== 'object') continue;
      const visit = (prefix: string, nested: Record<string, protobuf.AnyNestedObject> | undefined) => {
        for (const [name, child] of Object.entries(nested ?? {})) {
          const full = `${prefix}.${name}`;
          if ('fields' in child || 'values' in child || 'methods' in child) commonFiles!.set(full, file);
          visit(full, (child as protobuf.INamespace).nested);
        }
      };
      visit('', json.nested);
    }
  }
  return commonFiles.get(obj.fullName) ?? null;
}
