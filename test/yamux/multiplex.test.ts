// go-plugin's gRPC broker multiplexing (GRPCBrokerMultiplex, go-plugin >= 1.6) on both sides: the
// go-plugin v1.8.0 host launching our plugin under Node, Bun and Deno; our host launching go-plugin
// v1.8.0's plugin and our own. One yamux connection carries the main gRPC connection and every broker
// connection; AutoMTLS runs inside each stream.
import { describe, it, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { goPeers, runGo, type GoPeers, type GoResult, type GoLine } from '../helpers/go-peers.js';
import { eventually } from '../fixtures/host/processes.js';
import { brokerRoundTrip, collect, killGracefully, killLeftovers, launch, startFails } from '../fixtures/host/harness.js';
import { startPlugin } from '../../src/index.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/ts-plugin/launch.sh', import.meta.url));
let peers: GoPeers;
before(async () => {
  peers = await goPeers();
});
afterEach(killLeftovers);

function ok(result: GoResult, name: string): GoLine {
  const line = result.lines.find((l) => l.step === name);
  assert.ok(line, `no "${name}" step; stdout:\n${result.stdout}\nstderr (tail):\n${result.stderr.slice(-3000)}`);
  assert.equal(line.ok, true, `step ${name} failed: ${JSON.stringify(line)}\nstderr (tail):\n${result.stderr.slice(-3000)}`);
  return line;
}

for (const runtime of ['node', 'bun', 'deno'] as const) {
  describe(`go-plugin v1.8.0 host with GRPCBrokerMultiplex → our plugin on ${runtime}`, { concurrency: 1 }, () => {
    for (const mtls of [false, true]) {
      const how = mtls ? 'AutoMTLS inside each stream' : 'plaintext';
      const host = (scenario: string) =>
        runGo(peers.modernHost, [...(mtls ? ['-automtls'] : []), '-multiplex', '-scenario', scenario, '--', PLUGIN], { env: { TEST_PLUGIN_RUNTIME: runtime }, timeoutMs: 60_000 });

      it(`handshake field 7, every test method, Shutdown (${how})`, async () => {
        const result = await host('basic');
        const start = ok(result, 'start');
        // The host dialed one yamux connection; without field 7 it would have refused the plugin.
        assert.match(result.stderr, /client muxer connected/);
        ok(result, 'ping');
        assert.equal(ok(result, 'double').value, 42);
        ok(result, 'printkv');
        assert.deepEqual(ok(result, 'stream').values, [2, 4, 6, 8, 10]);
        const kill = ok(result, 'kill');
        assert.equal(kill.graceful, true);
        assert.equal(existsSync(start.address as string), false, 'the unix socket was left behind');
        assert.equal(result.code, 0);
      });

      it(`the Bidirectional broker round trip over knocked streams, both directions (${how})`, async () => {
        const result = await host('bidi');
        const bidi = ok(result, 'bidi');
        assert.ok((bidi.hostId as number) >= 1 && (bidi.pluginId as number) >= 1);
        ok(result, 'kill');
      });

      it(`stdio over the multiplexed connection (${how})`, async () => {
        const result = await host('stdio');
        const sync = ok(result, 'sync');
        assert.equal(sync.stdout, 'hello stdout\n');
        assert.equal(sync.stderr, 'hello stderr\n');
      });
    }
  });
}

const plugins = [
  { name: "go-plugin v1.8.0's plugin", command: () => peers.modernPlugin, go: true },
  { name: 'our plugin (Node)', command: () => PLUGIN, go: false },
] as const;

