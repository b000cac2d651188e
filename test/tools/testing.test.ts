// testPlugin: a plugin's register functions served in the test's own process over a real gRPC
// connection, with the PluginClient startPlugin gives (go-plugin's TestPluginGRPCConn is the model).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, GrpcError, Status, testPlugin, type RegisterVersion } from '../../src/index.js';
import { PingPong, Test, type TestClient } from '../fixtures/host/harness.js';

const register: RegisterVersion = (server, broker, { logger, console }) => {
  server.addService(Test, {
    Double: ({ Input }: { Input: number }) => {
      logger.info('doubling', { input: Input });
      return { Output: Input * 2 };
    },
    PrintStdio: ({ stdout, stderr }: { stdout: Uint8Array; stderr: Uint8Array }) => {
      if (stdout.length) console.log(new TextDecoder().decode(stdout));
      if (stderr.length) console.error(new TextDecoder().decode(stderr));
      return {};
    },
    async Bidirectional({ id }: { id: number }) {
      const pingPong = createClient(PingPong, await broker.dial(id));
      const reply = (await pingPong.Ping({})) as { msg: string };
      const next = broker.nextId();
      await broker.acceptAndServe(next, (s) => s.addService(PingPong, { Ping: () => ({ msg: `${reply.msg}!` }) }));
      return { id: next };
    },
    async *Stream(requests: AsyncIterable<{ Input: number }>) {
      for await (const { Input } of requests) yield { Output: Input * 2 };
    },
    Panic: ({ message }: { message: string }) => {
      throw new GrpcError(Status.FAILED_PRECONDITION, message);
    },
  });
};

describe('testPlugin', () => {
  it('serves the highest version unless told, over a real socket, with no child process', async () => {
    const plugin = await testPlugin({ versions: { 1: register, 3: register } });
    try {
      assert.equal(plugin.negotiatedVersion, 3);
      assert.equal(plugin.pid, process.pid);
      assert.equal(plugin.reattachConfig.network, 'unix');
      assert.ok(existsSync(plugin.reattachConfig.address));
      await plugin.ping();
      const test = plugin.client(Test) as unknown as TestClient;
      assert.deepEqual(await test.Double({ Input: 21 }), { Output: 42 });
      const outputs: number[] = [];
      for await (const r of test.Stream([{ Input: 1 }, { Input: 2 }])) outputs.push(r.Output!);
      assert.deepEqual(outputs, [2, 4]);
    } finally {
      await plugin.kill();
    }
    assert.equal(existsSync(plugin.reattachConfig.address), false, 'kill() removes the socket');
    assert.deepEqual(await plugin.exited, { code: 0, signal: null });
    const one = await testPlugin({ versions: { 1: register, 3: register }, version: 1 });
    assert.equal(one.negotiatedVersion, 1);
    await one.kill();
  });

  it("serves over TCP on 127.0.0.1 with transport: 'tcp'", async () => {
    const plugin = await testPlugin({ versions: { 1: register }, transport: 'tcp' });
    try {
      assert.equal(plugin.reattachConfig.network, 'tcp');
      assert.match(plugin.reattachConfig.address, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(await (plugin.client(Test) as unknown as TestClient).Double({ Input: 2 }), { Output: 4 });
    } finally {
      await plugin.kill();
    }
  });

  it('runs the broker both ways, as with a launched plugin', async () => {
    const plugin = await testPlugin({ versions: { 1: register } });
    try {
      const id = plugin.broker.nextId();
      await plugin.broker.acceptAndServe(id, (s) => s.addService(PingPong, { Ping: () => ({ msg: 'pong' }) }));
      const test = plugin.client(Test) as unknown as TestClient;
      const { id: back } = await test.Bidirectional({ id }, { timeoutMs: 10_000 });
      const reply = (await createClient(PingPong, await plugin.broker.dial(back)).Ping({})) as { msg: string };
      assert.equal(reply.msg, 'pong!');
    } finally {
      await plugin.kill();
    }
  });

  it('captures log lines at their level and stdio through the stdio stream, and passes errors through', async () => {
    const plugin = await testPlugin({ versions: { 1: register } });
    try {
      const test = plugin.client(Test) as unknown as TestClient;
      await test.Double({ Input: 4 });
      assert.deepEqual(plugin.logs.find((e) => e.message === 'doubling'), { level: 'info', message: 'doubling', fields: { input: 4 } });
      await test.PrintStdio({ stdout: Buffer.from('to stdout'), stderr: Buffer.from('to stderr') });
      const deadline = Date.now() + 5000;
      while ((!plugin.stdout() || !plugin.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(plugin.stdout(), 'to stdout\n');
      assert.equal(plugin.stderr(), 'to stderr\n');
      await assert.rejects(test.Panic({ message: 'no' }), (err: unknown) => err instanceof GrpcError && err.code === Status.FAILED_PRECONDITION && err.details === 'no');
    } finally {
      await plugin.kill();
    }
  });

  it('leaves the process alone: no signal handlers stay behind, and the global console is not captured', async () => {
    const before = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));
    const log = console.log;
    const plugin = await testPlugin({ versions: { 1: register } });
    assert.deepEqual(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s)), before);
    assert.equal(console.log, log);
    await plugin.kill();
  });

  it('refuses a version the plugin does not serve', async () => {
    await assert.rejects(testPlugin({ versions: { 1: register }, version: 2 }), /version 2 is not among the plugin's versions \(1\)/);
  });

  it("runs the KV example's own tests (examples/kv/plugin.test.ts), which use it", () => {
    const file = fileURLToPath(new URL('../../examples/kv/plugin.test.ts', import.meta.url));
    // Without NODE_TEST_CONTEXT the child reports in TAP on its stdout instead of to this runner.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { encoding: 'utf8', timeout: 120_000, env });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^# pass 6$/m);
    assert.match(result.stdout, /^# fail 0$/m);
  });
});
