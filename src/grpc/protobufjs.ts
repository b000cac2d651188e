// protobufjs, loaded on first use (a plugin that never reflects or loads .proto files starts sooner),
// and the two wire helpers the descriptor, reflection and CLI code share.
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
let loaded: typeof protobuf | undefined;

export function protobufjs(): typeof protobuf {
  loaded ??= require('protobufjs') as typeof protobuf;
  return loaded;
}

/** protobufjs with its descriptor extension, which adds Root.fromDescriptor. */
export function protobufjsWithDescriptors(): typeof protobuf & { Root: { fromDescriptor(set: Uint8Array): protobuf.Root } } {
  require('protobufjs/ext/descriptor');
  return protobufjs() as never;
}

/** A field key: field number and wire type. */
export function tag(field: number, wireType: number): number {
  return ((field << 3) | wireType) >>> 0;
}

/** Calls `onField` per field of a message: length-delimited values as bytes, varints as numbers; others skipped. */
export function readFields(bytes: Uint8Array, onField: (field: number, value: Uint8Array | number) => void): void {
  const reader = protobufjs().Reader.create(bytes);
  while (reader.pos < reader.len) {
    const key = reader.uint32();
    const wireType = key & 7;
    if (wireType === 2) onField(key >>> 3, reader.bytes());
    else if (wireType === 0) onField(key >>> 3, reader.int32());
    else reader.skipType(wireType);
  }
}
