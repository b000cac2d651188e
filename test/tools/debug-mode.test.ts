// Debug serve mode: a TS plugin started by hand (GO_PLUGIN_DEBUG=1, no cookie) prints its reattach
// configuration, is reattached by the newest go-plugin host and by ours, survives both hosts' Kill
// (ReattachConfig.Test), serves reflection, and stops on Ctrl-C.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startPlugin } from '../../src/index.js';
import { formatReattachInstructions, goReattachJson, goReattachLiteral, debugMode } from '../../src/plugin/serve/debug.js';
import { goPeers, runGo, type GoResult } from '../helpers/go-peers.js';
import { COOKIE, Test, type TestClient } from '../fixtures/host/harness.js';
import { isRunning } from '../fixtures/host/processes.js';
import { grpcurl } from './go-tools.js';

const run = promisify(execFile);
const PLUGIN = fileURLToPath(new URL('../fixtures/ts-plugin/test-plugin.ts', import.meta.url));

describe('debug mode: the rules', () => {
  it('is on with the option or GO_PLUGIN_DEBUG=1/true, and off with debug: false whatever the variable says', () => {
    assert.deepEqual(debugMode(undefined, { GO_PLUGIN_DEBUG: '1' }), {});
    assert.deepEqual(debugMode(undefined, { GO_PLUGIN_DEBUG: 'true' }), {});
    assert.equal(debugMode(undefined, { GO_PLUGIN_DEBUG: '0' }), undefined);
    assert.equal(debugMode(undefined, {}), undefined);
    assert.equal(debugMode(false, { GO_PLUGIN_DEBUG: '1' }), undefined);
    assert.deepEqual(debugMode({ providerAddress: 'x/y/z' }, {}), { providerAddress: 'x/y/z' });
  });

  it('prints the three forms hosts take', () => {
    const config = { protocol: 'grpc', protocolVersion: 6, network: 'tcp', address: '127.0.0.1:10007', pid: 42, test: true } as const;
    const text = formatReattachInstructions(config, 'registry.terraform.io/acme/kv');
    assert.ok(text.includes(`  ${JSON.stringify(config)}\n`));
    assert.ok(text.includes(`export TF_REATTACH_PROVIDERS='{"registry.terraform.io/acme/kv":{"Protocol":"grpc","ProtocolVersion":6,"Pid":42,"Test":true,"Addr":{"Network":"tcp","String":"127.0.0.1:10007"}}}'`));
    assert.equal(
      goReattachLiteral(config),
      '&plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, ProtocolVersion: 6, Pid: 42, Test: true, Addr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 10007}}',
    );
    assert.deepEqual(goReattachJson({ ...config, network: 'unix', address: '/tmp/p' }).Addr, { Network: 'unix', String: '/tmp/p' });
  });
});

interface DebugPlugin {
  child: ChildProcess;
  ours: Record<string, unknown>;
  tf: Record<string, Record<string, unknown>>;
  stdout(): string;
  exited: Promise<number | null>;
}

/** Starts the test plugin by hand in debug mode: no cookie, no host. */
async function startDebugPlugin(): Promise<DebugPlugin> {
  const env: NodeJS.ProcessEnv = { ...process.env, GO_PLUGIN_DEBUG: '1' };
  delete env[COOKIE.magicCookieKey];
  delete env.PLUGIN_PROTOCOL_VERSIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', PLUGIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/TF_REATTACH_PROVIDERS='.*'\n/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the debug-mode plugin printed no reattach configuration; stdout:\n${out}\nstderr:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ours = JSON.parse(out.match(/startPlugin\(\{ \.\.\., reattach: <this JSON> \}\)\n {2}(.*)\n/)![1]!);
  const tf = JSON.parse(out.match(/TF_REATTACH_PROVIDERS='(.*)'\n/)![1]!);
  return { child, ours, tf, stdout: () => out, exited };
}

