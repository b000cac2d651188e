// The KV example end to end, both ways it is shown: the Go host in examples/kv/go-host (newest
// hashicorp/go-plugin from the Go module proxy, built here into the gitignored test/go/bin) and our
// TS host (`npm run demo`), each launching the TS plugin examples/kv/plugin.ts under AutoMTLS.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GO_BIN_DIR, goBinary, goBuildEnv } from '../helpers/go-peers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GO_HOST_DIR = join(ROOT, 'examples/kv/go-host');
const GO_HOST = join(GO_BIN_DIR, 'kv-go-host');
const RUN_TIMEOUT_MS = 30_000;

before(() => {
  const go = goBinary();
  mkdirSync(GO_BIN_DIR, { recursive: true });
  const env = goBuildEnv();
  const began = Date.now();
  const build = spawnSync(go, ['build', '-o', GO_HOST, '.'], { cwd: GO_HOST_DIR, env, encoding: 'utf8', timeout: 15 * 60_000 });
  assert.equal(build.status, 0, `go build in ${GO_HOST_DIR} failed (${build.error ?? `exit ${build.status ?? build.signal}`}):\n${build.stderr}`);
  process.stderr.write(`example-kv: built ${GO_HOST} in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
});

function runToEnd(command: string, args: string[]): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 16 << 20 });
  const output = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  assert.equal(result.error, undefined, `${command} ${args.join(' ')} did not run to the end: ${result.error}\n${output}`);
  assert.equal(result.status, 0, `${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${output}`);
  return result;
}

/** Every match of a line pattern in the output, as its capture groups. */
function linesOf(text: string, pattern: RegExp): string[][] {
  return [...text.matchAll(new RegExp(pattern.source, 'gm'))].map((match) => match.slice(1));
}

describe('the KV example under the Go host (hashicorp/go-plugin v1.8.0, AutoMTLS)', () => {
  it('puts, gets and lists through the TS plugin, receives its stdout and logs, and the plugin exits 0', () => {
    const { stdout, stderr } = runToEnd(GO_HOST, ['-node', process.execPath]);
    assert.match(stdout, /^launched plugin pid \d+, protocol 1, AutoMTLS on$/m);
    assert.match(stdout, /^ping: plugin is SERVING$/m);

    const puts = linesOf(stdout, /^put (\S+) = (".*")$/).map(([key, value]) => [key!, JSON.parse(value!) as string]);
    assert.equal(puts.length, 2, stdout);
    const [[firstKey, firstValue]] = puts as [[string, string]];
    assert.deepEqual(linesOf(stdout, /^get (\S+) -> (".*") \(found: true\)$/).map(([key, value]) => [key, JSON.parse(value!)]), [
      [firstKey, firstValue],
    ]);
    assert.deepEqual(linesOf(stdout, /^get (\S+) -> found: false$/), [['nope']]);
    assert.deepEqual(
      linesOf(stdout, /^list: (\S+) = (.*)$/),
      puts.map(([key, value]) => [key, value]),
      'List streams every entry, in the order it was put',
    );

    // console.log in the plugin travels over go-plugin's stdio stream into the host's SyncStdout.
    assert.match(stdout, /^ {2}\[plugin stdout\] kv plugin serving protocol 1 on unix \S+$/m);
    // The plugin's hclog lines on stderr are re-logged by go-plugin under the host's logger (the
    // fields in Go map order, so each is matched on its own).
    const putLogs = stderr.split('\n').filter((line) => /\[INFO\] +kvhost\.node: put:/.test(line));
    for (const [key, value] of puts) {
      const fields = [`key=${key}`, `bytes=${Buffer.byteLength(value!)}`];
      assert.ok(
        putLogs.some((line) => fields.every((field) => line.split(' ').includes(field))),
        `no plugin log "put" with ${fields.join(' ')} in the host's stderr:\n${stderr}`,
      );
    }
    assert.doesNotMatch(stderr, /plugin failed to exit gracefully/);
    assert.match(stdout, /^plugin exited with code 0$/m);
  });
});

describe('the KV example under the TS host (npm run demo)', () => {
  it('gets what it put, lists both entries, and the plugin exits 0', () => {
    const { stdout } = runToEnd(process.execPath, ['--import', 'tsx', 'examples/kv/host.ts']);
    assert.match(stdout, /^launched plugin pid \d+, protocol 1, AutoMTLS on$/m);
    assert.match(stdout, /^ping: plugin is SERVING$/m);

    const listed = new Map(linesOf(stdout, /^list: (\S+) = (.*)$/) as [string, string][]);
    assert.deepEqual([...listed.keys()], ['greeting', 'answer'], stdout);
    const got = linesOf(stdout, /^get greeting -> (".*") \(found: (\w+)\)$/);
    assert.deepEqual(
      got.map(([value, found]) => [JSON.parse(value!), found]),
      [[listed.get('greeting'), 'true']],
    );
    assert.match(stdout, /^get nope -> found: false$/m);
    // The plugin's logs reach the TS host's logger at their level, with their fields.
    for (const [key, value] of listed) {
      assert.match(stdout, new RegExp(`^ {2}\\[plugin info\\] put \\{"key":"${key}","bytes":${Buffer.byteLength(value)}\\}$`, 'm'));
    }
    assert.match(stdout, /^ {2}\[plugin stdout\] kv plugin serving protocol 1 on unix \S+$/m);
    assert.match(stdout, /^plugin exited with code 0$/m);
  });
});
