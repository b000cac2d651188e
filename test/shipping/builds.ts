// The three single-file recipes of README "Shipping a plugin", as the tests and the bench run them:
// an esbuild bundle (run by node or deno), a Node single executable application, and a Bun executable.
import { spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');
export const BUN = join(BIN, 'bun');
export const DENO = join(BIN, 'deno');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'shipping');

/** The fixtures: go-plugin's test service with its .proto parsed at start-up, or from generated definitions. */
export const ENTRIES = {
  proto: join(FIXTURES, 'plugin-proto.ts'),
  generated: join(FIXTURES, 'plugin-generated.ts'),
} as const;

/** What plugin-proto.ts parses: go-plugin's test.proto, put into the build as a string constant. */
function testProtoDefine(): string {
  const source = readFileSync(join(ROOT, 'test', 'fixtures', 'goplugin', 'test.proto'), 'utf8');
  return `TEST_PROTO_SOURCE=${JSON.stringify(source)}`;
}

function run(command: string, args: string[], cwd = ROOT): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    const why = result.error ? String(result.error) : `exit ${result.status ?? result.signal}`;
    throw new Error(`\`${command} ${args.join(' ')}\` failed (${why}):\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** `esbuild --bundle --platform=node`: one ES module file with protobufjs inside. */
export function buildBundle(entry: string, outFile: string, format: 'esm' | 'cjs' = 'esm'): string {
  run(join(BIN, 'esbuild'), [entry, '--bundle', '--platform=node', '--target=node20', `--format=${format}`, '--minify', `--outfile=${outFile}`, `--define:${testProtoDefine()}`]);
  return outFile;
}

/**
 * A Node single executable application (https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html):
 * a CommonJS bundle, its blob with a code cache and `assets` (name -> file), injected into a copy of this node with postject.
 */
export function buildSea(entry: string, dir: string, name = 'plugin-sea', assets: Record<string, string> = {}): string {
  const script = buildBundle(entry, join(dir, `${name}.cjs`), 'cjs');
  const blob = join(dir, `${name}.blob`);
  const config = join(dir, `${name}.sea.json`);
  writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets }));
  run(process.execPath, ['--experimental-sea-config', config], dir);
  const executable = join(dir, name);
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  run(join(BIN, 'postject'), [executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2']);
  return executable;
}

/** `bun build --compile`: Bun's runtime with the bundled plugin in one executable. */
export function buildBunExecutable(entry: string, dir: string, name = 'plugin-bun'): string {
  const executable = join(dir, name);
  run(BUN, ['build', '--compile', '--minify', entry, `--outfile=${executable}`, '--define', testProtoDefine()]);
  return executable;
}
