import { copyFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * dist/index.{js,cjs} load protobufjs from their own siblings (dist/protobufjs*.cjs) through
 * build/protobufjs-loader.{mjs,cjs} instead of carrying it inline: importing the package then parses
 * no protobufjs code, yet nothing is resolved in node_modules, and a user's bundler follows the loader's
 * bare require() (see src/grpc/protobufjs-loader.ts).
 */
const siblingProtobufjsLoader = (extension: 'js' | 'cjs'): Plugin => ({
  name: 'sibling-protobufjs-loader',
  setup(build) {
    build.onResolve({ filter: /\/protobufjs-loader\.js$/ }, () => ({ path: `./protobufjs-loader.${extension}`, external: true }));
  },
});

/** go-plugin-ts/terraform imports the core through src/terraform/core.ts; built, that is the root entry. */
const coreFromRoot = (extension: 'js' | 'cjs'): Plugin => ({
  name: 'terraform-core-from-root',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
      args.importer.endsWith('src/terraform/core.ts') ? { path: `./index.${extension}`, external: true } : undefined,
    );
  },
});

const common: Options = {
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
};

export default defineConfig([
  {
    ...common,
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    esbuildPlugins: [siblingProtobufjsLoader('js')],
  },
  {
    ...common,
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: true,
    // import.meta.url in the CommonJS build (src/grpc/lazy-require.ts falls back to createRequire).
    shims: true,
    esbuildPlugins: [siblingProtobufjsLoader('cjs')],
    onSuccess: async () => {
      const outDir = process.argv.includes('--out-dir') ? process.argv[process.argv.indexOf('--out-dir') + 1]! : 'dist';
      copyFileSync('build/protobufjs-loader.mjs', `${outDir}/protobufjs-loader.js`);
      copyFileSync('build/protobufjs-loader.cjs', `${outDir}/protobufjs-loader.cjs`);
    },
  },
  {
    // go-plugin-ts/protocol: the protocol's pure rules (src/protocol.ts), for tools that run no plugin or host.
    ...common,
    entry: { protocol: 'src/protocol.ts' },
    format: ['esm'],
    dts: true,
    esbuildPlugins: [siblingProtobufjsLoader('js')],
  },
  {
    ...common,
    entry: { protocol: 'src/protocol.ts' },
    format: ['cjs'],
    dts: true,
    shims: true,
    esbuildPlugins: [siblingProtobufjsLoader('cjs')],
  },
  {
    // go-plugin-ts/terraform: its own entry, so plugins and hosts that are no provider never load it.
    ...common,
    entry: { terraform: 'src/terraform/index.ts' },
    format: ['esm'],
    dts: true,
    esbuildPlugins: [coreFromRoot('js')],
  },
  {
    ...common,
    entry: { terraform: 'src/terraform/index.ts' },
    format: ['cjs'],
    dts: true,
    shims: true,
    esbuildPlugins: [coreFromRoot('cjs')],
  },
  {
    // protobufjs's full and minimal builds, each one self-contained file for the loader above.
    ...common,
    entry: { protobufjs: 'node_modules/protobufjs/index.js', 'protobufjs-minimal': 'node_modules/protobufjs/minimal.js' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    noExternal: [/.*/],
    dts: false,
  },
  {
    // The go-plugin-ts command (package.json bin): an ES module with top-level await, protobufjs inline.
    ...common,
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    noExternal: ['protobufjs'],
    dts: false,
  },
]);
