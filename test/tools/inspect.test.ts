// `go-plugin-ts inspect`, run as a user runs it (the CLI in a child process), against a good TS
// plugin (the KV example), the newest go-plugin's Go test plugin, a debug-mode plugin by reattach, and
// broken plugins, each of whose diagnoses is asserted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goPeers } from '../helpers/go-peers.js';
import type { InspectReport } from '../../src/cli/inspect.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');
const FIXTURES = join(ROOT, 'test/tools/fixtures/plugins');
const KV_PLUGIN = ['node', '--import', 'tsx', join(ROOT, 'examples/kv/plugin.ts')];
const KV_COOKIE = ['--cookie', 'KV_PLUGIN=hello-kv'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

async function inspect(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: InspectReport }> {
  const run = await cli(['inspect', '--json', ...args], env);
  try {
    return { code: run.code, report: JSON.parse(run.stdout) as InspectReport };
  } catch {
    throw new Error(`inspect printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

const ids = (report: InspectReport) => report.diagnoses.map((d) => d.id);

describe('inspect: a good TS plugin (the KV example)', () => {
  let kv: { code: number | null; report: InspectReport };
  before(async () => {
    kv = await inspect([...KV_COOKIE, ...KV_PLUGIN]);
  });

  it('exits 0 with no diagnosis', () => {
    assert.equal(kv.code, 0, JSON.stringify(kv.report.diagnoses));
    assert.deepEqual(kv.report.diagnoses, []);
    assert.equal(kv.report.ok, true);
  });

  it('explains each handshake field and what was negotiated', () => {
    const fields = kv.report.handshake!.fields;
    assert.deepEqual(fields.map((f) => f.name), ['core protocol version', 'app protocol version', 'network', 'address', 'protocol', 'server certificate']);
    assert.deepEqual(fields.slice(0, 3).map((f) => f.value), ['1', '1', 'unix']);
    assert.equal(fields[3]!.value, kv.report.address);
    assert.match(fields[5]!.meaning, /AutoMTLS certificate, base64 DER/);
    assert.equal(kv.report.negotiatedVersion, 1);
    assert.equal(kv.report.connection!.tls, true);
    assert.equal(kv.report.connection!.protocol, 'TLSv1.3');
    assert.match(kv.report.certificate!.subject, /CN=localhost/);
    assert.match(kv.report.certificate!.key, /^ec secp521r1$/);
  });

  it('times the phases in their order', () => {
    const t = kv.report.timings;
    const order = [t.spawned, t.firstLine, t.connected, t.healthy, t.services, t.stopped];
    assert.ok(order.every((v) => typeof v === 'number'), JSON.stringify(t));
    assert.deepEqual([...order].sort((a, b) => a! - b!), order);
  });

  it('reports health, services through reflection, logs at their level and stdio', () => {
    assert.deepEqual(kv.report.health, { ok: true, status: 'SERVING' });
    assert.equal(kv.report.services!.source, 'reflection');
    const service = kv.report.services!.list.find((s) => s.name === 'kv.KV')!;
    assert.deepEqual(service.methods!.map((m) => [m.name, m.requestType, m.responseType, m.serverStream]), [
      ['Get', 'kv.GetRequest', 'kv.GetResponse', false],
      ['Put', 'kv.PutRequest', 'kv.PutResponse', false],
      ['List', 'kv.ListRequest', 'kv.Entry', true],
    ]);
    const serving = kv.report.logs.find((l) => l.message === 'plugin serving')!;
    assert.equal(serving.level, 'debug');
    assert.equal(serving.fields.autoMTLS, true);
    assert.match(kv.report.stdout, /^kv plugin serving protocol 1 on unix \S+\n$/);
  });

  it('stops it as a host does: Shutdown, and it exits 0 without the kill ladder', () => {
    assert.deepEqual({ ...kv.report.stop, ms: 0 }, { ms: 0, graceful: true, code: 0, signal: null, reattached: false });
  });

  it('prints the same as text, ending with the verdict', async () => {
    const run = await cli(['inspect', ...KV_COOKIE, ...KV_PLUGIN]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^handshake {3}1\|1\|unix\|/m);
    assert.match(run.stdout, /^ {4}List\(kv\.ListRequest\) returns \(stream kv\.Entry\)$/m);
    assert.match(run.stdout, /^stop {8}Shutdown → exited with code 0 in \d+ ms$/m);
    assert.match(run.stdout, /^verdict {5}OK: a go-plugin host can launch, use and stop this plugin\n$/m);
  });

  it('with --no-mtls connects in plaintext and the plugin sends no certificate', async () => {
    const { code, report } = await inspect([...KV_COOKIE, '--no-mtls', ...KV_PLUGIN]);
    assert.equal(code, 0, JSON.stringify(report.diagnoses));
    assert.equal(report.connection!.tls, false);
    assert.equal(report.certificate, undefined);
  });
});

describe('inspect: the KV plugin on Bun and Deno', () => {
  const runtimes: Array<[string, string[]]> = [
    ['Bun', [join(ROOT, 'node_modules/.bin/bun'), join(ROOT, 'examples/kv/plugin.ts')]],
    ['Deno', [join(ROOT, 'node_modules/.bin/deno'), 'run', '--allow-all', '--sloppy-imports', join(ROOT, 'examples/kv/plugin.ts')]],
  ];
  for (const [name, command] of runtimes) {
    it(`${name}: handshake, mutual TLS, every service described through reflection, graceful stop`, async () => {
      const { code, report } = await inspect([...KV_COOKIE, ...command]);
      assert.equal(code, 0, JSON.stringify(report.diagnoses));
      assert.equal(report.connection!.tls, true);
      assert.ok(report.services!.list.every((s) => s.methods !== undefined), JSON.stringify(report.services));
      assert.ok(report.services!.list.some((s) => s.name === 'plugin.GRPCBroker'));
      assert.equal(report.stop!.graceful, true);
    });
  }
});

describe('inspect: a Go plugin (hashicorp/go-plugin v1.8.0)', () => {
  it('launches it, reads its services through its own reflection, and stops it', async () => {
    const peers = await goPeers();
    const { code, report } = await inspect(['--cookie', 'TEST_PLUGIN_MAGIC_COOKIE=test', '--versions', '1,2', peers.modernPlugin]);
    assert.equal(code, 0, JSON.stringify(report.diagnoses));
    assert.equal(report.negotiatedVersion, 2);
    assert.equal(report.connection!.tls, true);
    assert.equal(report.services!.source, 'reflection');
    const test = report.services!.list.find((s) => s.name === 'grpctest.Test')!;
    assert.deepEqual(test.methods!.find((m) => m.name === 'Stream'), {
      name: 'Stream',
      path: '/grpctest.Test/Stream',
      requestType: 'grpctest.TestRequest',
      responseType: 'grpctest.TestResponse',
      clientStream: true,
      serverStream: true,
    });
    assert.ok(report.logs.some((l) => l.message === 'plugin address' && l.fields['@module'] === 'testplugin'));
    assert.equal(report.stop!.graceful, true);
  });

  it('lists services from --proto when a plugin serves no reflection (a TS plugin without it)', async () => {
    const { report } = await inspect(['--cookie', 'TEST_PLUGIN_MAGIC_COOKIE=test', '--proto', join(ROOT, 'test/fixtures/goplugin/test.proto'), join(ROOT, 'test/fixtures/ts-plugin/launch.sh')]);
    assert.equal(report.services!.source, 'proto');
    assert.ok(report.services!.list.some((s) => s.name === 'grpctest.Test' && s.methods!.some((m) => m.name === 'Double')));
  });
});

describe('inspect: a debug-mode plugin, by --reattach', () => {
  it('connects without launching, and leaves the plugin running', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'examples/kv/plugin.ts')], { env: { ...process.env, GO_PLUGIN_DEBUG: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const deadline = Date.now() + 20_000;
      const goLine = /^ {2}(\{"Protocol":.*\})$/m;
      while (!goLine.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const goForm = goLine.exec(out)![1]!;
      const { code, report } = await inspect(['--reattach', goForm]);
      assert.equal(code, 0, JSON.stringify(report.diagnoses));
      assert.equal(report.host.reattach, true);
      assert.equal(report.pid, child.pid);
      assert.equal(report.stop!.reattached, true);
      assert.ok(report.services!.list.some((s) => s.name === 'kv.KV'));
      assert.equal(child.exitCode, null, 'the plugin still runs');
    } finally {
      child.kill('SIGINT');
    }
  });
});

describe('inspect: broken plugins, each diagnosed with what to do', () => {
  const cases: Array<{ name: string; args: string[]; env?: Record<string, string>; id: string; problem: RegExp; fix: RegExp }> = [
    {
      name: 'stray stdout before the handshake (a wrapper that echoes)',
      args: [...KV_COOKIE, join(FIXTURES, 'stray-stdout.sh')],
      id: 'stray-stdout',
      problem: /wrote "starting the kv plugin\.\.\." to stdout before its handshake line/,
      fix: /drop the echo from the wrapper script/,
    },
    {
      name: 'a wrong cookie',
      args: ['--cookie', 'KV_PLUGIN=wrong', ...KV_PLUGIN],
      id: 'wrong-cookie',
      problem: /refused the magic cookie/,
      fix: /--cookie KEY=VALUE/,
    },
    {
      name: "a known host's cookie the plugin was not built for (--host terraform)",
      args: ['--host', 'terraform', ...KV_PLUGIN],
      id: 'wrong-cookie',
      problem: /another key or value than TF_PLUGIN_MAGIC_COOKIE/,
      fix: /--host NAME/,
    },
    {
      name: 'a 5-field line from an old library under AutoMTLS',
      args: [...KV_COOKIE, join(FIXTURES, 'five-field.sh')],
      id: 'old-handshake',
      problem: /5-field handshake line with no certificate/,
      fix: /--no-mtls/,
    },
    {
      name: 'a socket path too long',
      args: [...KV_COOKIE, ...KV_PLUGIN],
      env: { PLUGIN_UNIX_SOCKET_DIR: `/tmp/${'x'.repeat(110)}` },
      id: 'socket-path-too-long',
      problem: /longer than the OS allows/,
      fix: /PLUGIN_UNIX_SOCKET_DIR to a short directory/,
    },
    {
      name: 'a plugin that never exits after Shutdown',
      args: [...KV_COOKIE, 'node', '--import', 'tsx', join(FIXTURES, 'no-exit.ts')],
      id: 'no-exit-after-shutdown',
      problem: /did not exit within 2 s of the host's Shutdown call .* SIGKILL/,
      fix: /await plugin\.closed/,
    },
    {
      name: 'a plugin that exits early',
      args: [...KV_COOKIE, 'node', '--import', 'tsx', join(FIXTURES, 'exit-early.ts')],
      id: 'exited-early',
      problem: /exited with code 3 before printing a handshake line/,
      fix: /GO_PLUGIN_DEBUG=1/,
    },
    {
      name: 'a bad version',
      args: [...KV_COOKIE, '--versions', '7', ...KV_PLUGIN],
      id: 'bad-version',
      problem: /answered app protocol version 1, but the host offered 7/,
      fix: /--versions 1/,
    },
    {
      name: 'a plugin that never prints a handshake',
      args: [...KV_COOKIE, '--timeout', '1500', 'node', '--import', 'tsx', join(FIXTURES, 'silent.ts')],
      id: 'no-handshake',
      problem: /no handshake line within 1500 ms/,
      fix: /--timeout/,
    },
  ];

  before(() => mkdirSync(`/tmp/${'x'.repeat(110)}`, { recursive: true }));
  after(() => rmSync(`/tmp/${'x'.repeat(110)}`, { recursive: true, force: true }));

  for (const c of cases) {
    it(c.name, async () => {
      const { code, report } = await inspect(c.args, c.env);
      assert.equal(code, 1);
      assert.equal(report.ok, false);
      assert.deepEqual(ids(report), [c.id], JSON.stringify(report, null, 2));
      assert.match(report.diagnoses[0]!.problem, c.problem);
      assert.match(report.diagnoses[0]!.fix, c.fix);
    });
  }

  it('the exited-early case shows the plugin\'s stderr', async () => {
    const { report } = await inspect([...KV_COOKIE, 'node', '--import', 'tsx', join(FIXTURES, 'exit-early.ts')]);
    assert.ok(report.logs.some((l) => l.message === 'error: cannot read /etc/kv-plugin/config.hcl: no such file or directory'));
  });
});

describe('inspect: usage', () => {
  it('asks for a cookie, and for a command, with exit code 2', async () => {
    const noCookie = await cli(['inspect', ...KV_PLUGIN]);
    assert.equal(noCookie.code, 2);
    assert.match(noCookie.stderr, /give the magic cookie the plugin expects: --cookie KEY=VALUE, or --host NAME/);
    const noCommand = await cli(['inspect', ...KV_COOKIE]);
    assert.equal(noCommand.code, 2);
    assert.match(noCommand.stderr, /give the plugin command to launch/);
    const badHost = await cli(['inspect', '--host', 'nope', ...KV_PLUGIN]);
    assert.match(badHost.stderr, /unknown --host "nope"; known hosts: terraform, vault/);
  });
});
