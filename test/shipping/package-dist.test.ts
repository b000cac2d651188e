// The built package as a user installs it: dist/ alone in node_modules/go-plugin-ts (no protobufjs next to
// it), run unbundled by node and bundled by the user's esbuild into a directory without node_modules, each
// serving go-plugin's test service with its .proto loaded at run time under the newest go-plugin host; and
// the package's bin writing the same module as the generator's source.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goPeers, runGo, type GoPeers, type GoResult } from '../helpers/go-peers.js';
import { generate } from '../../src/cli/gen.js';
import { ROOT } from './builds.js';

let peers: GoPeers;
let dir: string;
let app: string;

const PLUGIN = `import { loadProto, serve, serviceOf } from 'go-plugin-ts';
const proto = loadProto(new URL('./test.proto', import.meta.url).pathname);
const Test = serviceOf(proto, 'grpctest.Test');
const register = (server) => server.addService(Test, {
  Double: ({ Input }) => ({ Output: Input * 2 }),
  PrintKV: () => ({}),
  async *Stream(requests) { for await (const { Input } of requests) yield { Output: Input * 2 }; },
});
await serve({ magicCookieKey: 'TEST_PLUGIN_MAGIC_COOKIE', magicCookieValue: 'test', versions: { 1: register, 2: register } });
`;

function run(command: string, args: string[], cwd = ROOT): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

before(async () => {
  peers = await goPeers();
  dir = mkdtempSync(join(tmpdir(), 'go-plugin-ts-dist-'));
  run(process.execPath, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--out-dir', join(dir, 'dist')]);
  app = join(dir, 'app');
  const installed = join(app, 'node_modules', 'go-plugin-ts');
  mkdirSync(installed, { recursive: true });
  cpSync(join(dir, 'dist'), join(installed, 'dist'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
  copyFileSync(join(ROOT, 'test', 'fixtures', 'goplugin', 'test.proto'), join(app, 'test.proto'));
  writeFileSync(join(app, 'plugin.mjs'), PLUGIN);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function assertBasic(result: GoResult): void {
  for (const step of ['start', 'ping', 'double', 'printkv', 'stream', 'kill']) {
    const line = result.lines.find((l) => l.step === step);
    assert.equal(line?.ok, true, `step ${step}: ${JSON.stringify(line)}\nstderr (tail):\n${result.stderr.slice(-3000)}`);
  }
  assert.equal(result.lines.find((l) => l.step === 'kill')?.graceful, true);
}

describe('the built package, installed alone', () => {
  it('runs unbundled without protobufjs installed, under the newest go-plugin host with AutoMTLS', async () => {
    assertBasic(await runGo(peers.modernHost, ['-automtls', '-scenario', 'basic', '--', process.execPath, join(app, 'plugin.mjs')], { cwd: app }));
  });

  it("bundled by the user's esbuild, runs from a directory without node_modules", async () => {
    const out = join(dir, 'out');
    run(join(ROOT, 'node_modules', '.bin', 'esbuild'), [join(app, 'plugin.mjs'), '--bundle', '--platform=node', '--format=esm', `--outfile=${join(out, 'plugin.mjs')}`], app);
    copyFileSync(join(app, 'test.proto'), join(out, 'test.proto'));
    assertBasic(await runGo(peers.modernHost, ['-automtls', '-scenario', 'basic', '--', process.execPath, join(out, 'plugin.mjs')], { cwd: out }));
  });

  it('its bin (dist/cli.js gen) writes what the generator writes', () => {
    const out = join(dir, 'gen');
    run(process.execPath, [join(dir, 'dist', 'cli.js'), 'gen', 'test/fixtures/goplugin/test.proto', '--out', out]);
    const [[name, text]] = generate(['test/fixtures/goplugin/test.proto']);
    assert.equal(readFileSync(join(out, name), 'utf8'), text);
  });
});
