// The single-file recipes of README "Shipping a plugin", each built here and run by the newest go-plugin host:
// an esbuild bundle run by node (and by deno) from a directory without node_modules, a Node single
// executable application, and a `bun build --compile` executable. Each serves go-plugin's test service,
// from generated definitions and with its .proto parsed at start-up (protobufjs must be inside the build).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { goPeers, runGo, type GoPeers, type GoResult, type GoLine } from '../helpers/go-peers.js';
import { buildBundle, buildBunExecutable, buildSea, DENO, ENTRIES } from './builds.js';

const LABEL = { proto: '.proto parsed at start-up', generated: 'generated definitions' } as const;
let peers: GoPeers;
let dir: string;
const builds: Record<string, string[]> = {};

before(async () => {
  peers = await goPeers();
  dir = mkdtempSync(join(tmpdir(), 'go-plugin-ts-shipping-'));
  for (const [variant, entry] of Object.entries(ENTRIES)) {
    const bundle = buildBundle(entry, join(dir, `bundle-${variant}`, 'plugin.mjs'));
    builds[`${LABEL[variant as keyof typeof ENTRIES]}: esbuild bundle under node`] = [process.execPath, bundle];
    builds[`${LABEL[variant as keyof typeof ENTRIES]}: esbuild bundle under deno run`] = [DENO, 'run', '--allow-all', bundle];
    builds[`${LABEL[variant as keyof typeof ENTRIES]}: Node single executable`] = [buildSea(entry, dir, `sea-${variant}`)];
    builds[`${LABEL[variant as keyof typeof ENTRIES]}: bun build --compile executable`] = [buildBunExecutable(entry, dir, `bun-${variant}`)];
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

function noNodeModulesAbove(path: string): void {
  for (let d = dirname(path); ; d = dirname(d)) {
    assert.equal(existsSync(join(d, 'node_modules')), false, `${d} has a node_modules: the build could borrow from it`);
    if (dirname(d) === d) break;
  }
}

function host(command: string[], args: string[]): Promise<GoResult> {
  // The plugin inherits the host's working directory: the build's own, away from this repository.
  return runGo(peers.modernHost, [...args, '--', ...command], { cwd: dir, timeoutMs: 60_000 });
}

function ok(result: GoResult, name: string): GoLine {
  const line = result.lines.find((l) => l.step === name);
  assert.ok(line, `no "${name}" step; stdout:\n${result.stdout}\nstderr (tail):\n${result.stderr.slice(-3000)}`);
  assert.equal(line.ok, true, `step ${name} failed: ${JSON.stringify(line)}\nstderr (tail):\n${result.stderr.slice(-3000)}`);
  return line;
}

const KINDS = ['esbuild bundle under node', 'esbuild bundle under deno run', 'Node single executable', 'bun build --compile executable'];
for (const name of Object.values(LABEL).flatMap((label) => KINDS.map((kind) => `${label}: ${kind}`))) {
  describe(`${name}, under the newest go-plugin host`, { concurrency: 1 }, () => {
    it('is one file with nothing to resolve next to it or above it', () => {
      const file = builds[name]!.at(-1)!;
      assert.ok(existsSync(file), `${file} was not built`);
      noNodeModulesAbove(file);
    });

    it('handshakes under AutoMTLS, answers every test call and shuts down gracefully on Kill', async () => {
      const result = await host(builds[name]!, ['-automtls', '-scenario', 'basic']);
      const start = ok(result, 'start');
      assert.equal(start.version, 2);
      assert.equal(start.network, 'unix');
      ok(result, 'ping');
      assert.equal(ok(result, 'double').value, 42);
      ok(result, 'printkv');
      assert.deepEqual(ok(result, 'stream').values, [2, 4, 6, 8, 10]);
      const kill = ok(result, 'kill');
      assert.equal(kill.graceful, true, 'the host logged "plugin failed to exit gracefully"');
      assert.equal(kill.exited, true);
      assert.equal(result.code, 0, result.stderr.slice(-2000));
    });

    it('runs the broker round trip both ways under AutoMTLS', async () => {
      const bidi = ok(await host(builds[name]!, ['-automtls', '-scenario', 'bidi']), 'bidi');
      assert.ok((bidi.pluginId as number) >= 1);
    });

    it('streams its stdout and stderr to the host', async () => {
      const sync = ok(await host(builds[name]!, ['-automtls', '-scenario', 'stdio']), 'sync');
      assert.equal(sync.stdout, 'hello stdout\n');
      assert.equal(sync.stderr, 'hello stderr\n');
    });
  });
}
