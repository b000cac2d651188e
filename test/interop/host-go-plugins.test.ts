// Our host (startPlugin) against real Go plugins: the newest hashicorp/go-plugin (Go module proxy) and
// Debian's go-plugin 1.0.1, both serving go-plugin's own grpctest.Test at versions 1 and 2, plain and
// under AutoMTLS, plus the ways a plugin can misbehave before its handshake.
import { describe, it, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcError } from '../../src/index.js';
import { goPeers, goPluginTestEnv, type GoPeers } from '../helpers/go-peers.js';
import { eventually, isRunning, waitGone } from '../fixtures/host/processes.js';
import { brokerRoundTrip, collect, holdPlugin, KILL_WAIT_MS, killGracefully, killLeftovers, launch, PingPong, startFails } from '../fixtures/host/harness.js';

let peers: GoPeers;
before(async () => {
  peers = await goPeers();
});
afterEach(killLeftovers);

const kinds = [
  { name: 'the newest go-plugin', binary: () => peers.modernPlugin, modern: true },
  { name: "Debian's go-plugin 1.0.1", binary: () => peers.legacyPlugin, modern: false },
] as const;

for (const kind of kinds) {
  describe(`host against a Go plugin built with ${kind.name}`, () => {
    for (const autoMTLS of [false, true]) {
      const how = autoMTLS ? 'under AutoMTLS' : 'in plaintext';
      it(`negotiates version 2 of [1, 2], pings, serves Double, PrintKV and Stream, and stops gracefully (${how})`, async () => {
        const run = await launch(kind.binary(), { autoMTLS });
        assert.equal(run.plugin.negotiatedVersion, 2);
        assert.equal(run.plugin.reattachConfig.network, 'unix');
        assert.equal(run.plugin.reattachConfig.tls !== undefined, autoMTLS, 'the reattach config carries TLS material exactly under AutoMTLS');
        await run.plugin.ping();
        assert.equal((await run.test.Double({ Input: 21 })).Output, 42);
        assert.equal((await run.test.Double({ Input: -7 })).Output, -14);
        await run.test.PrintKV({ Key: 'hello', ValueString: 'world' });
        await run.test.PrintKV({ Key: 'answer', ValueInt: 42 });
        const values = await collect(run.test.Stream([1, 2, 3, 4, 5].map((Input) => ({ Input }))));
        assert.deepEqual(values.map((v) => v.Output), [2, 4, 6, 8, 10]);
        // The plugin logs each PrintKV at info through hclog JSON on its stderr.
        const printed = run.logs.filter((e) => e.message === 'PrintKV called');
        assert.equal(printed.length, 2, JSON.stringify(run.logs));
        assert.ok(printed.every((e) => e.level === 'info' && e.fields['@module'] === 'testplugin'));
        assert.equal(printed[0]!.fields.hello, 'world');
        assert.equal(printed[1]!.fields.answer, 42);
        await killGracefully(run);
      });
    }

    // With TLS, a separate zero-length write of an empty message could still be pending when grpc-go's
    // response and RST_STREAM(NO_ERROR) arrived; Node then never closed the stream and 5-15 of 50 such calls
    // hung, until the client wrote prefix and payload as one buffer.
    it('answers calls whose request message is empty (Double(0): zero-length payload) under AutoMTLS', async () => {
      // grpc-go answers once the message is in and resets the stream (NO_ERROR) if the client has not
      // half-closed yet: the client must complete the call even then.
      const run = await launch(kind.binary(), { autoMTLS: true });
      for (let i = 0; i < 20; i++) assert.equal((await run.test.Double({ Input: 0 }, { timeoutMs: 5000 })).Output ?? 0, 0);
      await killGracefully(run);
    });

    it('settles on version 1 when only 1 is offered', async () => {
      const run = await launch(kind.binary(), { versions: [1] });
      assert.equal(run.plugin.negotiatedVersion, 1);
      assert.equal((await run.test.Double({ Input: 4 })).Output, 8);
      await killGracefully(run);
    });

    it('names both sides\' versions when the plugin answers a version that was not offered, and kills it', async () => {
      // Nothing in common: the plugin answers its lowest version and leaves the verdict to the host.
      const none = await startFails(kind.binary(), { versions: [3] });
      assert.match(none.message, /Incompatible API version with plugin\. Plugin version: 1, Client versions: \[3\]/);
      const only3 = await startFails(kind.binary(), { versions: [1, 2], env: { TEST_PLUGIN_VERSIONS: '3' } });
      assert.match(only3.message, /Plugin version: 3, Client versions: \[1 2\]/);
    });

    if (kind.modern) {
      it('runs the broker round trip both ways under AutoMTLS', async () => {
        const run = await launch(kind.binary(), { autoMTLS: true });
        const ids = await brokerRoundTrip(run);
        assert.equal(ids.hostId, 1);
        assert.ok(ids.pluginId >= 1);
        // Ids are per side and keep counting.
        const again = await brokerRoundTrip(run);
        assert.equal(again.hostId, 2);
        assert.notEqual(again.pluginId, ids.pluginId);
        await killGracefully(run);
      });
    } else {
      it('runs the broker round trip both ways in plaintext', async () => {
        const run = await launch(kind.binary(), { autoMTLS: false });
        const ids = await brokerRoundTrip(run);
        assert.equal(ids.hostId, 1);
        assert.ok(ids.pluginId >= 1);
        await killGracefully(run);
      });

      it('survives the 1.0.1 plugin failing to dial the host broker under AutoMTLS (go-plugin#109)', async () => {
        const run = await launch(kind.binary(), { autoMTLS: true });
        const hostId = run.plugin.broker.nextId();
        await run.plugin.broker.acceptAndServe(hostId, (server) => server.addService(PingPong, { Ping: () => ({ msg: 'pong' }) }));
        await assert.rejects(run.test.Bidirectional({ id: hostId }), (err: GrpcError) => {
          assert.ok(err instanceof GrpcError);
          assert.match(err.message, /plugin Ping on host broker id 1/);
          return true;
        });
        assert.equal((await run.test.Double({ Input: 5 })).Output, 10);
        await killGracefully(run);
      });
    }

    it('answers 64 concurrent unary calls and 8 concurrent streams under AutoMTLS', async () => {
      const run = await launch(kind.binary(), { autoMTLS: true });
      const n = 64;
      const [doubles, streams] = await Promise.all([
        Promise.all(Array.from({ length: n }, (_, i) => run.test.Double({ Input: i + 1 }))),
        Promise.all(Array.from({ length: 8 }, (_, s) => collect(run.test.Stream(Array.from({ length: 10 }, (_, i) => ({ Input: s * 100 + i })))))),
      ]);
      assert.deepEqual(doubles.map((r) => r.Output), Array.from({ length: n }, (_, i) => (i + 1) * 2));
      streams.forEach((values, s) => {
        assert.deepEqual(values.map((v) => v.Output ?? 0), Array.from({ length: 10 }, (_, i) => (s * 100 + i) * 2));
      });
      await killGracefully(run);
    });

    it('logs the plugin\'s stderr at the level of each line: hclog JSON, [LEVEL] prefixes, plain lines at debug', async () => {
      const run = await launch(kind.binary(), { env: { TEST_PLUGIN_LOG_LEVELS: '1' } });
      for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) {
        const json = run.logs.find((e) => e.message === 'level probe' && e.fields.probe === level);
        assert.ok(json, `no JSON "level probe" at ${level}: ${JSON.stringify(run.logs)}`);
        assert.equal(json.level, level);
        assert.equal(json.fields['@module'], 'testplugin');
      }
      const prefixed = run.logs.filter((e) => e.message === 'prefixed probe').map((e) => e.level);
      assert.deepEqual(prefixed, ['trace', 'debug', 'info', 'warn', 'error']);
      const plain = run.logs.filter((e) => e.message === 'unprefixed probe');
      assert.deepEqual(plain.map((e) => e.level), ['debug']);
      await killGracefully(run);
    });

    it('reattaches from a second startPlugin call with the reattach config as JSON, and kills from there', async () => {
      for (const autoMTLS of [false, true]) {
        const first = await launch(kind.binary(), { autoMTLS });
        const config = JSON.parse(JSON.stringify(first.plugin.reattachConfig));
        const second = await launch(undefined, { reattach: config });
        assert.equal(second.plugin.pid, first.plugin.pid);
        assert.equal(second.plugin.negotiatedVersion, 2);
        await second.plugin.ping();
        assert.equal((await second.test.Double({ Input: 21 })).Output, 42);
        await second.kill();
        // The launching host sees its child exit after the Shutdown the second host sent.
        assert.deepEqual(await first.plugin.exited, { code: 0, signal: null });
        assert.ok(await waitGone(first.plugin.pid, 2000));
        await first.kill();
      }
    });

    it('times out a plugin that never prints its handshake, and kills it', async () => {
      const error = await startFails(kind.binary(), { startTimeoutMs: 500, env: { TEST_PLUGIN_MODE: 'hang' } });
      assert.match(error.message, /^timeout while waiting for plugin .* to start/);
    });

    it('rejects a first stdout line that is not a handshake, quoting the line, and kills the plugin', async () => {
      const error = await startFails(kind.binary(), { env: { TEST_PLUGIN_MODE: 'garbage' } });
      assert.match(error.message, /Unrecognized remote plugin message: this is not a go-plugin handshake line/);
    });

    it('reports a plugin that exits before its handshake with its exit code and last stderr lines', async () => {
      const error = await startFails(kind.binary(), { env: { TEST_PLUGIN_MODE: 'exit-early' } });
      assert.match(error.message, /exited before we could connect/);
      assert.equal(error.exitCode, 3);
      assert.deepEqual(error.stderr, ['test plugin exiting early on purpose (TEST_PLUGIN_MODE=exit-early)']);
      assert.match(error.message, /test plugin exiting early on purpose/);
    });
  });
}

