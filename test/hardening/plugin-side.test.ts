// The plugin side: broker streams that stay quiet in the host's log, a close() that gives stdout back,
// and an async shutdown hook that serve awaits before exiting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, parseProto, serviceOf, startPlugin } from '../../src/index.js';
import { collectingLogger, descendants, fixture } from './helpers.js';

const Side = serviceOf(
  parseProto('syntax = "proto3"; package side; message Num { int32 n = 1; } service Side { rpc Accept(Num) returns (Num); }'),
  'side.Side',
);
const COOKIE = { magicCookieKey: 'HARDENING_COOKIE', magicCookieValue: 'yes' } as const;

describe('plugin side', () => {
  it('20 acceptAndServe calls print no MaxListenersExceededWarning, and onShutdown runs before the exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hardening-'));
    const mark = join(dir, 'shutdown-mark');
    const { logger, entries } = collectingLogger();
    const stderr: Uint8Array[] = [];
    const plugin = await startPlugin({
      command: process.execPath,
      args: ['--import', 'tsx', fixture('plugin-side.ts')],
      ...COOKIE,
      versions: [1],
      env: { HARDENING_MARK: mark },
      logger,
      onStderr: (d) => void stderr.push(d),
    });
    try {
      const side = createClient(Side, plugin.channel);
      assert.equal((await side.Accept({ n: 20 }, { timeoutMs: 20_000 })).n, 20);
      // Each announced listener reaches the host's broker and can be dialled.
      const last = await plugin.broker.dial(20, { timeoutMs: 5000 });
      assert.equal((await createClient(Side, last).Accept({}, { timeoutMs: 5000 })).n, 19);
    } finally {
      await plugin.kill();
      rmSync(dir, { recursive: true, force: true });
    }
    const text = Buffer.concat(stderr).toString() + entries.map((e) => e.message).join('\n');
    assert.doesNotMatch(text, /MaxListenersExceeded/);
    assert.deepEqual(await plugin.exited, { code: 0, signal: null });
    assert.deepEqual(descendants(process.pid), []);
  });

  it('onShutdown is awaited, and closed handlers run, before the exit (the Shutdown RPC)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hardening-'));
    const mark = join(dir, 'shutdown-mark');
    try {
      const plugin = await startPlugin({ command: process.execPath, args: ['--import', 'tsx', fixture('plugin-side.ts')], ...COOKIE, versions: [1], env: { HARDENING_MARK: mark } });
      await plugin.kill();
      assert.deepEqual(await plugin.exited, { code: 0, signal: null });
      assert.ok(existsSync(mark), 'the onShutdown hook did not finish before the plugin exited');
      assert.equal(readFileSync(mark, 'utf8'), 'shutdown requested by the host');
      assert.equal(readFileSync(`${mark}.closed`, 'utf8'), 'closed', 'a closed.then handler did not run before the exit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() without exiting gives stdout and console back to the program', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture('plugin-side.ts')], {
      env: { ...process.env, HARDENING_COOKIE: 'yes', PLUGIN_PROTOCOL_VERSIONS: '1', HARDENING_MODE: 'close-restores' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0]!, /^1\|1\|unix\|/);
    assert.deepEqual(lines.slice(1), ['console.log after close', 'stdout.write after close']);
    assert.equal(code, 0);
  });
});
