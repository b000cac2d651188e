// protobufjs, loaded on first use (a plugin that never reflects or loads .proto files starts sooner),
// and the two wire helpers the descriptor, reflection and CLI code share.
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';
import { loadProtobufjs } from './protobufjs-loader.js';

export const protobufjs = loadProtobufjs;

/**
 * protobufjs with its descriptor extension, which adds Root.fromDescriptor (the CLI only). Loaded like
 * loadProtobufjs: a bare require where a bundler provides one, so the extension patches the same copy.
 */
export function protobufjsWithDescriptors(): typeof protobuf & { Root: { fromDescriptor(set: Uint8Array): protobuf.Root } } {
  const pb = loadProtobufjs();
  if (typeof require === 'function') require('protobufjs/ext/descriptor');
  else createRequire(import.meta.url)('protobufjs/ext/descriptor');
  return pb as never;
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