for (const plugin of plugins) {
  describe(`our host with multiplex: true → ${plugin.name}`, () => {
    for (const autoMTLS of [false, true]) {
      const how = autoMTLS ? 'AutoMTLS inside each stream' : 'plaintext';
      it(`every test method, the broker round trip both ways, stdio, graceful kill (${how})`, async () => {
        const run = await launch(plugin.command(), { autoMTLS, multiplex: true, ...(plugin.go ? {} : { env: { TEST_PLUGIN_RUNTIME: 'node' } }) });
        await run.plugin.ping();
        assert.equal((await run.test.Double({ Input: 21 })).Output, 42);
        await run.test.PrintKV({ Key: 'hello', ValueString: 'world' });
        const values = await collect(run.test.Stream([1, 2, 3].map((Input) => ({ Input }))));
        assert.deepEqual(values.map((v) => v.Output), [2, 4, 6]);
        const ids = await brokerRoundTrip(run);
        assert.ok(ids.hostId >= 1 && ids.pluginId >= 1);
        await run.test.PrintStdio({ stdout: Buffer.from('out\n'), stderr: Buffer.from('err\n') });
        assert.ok(await eventually(() => run.stdout().toString() === 'out\n' && run.stderr().toString() === 'err\n'), JSON.stringify([run.stdout().toString(), run.stderr().toString()]));
        if (plugin.go) {
          // go-plugin's muxer logs how it routed our streams: the first one to the main server, the
          // knocked one to the broker listener.
          const messages = run.logs.map((e) => e.message);
          assert.ok(messages.includes('initial server connection accepted'), JSON.stringify(messages));
          assert.ok(messages.includes('sending conn to brokered listener'), JSON.stringify(messages));
        }
        await killGracefully(run);
      });
    }
  });
}

describe('multiplexing over TCP (transport: tcp, the one connection is 127.0.0.1:PORT)', () => {
  it('go-plugin v1.8.0 host → our plugin: the broker round trip under AutoMTLS', async () => {
    const result = await runGo(peers.modernHost, ['-automtls', '-multiplex', '-scenario', 'bidi', '--', PLUGIN], { env: { TEST_PLUGIN_TCP: '1' }, timeoutMs: 60_000 });
    assert.equal(ok(result, 'start').network, 'tcp');
    ok(result, 'bidi');
    ok(result, 'kill');
  });

  it('our host → our plugin: calls and the broker round trip', async () => {
    const run = await launch(PLUGIN, { multiplex: true, env: { TEST_PLUGIN_TCP: '1' } });
    assert.equal(run.plugin.reattachConfig.network, 'tcp');
    assert.equal((await run.test.Double({ Input: 5 })).Output, 10);
    await brokerRoundTrip(run);
    await killGracefully(run);
  });
});

describe('our host with multiplex: true, broker dials nobody accepts', () => {
  it("a dial for an id go-plugin's plugin never accepted fails after the 5 s knock wait, and the plugin keeps serving", async () => {
    const run = await launch(peers.modernPlugin, { multiplex: true });
    const began = Date.now();
    await assert.rejects(run.plugin.broker.dial(4242), /timeout waiting for multiplexing knock handshake on broker id 4242/);
    const took = Date.now() - began;
    assert.ok(took >= 4500 && took < 9000, `the dial gave up after ${took} ms`);
    assert.equal((await run.test.Double({ Input: 4 })).Output, 8);
    await brokerRoundTrip(run);
    await killGracefully(run);
  });
});

describe('our host with multiplex: true refuses what go-plugin refuses', () => {
  it("a plugin without multiplexing (go-plugin 1.0.1): a clear error, the plugin killed", async () => {
    const error = await startFails(peers.legacyPlugin, { multiplex: true, autoMTLS: false });
    assert.match(error.message, /does not support gRPC broker multiplexing/);
  });

  it('multiplex together with reattach', async () => {
    await assert.rejects(
      startPlugin({
        magicCookieKey: 'K',
        magicCookieValue: 'v',
        versions: [1],
        multiplex: true,
        reattach: { protocol: 'grpc', protocolVersion: 1, network: 'unix', address: '/nonexistent', pid: process.pid },
      }),
      /not supported with reattach/,
    );
  });
});