describe('host against the newest go-plugin: stdio, panics, kill deadline, host signals, debug-mode reattach', () => {
  it('delivers what the plugin writes to stdout and stderr after the handshake through the stdio stream', async () => {
    const run = await launch(peers.modernPlugin, { autoMTLS: true });
    await run.test.PrintStdio({ stdout: Buffer.from('to stdout\n'), stderr: Buffer.from('to stderr\n') });
    const binary = Buffer.from([0, 1, 2, 255, 10]);
    await run.test.PrintStdio({ stdout: binary });
    const expected = Buffer.concat([Buffer.from('to stdout\n'), binary]);
    assert.ok(await eventually(() => run.stdout().equals(expected)), `stdout: ${JSON.stringify(run.stdout().toString())}`);
    assert.ok(await eventually(() => run.stderr().toString() === 'to stderr\n'), `stderr: ${JSON.stringify(run.stderr().toString())}`);
    await killGracefully(run);
  });

  it('logs a panicking plugin\'s trace at error and reports its exit', async () => {
    const run = await launch(peers.modernPlugin);
    await assert.rejects(run.test.Panic({ message: 'boom on purpose' }), GrpcError);
    const exit = await run.plugin.exited;
    assert.equal(exit.code, 2, 'Go exits 2 on an unrecovered panic');
    assert.ok(await eventually(() => run.logs.some((e) => e.message.startsWith('panic: boom on purpose'))), JSON.stringify(run.logs));
    const panic = run.logs.findIndex((e) => e.message.startsWith('panic: boom on purpose'));
    assert.equal(run.logs[panic]!.level, 'error');
    // The stack trace lines after it are errors too (go-plugin 1.7.0+ host rule).
    const after = run.logs.slice(panic + 1).filter((e) => e.fields['@module'] === undefined);
    assert.ok(after.length > 0 && after.every((e) => e.level === 'error'), JSON.stringify(after.slice(0, 5)));
    await run.kill();
  });

  it('SIGKILLs a plugin that outlives Shutdown once the 2 s grace has passed, with a warning', async () => {
    const run = await launch(peers.modernPlugin, { env: { TEST_PLUGIN_MODE: 'linger' } });
    assert.equal((await run.test.Double({ Input: 1 })).Output, 2);
    const began = Date.now();
    await run.kill();
    assert.ok(Date.now() - began >= KILL_WAIT_MS, 'kill() did not wait for the plugin to exit by itself');
    assert.deepEqual(await run.plugin.exited, { code: null, signal: 'SIGKILL' });
    assert.ok(run.logs.some((e) => e.level === 'warn' && e.message === 'plugin failed to exit gracefully'), JSON.stringify(run.logs));
    assert.equal(isRunning(run.plugin.pid), false);
  });

  it('is killed with its host when the host dies of SIGTERM (a Go plugin never watches its parent)', async () => {
    const { host, held } = await holdPlugin(peers.modernPlugin);
    const hostExit = new Promise<NodeJS.Signals | null>((resolve) => host.once('exit', (_code, signal) => resolve(signal)));
    host.kill('SIGTERM');
    assert.equal(await hostExit, 'SIGTERM', 'the host no longer dies of SIGTERM');
    const gone = await waitGone(held.pid, 2000);
    if (!gone) process.kill(held.pid, 'SIGKILL');
    assert.ok(gone, 'the plugin outlived its host, which died of SIGTERM');
  });

  it('reattaches to a plugin in go-plugin debug mode (Test: true), whose Kill leaves it running', async () => {
    const child = spawn(peers.modernPlugin, [], {
      env: { ...process.env, [goPluginTestEnv.cookieKey]: goPluginTestEnv.cookieValue, TEST_PLUGIN_MODE: 'debug' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
        });
        child.once('exit', (code) => reject(new Error(`the debug-mode plugin exited (${code}) before printing its reattach config`)));
      });
      const go = JSON.parse(line) as { Protocol: string; ProtocolVersion: number; Pid: number; Test: boolean; Addr: { Network: 'unix' | 'tcp'; String: string } };
      assert.equal(go.Test, true);
      const run = await launch(undefined, {
        reattach: { protocol: 'grpc', protocolVersion: go.ProtocolVersion, network: go.Addr.Network, address: go.Addr.String, pid: go.Pid, test: true },
      });
      assert.equal((await run.test.Double({ Input: 50 })).Output, 100);
      await run.kill();
      assert.equal(isRunning(child.pid!), true, 'kill() of a Test reattachment stopped the plugin');
    } finally {
      child.kill('SIGTERM');
    }
    assert.ok(await waitGone(child.pid!, 5000));
  });
});

