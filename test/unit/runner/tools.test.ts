// test/helpers/tools.ts: Go and openssl are found on PATH (Go also through $GO), and a missing one
// fails with a sentence that names the tool and how to get it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../../helpers/tools.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Calls one tools.ts lookup in a fresh process with the given PATH and GO; its result or error. */
function lookup(fn: 'goBinary' | 'opensslBinary', env: { PATH: string; GO?: string }): string {
  const script = `import('./test/helpers/tools.ts').then((m) => { try { console.log(m.${fn}()); } catch (e) { console.log('ERROR ' + e.message); } });`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: env.PATH, ...(env.GO === undefined ? {} : { GO: env.GO }), HOME: process.env.HOME ?? '/' },
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

describe('tools the tests need: Go and openssl', () => {
  it('findOnPath returns an absolute executable from PATH, or undefined', () => {
    const sh = findOnPath('sh');
    assert.ok(sh && sh.startsWith('/'), String(sh));
    assert.equal(findOnPath('no-such-tool-here'), undefined);
    assert.equal(findOnPath('sh', ''), undefined);
  });

  it('Go is taken from $GO first, then from PATH', () => {
    const onPath = findOnPath('go');
    assert.ok(onPath, 'this test needs go on PATH, as the suite does');
    assert.equal(lookup('goBinary', { PATH: process.env.PATH!, GO: onPath }), onPath);
    assert.equal(lookup('goBinary', { PATH: process.env.PATH! }), onPath);
  });

  it('a missing Go or openssl is one sentence naming the tool and where to get it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-tools-'));
    try {
      const go = lookup('goBinary', { PATH: empty });
      assert.match(go, /^ERROR GO IS NEEDED.*no `go` on PATH.*https:\/\/go\.dev\/dl.*GO=\/path\/to\/bin\/go/);
      assert.match(lookup('goBinary', { PATH: empty, GO: join(empty, 'go') }), /^ERROR GO IS NEEDED.*\$GO is .*not an executable/);
      assert.match(lookup('opensslBinary', { PATH: empty }), /^ERROR THE OPENSSL CLI IS NEEDED.*apt-get install openssl/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
