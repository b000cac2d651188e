// `go-plugin-ts call`, run as a user runs it: every call kind against a TS plugin serving reflection,
// a Go plugin (hashicorp/go-plugin v1.8.0) through its reflection, a plugin without reflection through
// --proto, and a debug-mode plugin by --reattach; errors come back as gRPC statuses or usage errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goPeers } from '../helpers/go-peers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');
const CATALOG = ['--cookie', 'CATALOG_PLUGIN=shop', 'node', '--import', 'tsx', join(ROOT, 'test/tools/fixtures/plugins/catalog.ts')];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's JSON lines */
  messages: unknown[];
}

function call(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'call', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const messages = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      resolve({ code, stdout, stderr, messages });
    });
    child.stdin.end(stdin ?? '');
  });
}

describe('call: every call kind against a TS plugin, types from its reflection', () => {
  it('unary: prints the response as one JSON line (int64 as a string, maps as objects)', async () => {
    const run = await call([...CATALOG, 'shop.v1.Catalog/GetItem', '{"itemId":"x"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.messages, [{ itemId: 'x', price: { currency: 'EUR', units: '12' }, labels: { color: 'red' }, count: 3 }]);
  });

  it("sends -H 'key: value' as request metadata", async () => {
    const run = await call(['-H', 'X-Tenant: acme', ...CATALOG, 'shop.v1.Catalog/GetItem', '{"itemId":"x"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((run.messages[0] as { labels: unknown }).labels, { color: 'red', tenant: 'acme' });
  });

  it('server stream: one line per message; the package may be left out', async () => {
    const run = await call([...CATALOG, 'Catalog/ListItems']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.messages, [{ itemId: 'a' }, { itemId: 'b' }, { itemId: 'c' }]);
  });

  it("client stream: NDJSON requests from stdin; the plugin's own output goes to stderr", async () => {
    const run = await call([...CATALOG, 'shop.v1.Catalog/AddItems'], '{"itemId":"a"}\n{"itemId":"b"}\n\n{"itemId":"c"}\n');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.messages, [{}]);
    assert.match(run.stderr, /added 3 items/);
  });

  it('bidi stream: NDJSON requests from the argument, or a JSON array', async () => {
    const run = await call([...CATALOG, 'shop.v1.Catalog/Sync', '{"itemId":"a"}\n{"itemId":"b","count":2}']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.messages, [{ itemId: 'a-synced' }, { itemId: 'b-synced', count: 2 }]);
    const array = await call([...CATALOG, 'shop.v1.Catalog/Sync', '[{"itemId":"z"}]']);
    assert.deepEqual(array.messages, [{ itemId: 'z-synced' }]);
  });

  it("passes the plugin's status through: exit 1 and the code on stderr", async () => {
    const run = await call([...CATALOG, 'shop.v1.Catalog/GetItem', '{"itemId":"missing"}']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^ERROR: NOT_FOUND \(code 5\): no item missing$/m);
  });

  it('refuses a field the request type lacks, a method the plugin lacks, and bad JSON, with exit 2', async () => {
    const field = await call([...CATALOG, 'shop.v1.Catalog/GetItem', '{"item":"x"}']);
    assert.equal(field.code, 2);
    assert.match(field.stderr, /shop\.v1\.GetItemRequest has no field "item"; its fields: itemId/);
    const method = await call([...CATALOG, 'shop.v1.Catalog/Nope']);
    assert.equal(method.code, 2);
    assert.match(method.stderr, /no method "shop\.v1\.Catalog\/Nope" .*methods: .*shop\.v1\.Catalog\/GetItem/);
    const json = await call([...CATALOG, 'shop.v1.Catalog/GetItem', '{itemId']);
    assert.equal(json.code, 2);
    assert.match(json.stderr, /the request is not JSON/);
  });
});

describe('call: a Go plugin (hashicorp/go-plugin v1.8.0), through its reflection', () => {
  let plugin: string;
  before(async () => {
    plugin = (await goPeers()).modernPlugin;
  });
  const cookie = ['--cookie', 'TEST_PLUGIN_MAGIC_COOKIE=test', '--versions', '1,2'];

  it('unary Double', async () => {
    const run = await call([...cookie, plugin, 'grpctest.Test/Double', '{"Input":21}']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.messages, [{ Output: 42 }]);
  });

  it('bidi Stream from stdin', async () => {
    const run = await call([...cookie, plugin, 'grpctest.Test/Stream', '-'], '{"Input":1}\n{"Input":2}\n{"Input":3}\n');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.messages, [{ Output: 2 }, { Output: 4 }, { Output: 6 }]);
  });
});

describe('call: a plugin without reflection, through --proto', () => {
  const launcher = join(ROOT, 'test/fixtures/ts-plugin/launch.sh');
  const proto = join(ROOT, 'test/fixtures/goplugin/test.proto');

  it('takes the types from the .proto file', async () => {
    const run = await call(['--cookie', 'TEST_PLUGIN_MAGIC_COOKIE=test', '--proto', proto, launcher, 'grpctest.Test/Double', '{"Input":5}']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.messages, [{ Output: 10 }]);
  });

  it('says to pass --proto when there is none', async () => {
    const run = await call(['--cookie', 'TEST_PLUGIN_MAGIC_COOKIE=test', launcher, 'grpctest.Test/Double', '{"Input":5}']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /the plugin serves no reflection; give its \.proto with --proto FILE/);
  });
});

describe('call: a debug-mode plugin, by --reattach', () => {
  let child: ChildProcess;
  let reattach: string;
  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'examples/kv/plugin.ts')], { env: { ...process.env, GO_PLUGIN_DEBUG: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const deadline = Date.now() + 20_000;
    while (!/reattach: <this JSON> \}\)\n {2}\{.*\}\n/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    reattach = /reattach: <this JSON> \}\)\n {2}(\{.*\})\n/.exec(out)![1]!;
  });
  after(() => child.kill('SIGINT'));

  it('keeps state across calls, since each call reattaches to the same process', async () => {
    const put = await call(['--reattach', reattach, 'kv.KV/Put', `{"key":"k","value":"${Buffer.from('hi').toString('base64')}"}`]);
    assert.equal(put.code, 0, put.stderr);
    const get = await call(['--reattach', reattach, 'kv.KV/Get', '{"key":"k"}']);
    assert.deepEqual(get.messages, [{ value: Buffer.from('hi').toString('base64'), found: true }]);
    const list = await call(['--reattach', reattach, 'kv.KV/List']);
    assert.deepEqual(list.messages, [{ key: 'k', value: 'aGk=' }]);
    assert.equal(child.exitCode, null);
  });
});

describe('call: usage', () => {
  it('asks for Service/Method', async () => {
    const run = await call(['--cookie', 'A=b', 'node']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /give the method to call as Service\/Method after the plugin command, got "node"/);
  });
});
