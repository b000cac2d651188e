// Proves the Go peers against each other before our TS host, plugin and gRPC layer are tested
// against them: newest hashicorp/go-plugin (host and plugin), Debian's go-plugin 1.0.1 (host and
// plugin), grpc-go's interop client against grpc-go's interop TestService.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goPeers, runGo, startGo, type GoLine, type GoPeers, type GoResult } from '../helpers/go-peers.js';

let peers: GoPeers;
before(async () => {
  peers = await goPeers();
}, { timeout: 900_000 });

function step(result: GoResult, name: string): GoLine {
  const line = result.lines.find((l) => l.step === name);
  assert.ok(line, `no "${name}" line; stdout:\n${result.stdout}\nstderr (tail):\n${result.stderr.slice(-2000)}`);
  return line;
}

/** Every step passed, the host exited 0, and Kill found a plugin that exited on its own. */
function assertAllOk(result: GoResult): void {
  const failed = result.lines.filter((l) => l.ok !== true);
  assert.deepEqual(failed, [], `stderr (tail):\n${result.stderr.slice(-2000)}`);
  assert.equal(result.code, 0);
  assert.deepEqual(
    [step(result, 'kill').exited, step(result, 'kill').graceful],
    [true, true],
  );
}

function host(which: 'modern' | 'legacy'): string {
  return which === 'modern' ? peers.modernHost : peers.legacyHost;
}
function plugin(which: 'modern' | 'legacy'): string {
  return which === 'modern' ? peers.modernPlugin : peers.legacyPlugin;
}

const pairs = [
  ['modern', 'modern'],
  ['legacy', 'legacy'],
  ['modern', 'legacy'],
  ['legacy', 'modern'],
] as const;

for (const [h, p] of pairs) {
  for (const tls of [false, true]) {
    const flags = tls ? ['-automtls'] : [];
    describe(`${h} go-plugin host → ${p} go-plugin plugin${tls ? ', AutoMTLS' : ''}`, () => {
      it('negotiates the highest common version and runs Ping, Double, PrintKV and Stream', async () => {
        const result = await runGo(host(h), [...flags, '-scenario', 'basic', '--', plugin(p)]);
        assertAllOk(result);
        assert.equal(step(result, 'start').version, 2);
        assert.equal(step(result, 'start').network, 'unix');
        assert.equal(step(result, 'double').value, 42);
        assert.deepEqual(step(result, 'stream').values, [2, 4, 6, 8, 10]);
        assert.equal(step(result, 'version').value, 2);
      });

      // go-plugin#109: a 1.0.1 plugin has no trust list or server name when it dials the host's
      // broker, so under AutoMTLS it rejects the host's certificate (docs/protocol.md#tls-settings, #go-plugin-101).
      const pluginCannotDialHost = tls && p === 'legacy';
      it(
        pluginCannotDialHost
          ? 'fails the broker round trip: the 1.0.1 plugin cannot dial the host broker under AutoMTLS'
          : 'runs the broker round trip: plugin calls the host on a broker id, host calls back',
        async () => {
          const result = await runGo(host(h), [...flags, '-scenario', 'bidi', '--', plugin(p)]);
          const bidi = step(result, 'bidi');
          if (pluginCannotDialHost) {
            assert.equal(bidi.ok, false);
            assert.match(String(bidi.error), /plugin Ping on host broker id 1: .*certificate is valid for localhost/);
            assert.equal(result.code, 1);
          } else {
            assertAllOk(result);
            assert.deepEqual([bidi.hostId, bidi.pluginId], [1, 1]);
          }
        },
      );

      it('answers 16 concurrent Double calls', async () => {
        const result = await runGo(host(h), [...flags, '-scenario', 'concurrent', '-n', '16', '--', plugin(p)]);
        assertAllOk(result);
        assert.deepEqual(step(result, 'concurrent').values, Array.from({ length: 16 }, (_, i) => 2 * i));
      });
    });
  }
}

