// The seed library's API (createGOPluginServer → { start, server, close, console }, MagicCookieError)
// still works, under the newest go-plugin host and go-plugin 1.0.1.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { goPeers, runGo, type GoPeers } from '../helpers/go-peers.js';
import { createGOPluginServer, MagicCookieError } from '../../src/index.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/ts-plugin/launch.sh', import.meta.url));
const env = { TEST_PLUGIN_SCRIPT: 'seed-plugin.ts' };
let peers: GoPeers;
before(async () => {
  peers = await goPeers();
});

describe('the seed API: createGOPluginServer', () => {
  it('throws MagicCookieError at once when the cookie is missing or different', () => {
    const options = { pluginVersion: '5', magicCookieKey: 'SEED_TEST_COOKIE', magicCookieValue: 'expected', env: { SEED_TEST_COOKIE: 'other' } };
    assert.throws(() => createGOPluginServer(options), (err: unknown) => err instanceof MagicCookieError && /launched by its host/.test(err.message));
    assert.throws(() => createGOPluginServer({ ...options, env: {} }), MagicCookieError);
  });

  it('rejects a pluginVersion that is not an integer', () => {
    assert.throws(() => createGOPluginServer({ pluginVersion: 'five', magicCookieKey: 'K', magicCookieValue: 'v', env: { K: 'v' } }), /pluginVersion must be a non-negative integer/);
  });

  for (const kind of ['modern', 'legacy'] as const) {
    it(`serves a ${kind === 'modern' ? 'newest' : '1.0.1'} go-plugin host under AutoMTLS and exits gracefully on Kill`, async () => {
      const host = kind === 'modern' ? peers.modernHost : peers.legacyHost;
      const result = await runGo(host, ['-automtls', '-versions', '2', '-scenario', 'basic', '--', PLUGIN], { env });
      const step = (name: string) => result.lines.find((l) => l.step === name);
      assert.equal(step('start')?.ok, true, result.stdout + result.stderr.slice(-1500));
      assert.equal(step('start')?.version, 2);
      assert.equal(step('double')?.value, 42);
      assert.deepEqual(step('stream')?.values, [2, 4, 6, 8, 10]);
      assert.equal(step('kill')?.graceful, true);
      assert.equal(result.code, 0);
    });
  }

  it("routes the plugin's console to the host's stdio stream", async () => {
    const result = await runGo(peers.modernHost, ['-scenario', 'stdio', '--', PLUGIN], { env });
    const sync = result.lines.find((l) => l.step === 'sync');
    assert.equal(sync?.stdout, 'hello stdout\n', result.stdout);
    assert.equal(sync?.stderr, 'hello stderr\n');
  });

  it('prints the MagicCookieError when run by hand', () => {
    const run = spawnSync(PLUGIN, [], { encoding: 'utf8', env: { ...process.env, ...env, TEST_PLUGIN_MAGIC_COOKIE: '' }, timeout: 30_000 });
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^MagicCookieError: This program is a go-plugin plugin/);
  });
});
