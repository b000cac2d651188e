// kill() of a plugin that ignores Shutdown: SIGKILL once 2 s have passed since kill() began (go-plugin's
// Kill), and nothing of the plugin left.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPlugin } from '../../src/index.js';
import { descendants, fixture, isRunning } from './helpers.js';

describe('kill(): a plugin that never answers Shutdown', () => {
  it("is SIGKILLed within the documented 2 s budget (plus the exit), and leaves no process", async (t) => {
    const plugin = await startPlugin({
      command: process.execPath,
      args: ['--import', 'tsx', fixture('deaf-plugin.ts')],
      magicCookieKey: 'HARDENING_COOKIE',
      magicCookieValue: 'yes',
      versions: [1],
      autoMTLS: false,
    });
    await plugin.ping({ timeoutMs: 5000 });
    const began = Date.now();
    await plugin.kill();
    const took = Date.now() - began;
    t.diagnostic(`kill() took ${took} ms`);
    assert.equal(isRunning(plugin.pid), false);
    assert.deepEqual((await plugin.exited).signal, 'SIGKILL');
    assert.deepEqual(descendants(process.pid), []);
    // Documented: Shutdown and the exit share 2 s, then SIGKILL; about 2.5 s in all (before: 4 s).
    assert.ok(took < 3200, `kill() took ${took} ms`);
  });
});