for (const which of ['modern', 'legacy'] as const) {
  describe(`${which} go-plugin host and plugin: Kill, logs, reattach`, () => {
    it('Kill: the plugin exits on Shutdown without the "failed to exit gracefully" warning', async () => {
      const result = await runGo(host(which), ['-scenario', 'kill', '--', plugin(which)]);
      assertAllOk(result);
      assert.deepEqual(step(result, 'kill').warnings, []);
    });

    it('Kill: a plugin that keeps running after Shutdown is SIGKILLed after the 2 s grace', async () => {
      const result = await runGo(host(which), ['-scenario', 'kill', '--', plugin(which)], {
        env: { TEST_PLUGIN_MODE: 'linger' },
      });
      const kill = step(result, 'kill');
      assert.deepEqual([kill.ok, kill.exited, kill.graceful], [false, true, false]);
      assert.ok((kill.warnings as string[]).includes('plugin failed to exit gracefully'));
      assert.equal(result.code, 1);
    });

    it('re-logs the plugin\'s stderr at the level of each JSON entry and [LEVEL] prefix', async () => {
      const result = await runGo(host(which), ['-scenario', 'logs', '--', plugin(which)], {
        env: { TEST_PLUGIN_LOG_LEVELS: '1' },
      });
      assertAllOk(result);
      const entries = step(result, 'logs').entries as Array<{ level: string; message: string; fields: Record<string, unknown> }>;
      const probes = entries.filter((e) => e.message === 'level probe').map((e) => [e.level, e.fields.probe]);
      assert.deepEqual(probes, ['trace', 'debug', 'info', 'warn', 'error'].map((l) => [l, l]));
      const prefixed = entries.filter((e) => e.message.endsWith('prefixed probe')).map((e) => [e.level, e.message]);
      assert.deepEqual(prefixed, [
        ['trace', '[TRACE] prefixed probe'],
        ['debug', '[DEBUG] prefixed probe'],
        ['info', '[INFO] prefixed probe'],
        ['warn', '[WARN] prefixed probe'],
        ['error', '[ERROR] prefixed probe'],
        ['debug', 'unprefixed probe'],
      ]);
    });

    it('reattach: a second host attaches to the running plugin, calls it and kills it', async () => {
      const holder = startGo(host(which), ['-scenario', 'reattach', '--', plugin(which)]);
      try {
        const config = (await holder.waitForStep('reattach')).config as Record<string, unknown>;
        assert.equal(config.Protocol, 'grpc');
        assert.equal((config.Addr as { Network: string }).Network, 'unix');
        const attached = await runGo(host(which), ['-scenario', 'reattach', '-reattach', JSON.stringify(config)]);
        assertAllOk(attached);
        assert.equal(step(attached, 'double').value, 42);
        assert.equal(step(attached, 'kill').pid, config.Pid);
      } finally {
        holder.closeStdin();
      }
      const held = await holder.result;
      assert.equal(step(held, 'hold').pluginExited, true);
      assert.equal(held.code, 0);
    });

    it('reports a version mismatch: the plugin answers its lowest version and the host refuses it', async () => {
      const result = await runGo(host(which), ['-versions', '3', '-scenario', 'start', '--', plugin(which)]);
      const start = step(result, 'start');
      assert.equal(start.ok, false);
      // 1.0.1 capitalises the message, newest does not.
      assert.match(String(start.error), /^[Ii]ncompatible API version with plugin\. Plugin version: 1, Client versions: \[3\]/);
      assert.equal(result.code, 1);
    });

    it('reports a plugin that prints something other than a handshake', async () => {
      const result = await runGo(host(which), ['-scenario', 'start', '--', plugin(which)], {
        env: { TEST_PLUGIN_MODE: 'garbage' },
      });
      assert.match(String(step(result, 'start').error), /^Unrecognized remote plugin message: this is not a go-plugin handshake line\n/);
      assert.equal(result.code, 1);
    });

    it('reports a plugin that exits before its handshake, with the plugin\'s stderr', async () => {
      const result = await runGo(host(which), ['-scenario', 'start', '--', plugin(which)], {
        env: { TEST_PLUGIN_MODE: 'exit-early' },
      });
      const start = step(result, 'start');
      // Which message wins is a race inside go-plugin between its stdout reader and its exit watcher.
      assert.match(String(start.error), /^(Unrecognized remote plugin message: \n|plugin exited before we could connect)/);
      assert.match(String(start.stderr), /exiting early on purpose/);
    });

    it('reports a plugin that never prints a handshake once StartTimeout passes', async () => {
      const result = await runGo(host(which), ['-start-timeout', '1s', '-scenario', 'start', '--', plugin(which)], {
        env: { TEST_PLUGIN_MODE: 'hang' },
        timeoutMs: 30_000,
      });
      assert.equal(result.timedOut, false);
      assert.equal(step(result, 'start').error, 'timeout while waiting for plugin to start');
    });

    it('the plugin refuses a wrong magic cookie with a line on stderr', async () => {
      const result = await runGo(host(which), ['-cookie-value', 'wrong', '-scenario', 'start', '--', plugin(which)]);
      const start = step(result, 'start');
      assert.equal(start.ok, false);
      assert.match(String(start.stderr), /This binary is a plugin/);
    });
  });
}

