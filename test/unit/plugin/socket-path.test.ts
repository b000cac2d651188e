import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  MAX_UNIX_PATH_BYTES,
  candidatePorts,
  checkSocketPath,
  makeSocketDir,
  maxUnixPathBytes,
  parsePortRange,
  resolveSocketGroup,
  socketDirectory,
  socketPathIn,
} from '../../../src/plugin/socket-path.js';

const scratch = mkdtempSync(join(tmpdir(), 'socket-path-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('unix socket path length (docs/protocol.md#socket-path-length)', () => {
  it('knows sun_path: 108 bytes on Linux, 104 on macOS and the BSDs', () => {
    assert.equal(MAX_UNIX_PATH_BYTES.linux, 108);
    for (const platform of ['darwin', 'freebsd', 'openbsd', 'netbsd']) assert.equal(maxUnixPathBytes(platform), 104);
    assert.equal(maxUnixPathBytes('plan9'), 104);
  });

  const pathOf = (bytes: number) => '/' + 'd'.repeat(bytes - 1);
  for (const [platform, longest] of [['linux', 107], ['darwin', 103]] as const) {
    it(`${platform}: accepts ${longest} bytes, refuses ${longest + 1} with the path, length, limit and fix`, () => {
      checkSocketPath(pathOf(longest), platform);
      const path = pathOf(longest + 1);
      assert.throws(
        () => checkSocketPath(path, platform),
        (err: Error) => {
          assert.ok(err.message.includes(path));
          assert.match(err.message, new RegExp(`is ${longest + 1} bytes long`));
          assert.match(err.message, new RegExp(`at most ${longest}`));
          assert.match(err.message, /set TMPDIR or PLUGIN_UNIX_SOCKET_DIR to a shorter directory/);
          return true;
        },
      );
    });
  }

  it('counts bytes, not characters', () => {
    const path = '/' + 'é'.repeat(53) + 'x'; // 108 bytes, 55 characters
    assert.throws(() => checkSocketPath(path, 'linux'), /is 108 bytes long/);
  });

  it('accepts the paths socketPathIn makes in a typical temp dir', () => {
    checkSocketPath(socketPathIn('/tmp'), 'darwin');
    checkSocketPath(socketPathIn('/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T'), 'darwin');
  });
});

describe('socket directory and name (docs/protocol.md#unix-sockets)', () => {
  it('uses PLUGIN_UNIX_SOCKET_DIR when set, else the OS temp dir', () => {
    assert.equal(socketDirectory({ PLUGIN_UNIX_SOCKET_DIR: '/run/plugins' }), '/run/plugins');
    assert.equal(socketDirectory({ PLUGIN_UNIX_SOCKET_DIR: '' }), tmpdir());
    assert.equal(socketDirectory({}), tmpdir());
  });

  it('names sockets <dir>/plugin<random digits>, differently each time', () => {
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const path = socketPathIn('/some/dir');
      assert.equal(dirname(path), '/some/dir');
      assert.match(basename(path), /^plugin[0-9]+$/);
      names.add(path);
    }
    assert.ok(names.size >= 19);
  });

  it('makes a fresh owner-only directory under PLUGIN_UNIX_SOCKET_DIR', () => {
    const env = { PLUGIN_UNIX_SOCKET_DIR: scratch };
    const first = makeSocketDir(env);
    const second = makeSocketDir(env);
    assert.notEqual(first, second);
    for (const dir of [first, second]) {
      assert.equal(dirname(dir), scratch);
      assert.match(basename(dir), /^plugin-dir.+/);
      const stat = statSync(dir);
      assert.ok(stat.isDirectory());
      if (process.platform !== 'win32') assert.equal(stat.mode & 0o777, 0o700);
    }
  });
});

