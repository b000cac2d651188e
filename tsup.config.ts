import { defineConfig, type Options } from 'tsup';

const common: Options = {
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
  // protobufjs goes inside dist behind esbuild's lazy module wrapper, run on first use by
  // src/grpc/lazy-require.ts: dist then needs no run-time resolution that a user's bundler, a Node
  // single executable or `bun build --compile` cannot follow.
  noExternal: ['protobufjs'],
};

export default defineConfig([
  {
    ...common,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    // import.meta.url in the CommonJS build (src/grpc/lazy-require.ts falls back to createRequire).
    shims: true,
  },
  {
    // The go-plugin-ts command (package.json bin): an ES module with top-level await.
    ...common,
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
  },
]);
