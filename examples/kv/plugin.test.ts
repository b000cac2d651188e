// The KV plugin's own tests: its handlers served in this process by testPlugin, called through the
// same PluginClient a host gets from startPlugin. Run: node --import tsx --test examples/kv/plugin.test.ts
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcError, Status, testPlugin, type TestPluginClient } from '../../src/index.js';
import { KV, KV_VERSION } from './handshake.js';
import { kvVersions } from './kv-plugin.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('KV plugin', () => {
  let plugin: TestPluginClient;
  beforeEach(async () => {
    plugin = await testPlugin({ versions: kvVersions() });
  });
  afterEach(() => plugin.kill());

  it('serves its protocol version and answers the health check', async () => {
    assert.equal(plugin.negotiatedVersion, KV_VERSION);
    await plugin.ping();
  });

  it('gets what was put, and reports a missing key as not found', async () => {
    const kv = plugin.client(KV);
    await kv.put({ key: 'greeting', value: bytes('hello') });
    const got = await kv.get({ key: 'greeting' });
    assert.deepEqual([text(got.value), got.found], ['hello', true]);
    const missing = await kv.get({ key: 'nope' });
    assert.deepEqual([missing.value.length, missing.found], [0, false]);
  });

  it('lists every entry as a server stream', async () => {
    const kv = plugin.client(KV);
    await kv.put({ key: 'a', value: bytes('1') });
    await kv.put({ key: 'b', value: bytes('2') });
    const entries: string[] = [];
    for await (const entry of kv.list({})) entries.push(`${entry.key}=${text(entry.value)}`);
    assert.deepEqual(entries, ['a=1', 'b=2']);
  });

  it('logs puts at info and gets at debug, with their fields', async () => {
    const kv = plugin.client(KV);
    await kv.put({ key: 'k', value: bytes('vvv') });
    await kv.get({ key: 'k' });
    const mine = plugin.logs.filter((e) => e.message === 'put' || e.message === 'get');
    assert.deepEqual(mine, [
      { level: 'info', message: 'put', fields: { key: 'k', bytes: 3 } },
      { level: 'debug', message: 'get', fields: { key: 'k', found: true } },
    ]);
  });

  it('starts each test with an empty store', async () => {
    const got = await plugin.client(KV).get({ key: 'greeting' });
    assert.equal(got.found, false);
  });

  it('answers a call after kill() with UNAVAILABLE, and stops serving', async () => {
    const kv = plugin.client(KV);
    await plugin.kill();
    await plugin.exited;
    await assert.rejects(kv.get({ key: 'x' }, { timeoutMs: 2000 }), (err: unknown) => err instanceof GrpcError && (err.code === Status.UNAVAILABLE || err.code === Status.CANCELLED));
  });
});