describe('resolveSocketGroup: PLUGIN_UNIX_SOCKET_GROUP', () => {
  const groupFile = join(scratch, 'group');
  writeFileSync(groupFile, 'root:x:0:\nplugins:x:1234:alice,bob\nbroken:x:notanumber:\n# comment\nwheel:*:10:root\n');

  it('takes a numeric gid as is, like Go Atoi', () => {
    assert.equal(resolveSocketGroup('1000', groupFile), 1000);
    assert.equal(resolveSocketGroup('+7', groupFile), 7);
    assert.equal(resolveSocketGroup('0', groupFile), 0);
  });

  it('looks a name up in the group file', () => {
    assert.equal(resolveSocketGroup('plugins', groupFile), 1234);
    assert.equal(resolveSocketGroup('wheel', groupFile), 10);
  });

  it('names the group and the fix when it is unknown', () => {
    for (const name of ['nosuchgroup', 'broken', 'plugin']) {
      assert.throws(() => resolveSocketGroup(name, groupFile), new RegExp(`unknown group "${name}".*numeric gid`));
    }
  });

  it('refuses a negative gid, an empty value and an unreadable group file', () => {
    assert.throws(() => resolveSocketGroup('-1', groupFile), /not a valid group id/);
    assert.throws(() => resolveSocketGroup('', groupFile), /is empty/);
    assert.throws(() => resolveSocketGroup('plugins', join(scratch, 'missing')), /reading .*missing failed/);
  });
});

describe('parsePortRange: PLUGIN_MIN_PORT..PLUGIN_MAX_PORT', () => {
  const ok: Array<[Record<string, string>, number, number]> = [
    [{}, 0, 0],
    [{ PLUGIN_MIN_PORT: '', PLUGIN_MAX_PORT: '' }, 0, 0],
    [{ PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' }, 10000, 25000],
    [{ PLUGIN_MIN_PORT: '0', PLUGIN_MAX_PORT: '5' }, 0, 5],
    [{ PLUGIN_MAX_PORT: '65535' }, 0, 65535],
    [{ PLUGIN_MIN_PORT: '+4000', PLUGIN_MAX_PORT: '04000' }, 4000, 4000],
  ];
  for (const [env, min, max] of ok) {
    it(`${JSON.stringify(env)} → ${min}..${max}`, () => assert.deepEqual(parsePortRange(env), { min, max }));
  }

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PLUGIN_MIN_PORT: 'abc', PLUGIN_MAX_PORT: '10' }, /PLUGIN_MIN_PORT: "abc" is not a TCP port/],
    [{ PLUGIN_MIN_PORT: '1', PLUGIN_MAX_PORT: ' 10' }, /PLUGIN_MAX_PORT: " 10" is not a TCP port/],
    [{ PLUGIN_MIN_PORT: '-1', PLUGIN_MAX_PORT: '10' }, /PLUGIN_MIN_PORT/],
    [{ PLUGIN_MIN_PORT: '1', PLUGIN_MAX_PORT: '70000' }, /PLUGIN_MAX_PORT/],
    [{ PLUGIN_MIN_PORT: '0x10', PLUGIN_MAX_PORT: '20' }, /PLUGIN_MIN_PORT/],
    [{ PLUGIN_MIN_PORT: '25000', PLUGIN_MAX_PORT: '10000' }, /PLUGIN_MIN_PORT value of 25000 is greater than PLUGIN_MAX_PORT value of 10000/],
    [{ PLUGIN_MIN_PORT: '10000' }, /greater than PLUGIN_MAX_PORT value of 0/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)}`, () => assert.throws(() => parsePortRange(env), message));
  }
});

describe('candidatePorts: inclusive, in order', () => {
  it('yields min through max', () => {
    assert.deepEqual([...candidatePorts({ min: 10000, max: 10003 })], [10000, 10001, 10002, 10003]);
    assert.deepEqual([...candidatePorts({ min: 7, max: 7 })], [7]);
  });
  it('yields one ephemeral try for 0/0', () => {
    assert.deepEqual([...candidatePorts({ min: 0, max: 0 })], [0]);
  });
  it('yields nothing for an empty range', () => {
    assert.deepEqual([...candidatePorts({ min: 5, max: 4 })], []);
  });
});
