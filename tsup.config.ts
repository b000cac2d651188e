import { defineConfig } from 'tsup';

export default defineConfig({
  // go-plugin-ts/terraform is its own entry: plugins and hosts that are no provider never load it.
  entry: { index: 'src/index.ts', terraform: 'src/terraform/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
  // import.meta.url in the CommonJS build (src/grpc/proto.ts loads protobufjs lazily with createRequire).
  shims: true,
});
