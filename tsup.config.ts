import { defineConfig, type Options } from 'tsup';

const library: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: false,
  // Both builds run at once: the library's clean must leave the command's file alone.
  clean: ['!cli.js'],
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
  // import.meta.url in the CommonJS build (src/grpc/proto.ts loads protobufjs lazily with createRequire).
  shims: true,
};

export default defineConfig([
  library,
  // The go-plugin-ts command (package.json "bin"): ESM only, no types.
  { ...library, entry: { cli: 'src/cli/main.ts' }, format: ['esm'], dts: false, clean: false },
]);
