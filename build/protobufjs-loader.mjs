// dist/protobufjs-loader.js: src/grpc/protobufjs-loader.ts for the published ES module build, written by
// hand so that no bundler rewrites it. It loads dist's own protobufjs copies (dist/protobufjs*.cjs, bundled
// by tsup) on first use: unbundled, through createRequire (one file each, nothing to resolve in
// node_modules); inside a user's esbuild or Bun bundle, through the bare require() those bundlers follow.
import { createRequire } from 'node:module';

let protobufjs;
export function loadProtobufjs() {
  if (protobufjs) return protobufjs;
  protobufjs = typeof require === 'function' ? require('./protobufjs.cjs') : createRequire(import.meta.url)('./protobufjs.cjs');
  // protobufjs finds node:fs with a require() that an ES module bundle cannot answer; loadSync needs it.
  protobufjs.util.fs ??= process.getBuiltinModule?.('node:fs') ?? createRequire(import.meta.url)('node:fs');
  return protobufjs;
}

let protobufjsMinimal;
export function loadProtobufjsMinimal() {
  if (protobufjsMinimal) return protobufjsMinimal;
  protobufjsMinimal =
    typeof require === 'function' ? require('./protobufjs-minimal.cjs') : createRequire(import.meta.url)('./protobufjs-minimal.cjs');
  return protobufjsMinimal;
}