describe('host environment for the plugin (docs/protocol.md#environment-variables)', () => {
  const environOf = (pid: number): Map<string, string> =>
    new Map(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as [string, string]),
    );

  it('passes the host environment, the caller\'s variables, then go-plugin\'s own, which win', async () => {
    const run = await launch(peers.modernPlugin, {
      autoMTLS: false,
      versions: [2, 1],
      env: { EXTRA_FOR_PLUGIN: 'yes', TEST_PLUGIN_MAGIC_COOKIE: 'overridden', PLUGIN_CLIENT_CERT: 'stale', PLUGIN_PROTOCOL_VERSIONS: '9' },
    });
    const env = environOf(run.plugin.pid);
    assert.equal(env.get('PATH'), process.env.PATH);
    assert.equal(env.get('EXTRA_FOR_PLUGIN'), 'yes');
    assert.equal(env.get('TEST_PLUGIN_MAGIC_COOKIE'), 'test');
    assert.equal(env.get('PLUGIN_PROTOCOL_VERSIONS'), '2,1');
    assert.equal(env.has('PLUGIN_CLIENT_CERT'), false, 'a PLUGIN_CLIENT_CERT without AutoMTLS makes plugins serve TLS');
    assert.equal(env.get('PLUGIN_MIN_PORT'), process.env.PLUGIN_MIN_PORT || '10000');
    assert.equal(env.get('PLUGIN_MAX_PORT'), process.env.PLUGIN_MAX_PORT || '25000');
    await killGracefully(run);
  });

  it('gives the plugin only the caller\'s and go-plugin\'s variables with skipHostEnv', async () => {
    const run = await launch(peers.modernPlugin, { skipHostEnv: true, env: { EXTRA_FOR_PLUGIN: 'yes' } });
    const env = environOf(run.plugin.pid);
    assert.equal(env.has('PATH'), false);
    assert.equal(env.get('EXTRA_FOR_PLUGIN'), 'yes');
    assert.match(env.get('PLUGIN_CLIENT_CERT') ?? '', /^-----BEGIN CERTIFICATE-----\n/);
    assert.equal((await run.test.Double({ Input: 9 })).Output, 18);
    await killGracefully(run);
  });
});