describe('debug mode against real hosts', () => {
  let peers: Awaited<ReturnType<typeof goPeers>>;
  let plugin: DebugPlugin;
  before(async () => {
    peers = await goPeers();
    plugin = await startDebugPlugin();
  });
  after(() => {
    if (plugin.child.exitCode === null) plugin.child.kill('SIGKILL');
  });

  it('prints no handshake line, and a reattach configuration with Test set, for the highest version', () => {
    assert.doesNotMatch(plugin.stdout(), /^1\|\d+\|/m);
    assert.equal(plugin.ours.test, true);
    assert.equal(plugin.ours.protocolVersion, 2);
    assert.equal(plugin.ours.pid, plugin.child.pid);
    const [address, go] = Object.entries(plugin.tf)[0]!;
    assert.equal(address, 'registry.terraform.io/example/test-plugin');
    assert.deepEqual(go, { Protocol: 'grpc', ProtocolVersion: 2, Pid: plugin.child.pid, Test: true, Addr: { Network: 'unix', String: plugin.ours.address } });
  });

  it('the newest go-plugin host (v1.8.0) reattaches with the Go form, calls it, and its Kill leaves it running', async () => {
    const go = Object.values(plugin.tf)[0]!;
    const attached: GoResult = await runGo(peers.modernHost, ['-scenario', 'reattach', '-reattach', JSON.stringify(go)]);
    const step = (name: string) => attached.lines.find((l) => l.step === name);
    assert.equal(step('double')?.value, 42, attached.stdout + attached.stderr);
    assert.deepEqual([step('kill')?.ok, step('kill')?.exited], [true, false]);
    assert.equal(isRunning(plugin.child.pid!), true);
  });

  it('our host reattaches with the JSON form, calls it, and kill() leaves it running', async () => {
    const client = await startPlugin({ ...COOKIE, versions: [2], reattach: plugin.ours as never });
    const test = client.client(Test) as unknown as TestClient;
    assert.deepEqual(await test.Double({ Input: 5 }), { Output: 10 });
    await client.kill();
    assert.equal(isRunning(plugin.child.pid!), true);
  });

  it('serves reflection: grpcurl lists and describes its services and calls health over the unix socket', async () => {
    const { stdout } = await run(grpcurl(), ['-plaintext', `unix://${plugin.ours.address}`, 'list'], { timeout: 60_000 });
    assert.deepEqual(stdout.trim().split('\n'), [
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'grpctest.Test',
      'plugin.GRPCBroker',
      'plugin.GRPCController',
      'plugin.GRPCStdio',
    ]);
    // go-plugin's internal services are described too, from the .proto files the package ships.
    const described = await run(grpcurl(), ['-plaintext', `unix://${plugin.ours.address}`, 'describe', 'plugin.GRPCBroker'], { timeout: 60_000 });
    assert.match(described.stdout, /rpc StartStream \( stream \.plugin\.ConnInfo \) returns \( stream \.plugin\.ConnInfo \);/);
    const health = await run(grpcurl(), ['-plaintext', '-d', '{"service":"plugin"}', `unix://${plugin.ours.address}`, 'grpc.health.v1.Health/Check'], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(health.stdout), { status: 'SERVING' });
  });

  it('leaves stdout to the terminal: what the plugin prints arrives on its real stdout', async () => {
    const client = await startPlugin({ ...COOKIE, versions: [2], reattach: plugin.ours as never });
    try {
      const test = client.client(Test) as unknown as TestClient;
      await test.PrintStdio({ stdout: Buffer.from('printed while debugging\n') });
      const deadline = Date.now() + 5000;
      while (!plugin.stdout().includes('printed while debugging\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(plugin.stdout().includes('printed while debugging\n'));
    } finally {
      await client.kill();
    }
  });

  it('stops on Ctrl-C (SIGINT) with exit code 0', async () => {
    plugin.child.kill('SIGINT');
    const code = await Promise.race([plugin.exited, new Promise((r) => setTimeout(r, 10_000, 'still running'))]);
    assert.equal(code, 0);
  });
});
