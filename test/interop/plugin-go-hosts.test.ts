// Our plugin side under real Go hosts: the newest go-plugin (Go module proxy) and go-plugin 1.0.1,
// launching test/fixtures/ts-plugin (go-plugin's own grpctest.Test service) under Node, Bun and Deno.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goPeers, runGo, startGo, type GoPeers, type GoResult, type GoLine } from '../helpers/go-peers.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/ts-plugin/launch.sh', import.meta.url));
let peers: GoPeers;

before(async () => {
  peers = await goPeers();
});

type Host = 'modern' | 'legacy';

function host(kind: Host, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<GoResult> {
  const binary = kind === 'modern' ? peers.modernHost : peers.legacyHost;
  return runGo(binary, [...args, '--', PLUGIN], { env, timeoutMs });
}

function step(result: GoResult, name: string): GoLine {
  const line = result.lines.find((l) => l.step === name);
  assert.ok(line, `no "${name}" step; stdout:\n${result.stdout}\nstderr (tail):\n${result.stderr.slice(-2000)}`);
  return line;
}

function ok(result: GoResult, name: string): GoLine {
  const line = step(result, name);
  assert.equal(line.ok, true, `step ${name} failed: ${JSON.stringify(line)}\nstderr (tail):\n${result.stderr.slice(-2000)}`);
  return line;
}

/** The whole basic scenario: handshake, Ping, Double, PrintKV, Stream, version, graceful Kill. */
function assertBasic(result: GoResult, version: number): void {
  const start = ok(result, 'start');
  assert.equal(start.version, version);
  assert.equal(start.network, 'unix');
  ok(result, 'ping');
  assert.equal(ok(result, 'double').value, 42);
  ok(result, 'printkv');
  assert.deepEqual(ok(result, 'stream').values, [2, 4, 6, 8, 10]);
  assert.equal(ok(result, 'version').value, version);
  const kill = ok(result, 'kill');
  assert.equal(kill.graceful, true, 'the host logged "plugin failed to exit gracefully"');
  assert.equal(kill.exited, true);
  assert.ok((kill.ms as number) < 2000, `kill took ${kill.ms} ms`);
  // The socket and its private directory are gone once the plugin has exited.
  assert.equal(existsSync(start.address as string), false, 'the unix socket was left behind');
  assert.equal(result.code, 0, result.stderr.slice(-2000));
}

for (const kind of ['modern', 'legacy'] as const) {
  describe(`TS plugin under the ${kind === 'modern' ? 'newest go-plugin' : "go-plugin 1.0.1"} host`, { concurrency: 1 }, () => {
    for (const mtls of [false, true]) {
      it(`serves every test method and exits gracefully on Kill${mtls ? ' under AutoMTLS' : ''}`, async () => {
        assertBasic(await host(kind, [...(mtls ? ['-automtls'] : []), '-scenario', 'basic']), 2);
      });
    }

    it('negotiates the highest common version, and the host reports a version the plugin lacks', async () => {
      assert.equal(ok(await host(kind, ['-versions', '1', '-scenario', 'start']), 'start').version, 1);
      assert.equal(ok(await host(kind, ['-versions', '2,1', '-scenario', 'start']), 'start').version, 2);
      const none = await host(kind, ['-versions', '3,4', '-scenario', 'start']);
      const start = step(none, 'start');
      assert.equal(start.ok, false);
      assert.match(String(start.error), /incompatible API version/i);
    });

    it(`runs the Bidirectional broker round trip (both directions)${kind === 'modern' ? ' under AutoMTLS' : ''}`, async () => {
      // 1.0.1 hosts cannot take part in broker dials under AutoMTLS (go-plugin#109): plain there.
      const result = await host(kind, [...(kind === 'modern' ? ['-automtls'] : []), '-scenario', 'bidi']);
      const bidi = ok(result, 'bidi');
      assert.ok((bidi.pluginId as number) >= 1);
      ok(result, 'kill');
    });

    it('answers 64 concurrent calls', async () => {
      const result = await host(kind, ['-automtls', '-scenario', 'concurrent', '-n', '64']);
      const values = ok(result, 'concurrent').values as number[];
      assert.deepEqual(values, Array.from({ length: 64 }, (_, i) => i * 2));
    });

    it('reports a start-up failure through the host with the plugin\'s one-line reason', async () => {
      const result = await host(kind, ['-scenario', 'start'], { TEST_PLUGIN_THROW_AT_START: '1' }, 30_000);
      const start = step(result, 'start');
      assert.equal(start.ok, false);
      assert.match(String(start.error), /exited before we could connect|Unrecognized remote plugin message/);
      assert.match(result.stderr, /the plugin failed at start-up on purpose/);
    });
  });
}

describe('TS plugin under the newest go-plugin host: stdio, logs, reattach, sockets', { concurrency: 1 }, () => {
  it('streams stdout and stderr writes to the host (SyncStdout / SyncStderr)', async () => {
    const result = await host('modern', ['-automtls', '-scenario', 'stdio']);
    const sync = ok(result, 'sync');
    assert.equal(sync.stdout, 'hello stdout\n');
    assert.equal(sync.stderr, 'hello stderr\n');
  });

  it('keeps stdout clean before the handshake: console.log at import time reaches the host via stdio', async () => {
    const result = await host('modern', ['-scenario', 'stdio'], { TEST_PLUGIN_STDOUT_AT_IMPORT: '1' });
    ok(result, 'start');
    const sync = ok(result, 'sync');
    assert.match(String(sync.stdout), /noise before the handshake\n/);
  });

  it('writes hclog lines that the host re-logs at their own level', async () => {
    const result = await host('modern', ['-scenario', 'logs'], { TEST_PLUGIN_LOG_LEVELS: '1' });
    const entries = ok(result, 'logs').entries as Array<{ level: string; message: string }>;
    for (const level of ['trace', 'debug', 'info', 'warn', 'error']) {
      const entry = entries.find((e) => e.message === `hello at ${level}`);
      assert.ok(entry, `the host did not re-log "hello at ${level}"; entries: ${JSON.stringify(entries)}`);
      assert.equal(entry.level, level);
    }
  });

  it('can be reattached by a second host, which then kills it', async () => {
    const first = startGo(peers.modernHost, ['-scenario', 'reattach', '--', PLUGIN], { timeoutMs: 60_000 });
    const line = await first.waitForStep('reattach', 30_000);
    const config = line.config as Record<string, unknown>;
    const second = await runGo(peers.modernHost, ['-scenario', 'reattach', '-reattach', JSON.stringify(config)], { timeoutMs: 30_000 });
    assert.equal(ok(second, 'double').value, 42);
    ok(second, 'kill');
    first.closeStdin();
    const held = await first.result;
    assert.equal(held.lines.find((l) => l.step === 'hold')?.pluginExited, true, held.stdout);
  });

  it('puts its socket in PLUGIN_UNIX_SOCKET_DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockdir-'));
    try {
      const result = await host('modern', ['-scenario', 'start'], { PLUGIN_UNIX_SOCKET_DIR: dir });
      const start = ok(result, 'start');
      assert.ok(String(start.address).startsWith(dir + '/plugin-dir'), `socket ${start.address} is not under ${dir}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells a person who runs it by hand that it is a plugin, and exits 1', () => {
    const run = spawnSync(PLUGIN, [], { encoding: 'utf8', env: { ...process.env, TEST_PLUGIN_MAGIC_COOKIE: '' }, timeout: 30_000 });
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr.trim(), /^This program is a go-plugin plugin, meant to be launched by its host program/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });
});

for (const runtime of ['bun', 'deno'] as const) {
  describe(`TS plugin running on ${runtime} under the newest go-plugin host`, { concurrency: 1 }, () => {
    const env = { TEST_PLUGIN_RUNTIME: runtime };
    it('serves every test method under AutoMTLS and exits gracefully on Kill', async () => {
      assertBasic(await host('modern', ['-automtls', '-scenario', 'basic'], env), 2);
    });
    it('runs the broker round trip under AutoMTLS and streams stdio', async () => {
      ok(await host('modern', ['-automtls', '-scenario', 'bidi'], env), 'bidi');
      const sync = ok(await host('modern', ['-automtls', '-scenario', 'stdio'], env), 'sync');
      assert.equal(sync.stdout, 'hello stdout\n');
      assert.equal(sync.stderr, 'hello stderr\n');
    });
    it('works under the 1.0.1 host', async () => {
      assertBasic(await host('legacy', ['-automtls', '-scenario', 'basic'], env), 2);
    });
  });
}
