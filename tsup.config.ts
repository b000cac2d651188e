import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
  // import.meta.url in the CommonJS build (src/grpc/lazy-require.ts falls back to createRequire).
  shims: true,
  // protobufjs goes inside dist behind esbuild's lazy module wrapper, run on first use by
  // src/grpc/lazy-require.ts: dist then needs no run-time resolution that a user's bundler, a Node
  // single executable or `bun build --compile` cannot follow.
  noExternal: ['protobufjs'],
});
