// protobufjs, loaded on first use in forms that esbuild, Bun's bundler and Deno all follow (see README,
// Shipping a plugin): a plugin that never parses a .proto never pays for protobufjs's parser, and one on
// generated definitions loads only its minimal runtime, at the first call. The published dist/ replaces
// this module with build/protobufjs-loader.{mjs,cjs}, which load dist's own copies of protobufjs the same way.
import { createRequire } from 'node:module';
import type protobufTypes from 'protobufjs';
import { builtinModule } from './lazy-require.js';

let protobufjs: typeof protobufTypes | undefined;
/**
 * protobufjs (full build), on first use. The bare `require` is what bundlers look for: esbuild and
 * Bun bundle the package behind a lazy wrapper that runs here, and rewrite `typeof require` to their
 * own always-defined require. Unbundled ES modules under Node and Deno have no `require`, so they
 * resolve the package from this file instead.
 */
export function loadProtobufjs(): typeof protobufTypes {
  if (protobufjs) return protobufjs;
  protobufjs =
    typeof require === 'function'
      ? (require('protobufjs') as typeof protobufTypes)
      : (createRequire(import.meta.url)('protobufjs') as typeof protobufTypes);
  // protobufjs finds node:fs with a require() that an ES module bundle cannot answer; loadSync needs it.
  const util = protobufjs.util as { fs?: unknown };
  util.fs ??= builtinModule('node:fs');
  return protobufjs;
}

let protobufjsMinimal: ProtobufMinimal | undefined;
/** The Reader, Writer and util of protobufjs's minimal build, which generated codecs run on; loaded like loadProtobufjs. */
export function loadProtobufjsMinimal(): ProtobufMinimal {
  if (protobufjsMinimal) return protobufjsMinimal;
  protobufjsMinimal =
    typeof require === 'function'
      ? (require('protobufjs/minimal') as ProtobufMinimal)
      : (createRequire(import.meta.url)('protobufjs/minimal') as ProtobufMinimal);
  return protobufjsMinimal;
}

export type ProtobufMinimal = Pick<typeof protobufTypes, 'Reader' | 'Writer' | 'util'>;
