// Our host (startPlugin) against our own plugin side: test/fixtures/ts-plugin (go-plugin's grpctest.Test
// on serve()), launched through its shell wrapper, under AutoMTLS unless a test says otherwise. Also the
// process-tree duties: nothing of a wrapper survives kill(), and a plugin whose host was SIGKILLed exits
// by itself.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { descendants, eventually, isRunning, waitGone } from '../fixtures/host/processes.js';
import { brokerRoundTrip, collect, holdPlugin, killGracefully, killLeftovers, launch, startFails } from '../fixtures/host/harness.js';

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
const PLUGIN = fixture('ts-plugin/launch.sh');
const HOST_FIXTURES = fixture('host/');

afterEach(killLeftovers);

describe('host against the TS plugin (node, through launch.sh)', () => {
  it('negotiates version 2 of [1, 2], pings, serves Double, PrintKV and Stream, and stops gracefully under AutoMTLS', async () => {
    const run = await launch(PLUGIN);
    assert.equal(run.plugin.negotiatedVersion, 2);
    assert.equal(run.plugin.reattachConfig.network, 'unix');
    assert.ok(run.plugin.reattachConfig.tls, 'AutoMTLS is on by default');
    await run.plugin.ping();
    assert.equal((await run.test.Double({ Input: 21 })).Output, 42);
    await run.test.PrintKV({ Key: 'hello', ValueString: 'world' });
    await run.test.PrintKV({ Key: 'answer', ValueInt: 42 });
    const values = await collect(run.test.Stream([1, 2, 3, 4, 5].map((Input) => ({ Input }))));
    assert.deepEqual(values.map((v) => v.Output), [2, 4, 6, 8, 10]);
    const printed = run.logs.filter((e) => e.message === 'PrintKV');
    assert.deepEqual(
      printed.map((e) => [e.level, e.fields.key, e.fields.value]),
      [
        ['info', 'hello', 'world'],
        ['info', 'answer', 42],
      ],
    );
    await killGracefully(run);
  });

  it('answers calls whose request message is empty (Double(0): zero-length payload)', async () => {
    const run = await launch(PLUGIN);
    for (let i = 0; i < 20; i++) assert.equal((await run.test.Double({ Input: 0 }, { timeoutMs: 5000 })).Output ?? 0, 0);
    await killGracefully(run);
  });

  it('serves in plaintext when AutoMTLS is off', async () => {
    const run = await launch(PLUGIN, { autoMTLS: false });
    assert.equal(run.plugin.reattachConfig.tls, undefined);
    assert.equal((await run.test.Double({ Input: 8 })).Output, 16);
    await killGracefully(run);
  });

  it('settles on version 1 when only 1 is offered, and names the versions when nothing matches', async () => {
    const run = await launch(PLUGIN, { versions: [1] });
    assert.equal(run.plugin.negotiatedVersion, 1);
    await killGracefully(run);
    const error = await startFails(PLUGIN, { versions: [3, 4] });
    assert.match(error.message, /Incompatible API version with plugin\. Plugin version: 1, Client versions: \[3 4\]/);
  });

  it('listens on 127.0.0.1 within the port range when the plugin uses TCP', async () => {
    const run = await launch(PLUGIN, { env: { TEST_PLUGIN_TCP: '1' } });
    assert.equal(run.plugin.reattachConfig.network, 'tcp');
    const match = /^127\.0\.0\.1:(\d+)$/.exec(run.plugin.reattachConfig.address);
    assert.ok(match, run.plugin.reattachConfig.address);
    const port = Number(match[1]);
    assert.ok(port >= 10000 && port <= 25000, `port ${port} is outside PLUGIN_MIN_PORT..PLUGIN_MAX_PORT`);
    assert.equal((await run.test.Double({ Input: 1 })).Output, 2);
    await killGracefully(run);
  });

  it('streams stdout and stderr writes to the host, byte for byte and in order', async () => {
    const run = await launch(PLUGIN);
    const big = randomBytes(256 * 1024);
    await run.test.PrintStdio({ stdout: Buffer.from('first\n'), stderr: Buffer.from('to stderr\n') });
    await run.test.PrintStdio({ stdout: big });
    await run.test.PrintStdio({ stdout: Buffer.from('last\n') });
    const expected = Buffer.concat([Buffer.from('first\n'), big, Buffer.from('last\n')]);
    assert.ok(await eventually(() => run.stdout().length >= expected.length), `got ${run.stdout().length} of ${expected.length} bytes`);
    assert.ok(run.stdout().equals(expected), 'stdout arrived altered or out of order');
    assert.ok(await eventually(() => run.stderr().toString() === 'to stderr\n'), JSON.stringify(run.stderr().toString()));
    await killGracefully(run);
  });

  it('delivers a console.log made before the handshake through the stdio stream, not as a broken handshake', async () => {
    const run = await launch(PLUGIN, { env: { TEST_PLUGIN_STDOUT_AT_IMPORT: '1' } });
    assert.ok(await eventually(() => run.stdout().toString() === 'noise before the handshake\n'), JSON.stringify(run.stdout().toString()));
    await killGracefully(run);
  });

  it('runs the broker round trip both ways under AutoMTLS, twice', async () => {
    const run = await launch(PLUGIN);
    const first = await brokerRoundTrip(run);
    const second = await brokerRoundTrip(run);
    assert.deepEqual([first.hostId, second.hostId], [1, 2]);
    assert.notEqual(first.pluginId, second.pluginId);
    await killGracefully(run);
  });

  it('answers 64 concurrent unary calls and 8 concurrent streams', async () => {
    const run = await launch(PLUGIN);
    const [doubles, streams] = await Promise.all([
      Promise.all(Array.from({ length: 64 }, (_, i) => run.test.Double({ Input: i + 1 }))),
      Promise.all(Array.from({ length: 8 }, (_, s) => collect(run.test.Stream(Array.from({ length: 10 }, (_, i) => ({ Input: s * 100 + i + 1 })))))),
    ]);
    assert.deepEqual(doubles.map((r) => r.Output), Array.from({ length: 64 }, (_, i) => (i + 1) * 2));
    streams.forEach((values, s) => {
      assert.deepEqual(values.map((v) => v.Output), Array.from({ length: 10 }, (_, i) => (s * 100 + i + 1) * 2));
    });
    await killGracefully(run);
  });

  it('logs the plugin\'s hclog lines at their own levels', async () => {
    const run = await launch(PLUGIN, { env: { TEST_PLUGIN_LOG_LEVELS: '1' } });
    for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) {
      assert.ok(await eventually(() => run.logs.some((e) => e.message === `hello at ${level}`)), JSON.stringify(run.logs));
      const entry = run.logs.find((e) => e.message === `hello at ${level}`)!;
      assert.equal(entry.level, level);
      assert.equal(entry.fields.level, level);
      assert.equal(entry.fields.plugin, 'launch.sh', 'entries are named after the executable');
    }
    await killGracefully(run);
  });

  it('reattaches from a second startPlugin call with the reattach config as JSON (AutoMTLS material included)', async () => {
    const first = await launch(PLUGIN);
    const config = JSON.parse(JSON.stringify(first.plugin.reattachConfig));
    const second = await launch(undefined, { reattach: config });
    assert.equal(second.plugin.pid, first.plugin.pid);
    assert.equal((await second.test.Double({ Input: 21 })).Output, 42);
    // The plugin keeps serving the first host while the second is attached.
    assert.equal((await first.test.Double({ Input: 2 })).Output, 4);
    await second.kill();
    assert.deepEqual(await first.plugin.exited, { code: 0, signal: null });
    await first.kill();
  });

  it('reports a plugin that fails at start-up with exit code 1 and its reason', async () => {
    const error = await startFails(PLUGIN, { env: { TEST_PLUGIN_THROW_AT_START: '1' } });
    assert.match(error.message, /exited before we could connect \(exit code 1\)/);
    assert.equal(error.exitCode, 1);
    assert.ok(error.stderr.some((line) => line.includes('the plugin failed at start-up on purpose')), JSON.stringify(error.stderr));
  });

  it('reports a cookie the plugin does not accept with the plugin\'s one-line reason', async () => {
    const error = await startFails(PLUGIN, { magicCookieValue: 'not-the-cookie' });
    assert.equal(error.exitCode, 1);
    assert.equal(error.stderr.length, 1, JSON.stringify(error.stderr));
    assert.match(error.stderr[0]!, /^This program is a go-plugin plugin/);
  });

  it('rejects a wrapper that prints a banner before the handshake, quoting the banner', async () => {
    const error = await startFails(HOST_FIXTURES + 'wrapper-banner.sh', {});
    assert.match(error.message, /Unrecognized remote plugin message: starting the plugin, please wait/);
  });

  it('rejects a plugin that ignores PLUGIN_CLIENT_CERT and announces plaintext under AutoMTLS', async () => {
    const error = await startFails(HOST_FIXTURES + 'no-tls.sh', {});
    assert.match(error.message, /no server certificate/);
    assert.match(error.message, /AutoMTLS/);
  });
});