describe('host reattaching to what is not there', () => {
  it('refuses a pid that does not exist', async () => {
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const error = await startFails('', {
      command: undefined,
      reattach: { protocol: 'grpc', protocolVersion: 2, network: 'unix', address: '/tmp/no-such-plugin-socket', pid: gone.pid! },
    });
    assert.match(error.message, /^reattachment process not found/);
  });

  it('refuses a live pid whose address does not answer, within the test dial', async () => {
    const error = await startFails('', {
      command: undefined,
      reattach: { protocol: 'grpc', protocolVersion: 2, network: 'unix', address: join(tmpdir(), 'no-such-plugin-socket'), pid: process.pid },
    });
    assert.match(error.message, /^reattachment process not found: cannot reach the plugin at /);
  });
});

describe('host refusing to launch what it cannot or must not run', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'host-test-'));
  });

  it('names a command that does not exist, in one line', async () => {
    for (const command of [join(tmpdir(), 'no-such-dir-for-plugins', 'plugin'), 'no-such-plugin-on-path']) {
      const error = await startFails(command, {});
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, /does not exist|not found on PATH/);
      assert.ok(error.message.includes(command.split('/').pop()!));
    }
  });

  it('names a file that is not executable, in one line', async () => {
    const file = join(dir, 'not-executable');
    writeFileSync(file, '#!/bin/sh\necho never\n');
    chmodSync(file, 0o644);
    const error = await startFails(file, {});
    assert.doesNotMatch(error.message, /\n/);
    assert.match(error.message, /not an executable file/);
    assert.ok(error.message.includes(file));
    rmSync(dir, { recursive: true, force: true });
  });

  it('launches a plugin whose checksum matches, and refuses one whose checksum does not', async () => {
    const sha256 = createHash('sha256').update(readFileSync(peers.modernPlugin)).digest('hex');
    const run = await launch(peers.modernPlugin, { checksum: { algorithm: 'sha256', hex: sha256 } });
    assert.equal((await run.test.Double({ Input: 3 })).Output, 6);
    await killGracefully(run);

    const wrong = sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const mismatch = await startFails(peers.modernPlugin, { checksum: { algorithm: 'sha256', hex: wrong } });
    assert.match(mismatch.message, /checksums did not match/);
    const empty = await startFails(peers.modernPlugin, { checksum: { algorithm: 'sha256', hex: '' } });
    assert.match(empty.message, /no checksum provided/);
  });
});
