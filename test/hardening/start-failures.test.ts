// Every way a plugin can fail the host's start: the host rejects with a PluginStartError and leaves
// nothing behind (no plugin process, no process of its group, no descriptor, no socket directory).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginStartError, startPlugin, type StartPluginOptions } from '../../src/index.js';
import { descendants, fdCount, fixture, isRunning, privateTmp, until } from './helpers.js';

const COOKIE = { magicCookieKey: 'HARDENING_COOKIE', magicCookieValue: 'yes' } as const;
const PLUGIN = fixture('misbehaving-plugin.ts');

async function startFailure(options: Partial<StartPluginOptions>): Promise<{ error: PluginStartError; tookMs: number }> {
  const fdsBefore = fdCount();
  const tmp = privateTmp();
  const procsBefore = new Set(descendants(process.pid).map((p) => p.pid));
  const began = Date.now();
  let error: unknown;
  try {
    const plugin = await startPlugin({ command: process.execPath, ...COOKIE, versions: [1], startTimeoutMs: 10_000, ...options, env: { TMPDIR: tmp.path, ...options.env } });
    await plugin.kill();
    error = new Error('the plugin started although it should not have');
  } catch (err) {
    error = err;
  }
  const tookMs = Date.now() - began;
  assert.ok(error instanceof PluginStartError, `expected a PluginStartError, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
  const grandchild = /grandchild (\d+)/.exec(error.stderr.join('\n'))?.[1];
  if (grandchild) assert.ok(await until(() => !isRunning(Number(grandchild)), 2000), `the plugin's child ${grandchild} outlived the failed start`);
  const left = descendants(process.pid).filter((p) => !procsBefore.has(p.pid));
  assert.deepEqual(left, [], `the failed start left processes: ${JSON.stringify(left)}`);
  assert.ok(await until(() => fdCount() <= fdsBefore, 2000), `descriptors: ${fdsBefore} before, ${fdCount()} after`);
  assert.deepEqual(tmp.entries(), [], 'a socket directory was left');
  tmp.remove();
  return { error, tookMs };
}

const step = (mode: string, extra: Partial<StartPluginOptions> = {}) => startFailure({ args: ['--import', 'tsx', PLUGIN, mode], ...extra });

describe('startPlugin: every failed step is a PluginStartError and leaves nothing running', () => {
  it('the executable does not exist', async () => {
    await startFailure({ command: '/nonexistent/plugin-binary' });
  });

  it('the executable cannot be executed (ENOEXEC)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hardening-'));
    try {
      const file = join(dir, 'not-a-program');
      writeFileSync(file, Buffer.from([0, 1, 2, 3, 0xff, 0xfe]));
      chmodSync(file, 0o755);
      await startFailure({ command: file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the checksum does not match', async () => {
    const { error } = await startFailure({ checksum: { algorithm: 'sha256', hex: '00'.repeat(32) } });
    assert.match(error.message, /checksums did not match/);
  });

  it('the plugin exits before its handshake', async () => {
    const { error } = await step('exit-early');
    assert.equal(error.exitCode, 3);
    assert.match(error.message, /giving up before the handshake/);
  });

  it('the plugin prints nothing within startTimeoutMs', async () => {
    const { error } = await step('silent', { startTimeoutMs: 1500 });
    assert.match(error.message, /timeout/);
  });

  it('the plugin closes its stdout and keeps running', async () => {
    const { error } = await step('close-stdout');
    assert.match(error.message, /closed its stdout/);
  });

  it('the handshake line is garbage', async () => {
    await step('garbage-line', { autoMTLS: false });
  });

  it('the handshake names a version the host did not offer', async () => {
    const { error } = await step('wrong-version', { autoMTLS: false });
    assert.match(error.message, /version/);
  });

  it('field 6 is a DER SEQUENCE but no X.509 certificate', async () => {
    const { error } = await step('cert-not-x509');
    assert.match(error.message, /certificate/);
    assert.doesNotMatch(error.message, /PEM routines/);
  });

  it('field 6 is not base64', async () => {
    const { error } = await step('cert-not-base64');
    assert.match(error.message, /base64/);
    assert.doesNotMatch(error.message, /sent no server certificate/);
  });

  it('nothing listens at the announced address', async () => {
    const { error } = await step('nothing-listening');
    assert.match(error.message, /cannot connect/);
  });

  it('the announced address answers HTTP/1', async () => {
    await step('http1-listener', { autoMTLS: false });
  });

  it('the plugin serves TLS with another certificate than it announced (impostor)', async () => {
    const { error } = await step('impostor-cert');
    assert.match(error.message, /cannot connect/);
  });

  it('startTimeoutMs bounds the connect too: a listener that never speaks HTTP/2', async (t) => {
    const { error, tookMs } = await step('mute-listener', { startTimeoutMs: 2000, autoMTLS: false });
    t.diagnostic(`the start failed after ${tookMs} ms`);
    assert.match(error.message, /cannot connect|timeout/);
    // The channel's own connect timeout is 20 s; the start must end near the 2 s asked for.
    assert.ok(tookMs < 8000, `the start took ${tookMs} ms with startTimeoutMs 2000`);
  });
});

describe('startPlugin: the plugin port range comes from the host configuration, not the host process env', () => {
  it('options.env PLUGIN_MIN_PORT/PLUGIN_MAX_PORT win over process.env', async () => {
    const saved = [process.env.PLUGIN_MIN_PORT, process.env.PLUGIN_MAX_PORT];
    process.env.PLUGIN_MIN_PORT = '30000';
    process.env.PLUGIN_MAX_PORT = '30001';
    try {
      const { error } = await step('print-env', { env: { PLUGIN_MIN_PORT: '40000', PLUGIN_MAX_PORT: '40100' } });
      assert.match(error.message, /ports 40000-40100/);
      const ranged = await step('print-env', { portRange: { min: 41000, max: 41010 } });
      assert.match(ranged.error.message, /ports 41000-41010/);
    } finally {
      if (saved[0] === undefined) delete process.env.PLUGIN_MIN_PORT;
      else process.env.PLUGIN_MIN_PORT = saved[0];
      if (saved[1] === undefined) delete process.env.PLUGIN_MAX_PORT;
      else process.env.PLUGIN_MAX_PORT = saved[1];
    }
  });
});
