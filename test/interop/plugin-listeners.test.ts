// Where the plugin listens: PLUGIN_UNIX_SOCKET_GROUP (chown + 0660), TCP on 127.0.0.1 within
// PLUGIN_MIN_PORT..PLUGIN_MAX_PORT under the newest Go host, and a socket path that is too long.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goPeers, runGo, type GoPeers } from '../helpers/go-peers.js';
import { startPlugin } from '../../src/index.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/ts-plugin/launch.sh', import.meta.url));
const cookie = { magicCookieKey: 'TEST_PLUGIN_MAGIC_COOKIE', magicCookieValue: 'test' };
let peers: GoPeers;
before(async () => {
  peers = await goPeers();
});

describe('plugin listeners', () => {
  it('chowns its socket to PLUGIN_UNIX_SOCKET_GROUP and makes it 0660', async () => {
    const gid = process.getgid!();
    const plugin = await startPlugin({ command: PLUGIN, ...cookie, versions: [2], env: { PLUGIN_UNIX_SOCKET_GROUP: String(gid) } });
    try {
      const path = plugin.reattachConfig.address;
      const st = statSync(path);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o660);
      assert.equal(st.gid, gid);
    } finally {
      await plugin.kill();
    }
  });

  it('refuses an unknown group with a clear start-up error', async () => {
    await assert.rejects(
      startPlugin({ command: PLUGIN, ...cookie, versions: [2], env: { PLUGIN_UNIX_SOCKET_GROUP: 'no-such-group-here' }, startTimeoutMs: 20_000 }),
      /unknown group "no-such-group-here"/,
    );
  });

  it('fails with one clear line when the socket path would be too long', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x'.repeat(60)));
    try {
      await assert.rejects(
        startPlugin({ command: PLUGIN, ...cookie, versions: [2], env: { PLUGIN_UNIX_SOCKET_DIR: join(dir, 'y'.repeat(40)) }, startTimeoutMs: 20_000 }),
        (err: Error) => /socket path .* is \d+ bytes long/.test(err.message) || /ENOENT|no such file/.test(err.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listens on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT when told to use TCP, for a Go host', async () => {
    const result = await runGo(peers.modernHost, ['-automtls', '-scenario', 'basic', '--', PLUGIN], {
      // The Go host sets the range itself (10000..25000 by default), whatever its own environment says.
      env: { TEST_PLUGIN_TCP: '1' },
    });
    const start = result.lines.find((l) => l.step === 'start');
    assert.equal(start?.ok, true, result.stdout + result.stderr.slice(-1500));
    assert.equal(start?.network, 'tcp');
    const port = Number(String(start?.address).split(':').pop());
    assert.match(String(start?.address), /^127\.0\.0\.1:\d+$/);
    assert.ok(port >= 10000 && port <= 25000, `port ${port}`);
    assert.equal(result.lines.find((l) => l.step === 'double')?.value, 42);
    assert.equal(result.lines.find((l) => l.step === 'kill')?.graceful, true);
  });
});
