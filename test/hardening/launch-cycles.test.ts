// Launch and kill the TS test plugin over and over: nothing accumulates in the host (processes,
// descriptors, socket directories, memory).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createClient, startPlugin } from '../../src/index.js';
import { Test } from '../fixtures/host/harness.js';
import { descendants, fdCount, privateTmp, statusKiB, until } from './helpers.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/ts-plugin/launch.sh', import.meta.url));
const CYCLES = 8;

describe(`launch/kill cycles (${CYCLES}, AutoMTLS, the TS plugin through launch.sh)`, () => {
  it('leaves no process, descriptor or socket directory, and the host does not grow', async (t) => {
    const fds = fdCount();
    const tmp = privateTmp();
    t.after(() => tmp.remove());
    let rssAfterFirst = 0;
    for (let i = 0; i < CYCLES; i++) {
      const plugin = await startPlugin({ command: PLUGIN, magicCookieKey: 'TEST_PLUGIN_MAGIC_COOKIE', magicCookieValue: 'test', versions: [1, 2], env: { TMPDIR: tmp.path } });
      const test = createClient(Test, plugin.channel) as unknown as { Double(r: { Input: number }, o: object): Promise<{ Output?: number }> };
      assert.equal((await test.Double({ Input: i }, { timeoutMs: 10_000 })).Output ?? 0, i * 2);
      await plugin.kill();
      assert.deepEqual(await plugin.exited, { code: 0, signal: null }, `cycle ${i}`);
      if (i === 0) rssAfterFirst = statusKiB('VmRSS');
    }
    const grewMiB = (statusKiB('VmRSS') - rssAfterFirst) / 1024;
    t.diagnostic(`host RSS after cycle 1 → ${CYCLES}: ${grewMiB >= 0 ? '+' : ''}${grewMiB.toFixed(1)} MiB; descriptors ${fds} → ${fdCount()}`);
    assert.deepEqual(descendants(process.pid), [], 'plugin processes outlived kill()');
    assert.ok(await until(() => fdCount() <= fds, 3000), `descriptors: ${fds} before, ${fdCount()} after`);
    assert.deepEqual(tmp.entries(), [], 'the plugins left socket directories');
    assert.ok(grewMiB < 64, `the host grew by ${grewMiB.toFixed(1)} MiB over ${CYCLES - 1} cycles`);
  });
});