describe('host against the TS plugin: process tree', () => {
  it('kill() leaves nothing of launch.sh, which execs node (the plugin pid is node itself)', async () => {
    const run = await launch(PLUGIN);
    assert.equal(readFileSync(`/proc/${run.plugin.pid}/comm`, 'utf8').trim(), 'node');
    const tree = descendants(run.plugin.pid);
    await killGracefully(run);
    assert.deepEqual(tree.filter((p) => isRunning(p.pid)), []);
  });

  it('kill() leaves nothing of a wrapper that runs the plugin as its child, and both exit gracefully', async () => {
    const run = await launch(HOST_FIXTURES + 'wrapper-child.sh');
    const tree = descendants(run.plugin.pid);
    assert.ok(tree.some((p) => p.comm === 'node'), `no node below the wrapper: ${JSON.stringify(tree)}`);
    assert.equal((await run.test.Double({ Input: 3 })).Output, 6);
    await killGracefully(run);
    assert.deepEqual(tree.filter((p) => isRunning(p.pid)), []);
  });

  it('kill() ends a stray process a wrapper left holding the plugin\'s pipes', async () => {
    const run = await launch(HOST_FIXTURES + 'wrapper-stray.sh');
    const stray = descendants(run.plugin.pid).find((p) => p.comm === 'sleep');
    assert.ok(stray, 'the wrapper did not leave its sleep behind');
    assert.equal((await run.test.Double({ Input: 3 })).Output, 6);
    await run.kill();
    assert.deepEqual(await run.plugin.exited, { code: 0, signal: null }, 'the plugin itself exits after Shutdown');
    assert.ok(await waitGone(stray.pid, 1000), 'the stray outlived kill()');
  });

  it('exits by itself when its host is SIGKILLed', async () => {
    const { host, held } = await holdPlugin(PLUGIN);
    assert.ok(isRunning(held.pid));
    host.kill('SIGKILL');
    // The plugin polls its parent pid every second (go-plugin#210).
    const gone = await waitGone(held.pid, 5000);
    if (!gone) process.kill(held.pid, 'SIGKILL');
    assert.ok(gone, 'the plugin outlived its SIGKILLed host by 5 s');
    assert.ok(await eventually(() => held.descendants.every((pid) => !isRunning(pid)), 2000), 'what the plugin started outlived it');
  });
});

for (const runtime of ['bun', 'deno'] as const) {
  describe(`host against the TS plugin on ${runtime}`, () => {
    it('serves, runs the broker round trip and streams stdio under AutoMTLS, and stops gracefully', async () => {
      const run = await launch(PLUGIN, { env: { TEST_PLUGIN_RUNTIME: runtime } });
      assert.equal(run.plugin.negotiatedVersion, 2);
      assert.equal((await run.test.Double({ Input: 21 })).Output, 42);
      await brokerRoundTrip(run);
      await run.test.PrintStdio({ stdout: Buffer.from('out\n'), stderr: Buffer.from('err\n') });
      assert.ok(await eventually(() => run.stdout().toString() === 'out\n' && run.stderr().toString() === 'err\n'), JSON.stringify([run.stdout().toString(), run.stderr().toString()]));
      // On Deno the plugin may die inside Deno's own nghttp2 after answering Shutdown
      // (denoland/deno#36788, Deno 2.9.6): killGracefully accepts exactly that crash there.
      await killGracefully(run, { runtime });
    });
  });
}