describe('newest go-plugin host → newest go-plugin plugin: features 1.0.1 lacks', () => {
  it('carries the plugin\'s stdout and stderr writes over the GRPCStdio stream to SyncStdout/SyncStderr', async () => {
    const result = await runGo(peers.modernHost, ['-scenario', 'stdio', '-stdout-text', 'out ✓\n', '-stderr-text', 'err ✓\n', '--', peers.modernPlugin]);
    assertAllOk(result);
    assert.deepEqual([step(result, 'stdio').stdout, step(result, 'stdio').stderr], ['out ✓\n', 'err ✓\n']);
  });

  for (const tls of [false, true]) {
    it(`runs the broker round trip over one multiplexed connection${tls ? ' with AutoMTLS' : ''}`, async () => {
      const result = await runGo(peers.modernHost, [...(tls ? ['-automtls'] : []), '-multiplex', '-scenario', 'bidi', '--', peers.modernPlugin]);
      assertAllOk(result);
    });
  }

  it('reattaches to a plugin in debug mode (ServeTestConfig) and leaves it running on Kill', async () => {
    const debug = startGo(peers.modernPlugin, [], { env: { TEST_PLUGIN_MODE: 'debug' } });
    try {
      const config = await debug.waitForLine((line) => line.Protocol === 'grpc');
      assert.equal(config.Test, true);
      const attached = await runGo(peers.modernHost, ['-scenario', 'reattach', '-reattach', JSON.stringify(config)]);
      assert.equal(step(attached, 'double').value, 42);
      assert.deepEqual([step(attached, 'kill').ok, step(attached, 'kill').exited], [true, false]);
    } finally {
      debug.kill('SIGTERM');
    }
    const ended = await debug.result;
    assert.equal(ended.code, 0);
  });

  it('the legacy host refuses -multiplex and the stdio scenario (1.0.1 has neither)', async () => {
    for (const args of [['-multiplex'], ['-scenario', 'stdio']]) {
      const result = await runGo(peers.legacyHost, [...args, '--', peers.legacyPlugin]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /1\.0\.1 has no stdio stream and no broker multiplexing/);
    }
  });
});

describe('grpc-go interop client → grpc-go interop TestService', () => {
  const cases = [
    'empty_unary',
    'large_unary',
    'client_streaming',
    'server_streaming',
    'ping_pong',
    'empty_stream',
    'status_code_and_message',
    'special_status_message',
    'custom_metadata',
    'unimplemented_method',
    'unimplemented_service',
    'cancel_after_begin',
    'cancel_after_first_response',
    'timeout_on_sleeping_server',
  ];

  for (const tls of [false, true]) {
    it(`passes every credential-free test case${tls ? ' over TLS (grpc-go testdata certificates)' : ''}`, async () => {
      const server = startGo(peers.interopServer, tls ? ['-use_tls'] : []);
      try {
        const ready = await server.waitForLine((line) => typeof line.port === 'number');
        assert.match(String(ready.address), /^127\.0\.0\.1:\d+$/);
        const tlsArgs = tls ? ['--use_tls', '--use_test_ca', '--server_host_override=foo.test.google.fr'] : [];
        for (const testCase of cases) {
          const result = await runGo(peers.interopClient, [
            '--server_host=127.0.0.1',
            `--server_port=${ready.port}`,
            `--test_case=${testCase}`,
            ...tlsArgs,
          ]);
          assert.equal(result.code, 0, `${testCase} failed:\n${result.stderr}`);
        }
      } finally {
        server.kill('SIGTERM');
      }
      assert.equal((await server.result).code, 0);
    });
  }

  it('serves on a unix socket when asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interop-'));
    const server = startGo(peers.interopServer, ['-unix', join(dir, 's.sock')]);
    try {
      const ready = await server.waitForLine((line) => line.network === 'unix');
      assert.equal(ready.address, join(dir, 's.sock'));
    } finally {
      server.kill('SIGTERM');
      await server.result;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
