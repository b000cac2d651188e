// test/helpers/test-timeout.mjs, which test/run.mjs preloads: every it()/test() without a timeout
// of its own gets TEST_TIMEOUT_MS, while suites, files and hooks get none (so several tests may add
// up to more than the limit, and a before() may build for minutes); reports still name the test
// file's line, not the preload's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const preload = fileURLToPath(new URL('../../helpers/test-timeout.mjs', import.meta.url));

const SAMPLE = `
import { before, describe, it, test } from 'node:test';
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
before(() => wait(500));
describe('suite longer than the limit', () => {
  for (const n of [1, 2, 3]) it('quick ' + n, () => wait(200));
  it('hangs', () => wait(3000));
  it('has its own longer timeout', { timeout: 5000 }, () => wait(500));
});
test('top-level hang', () => wait(3000));
`;

describe('the per-test timeout', () => {
  it('fails a hung test at TEST_TIMEOUT_MS, not its suite, file or hooks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'timeout-'));
    try {
      writeFileSync(join(dir, 'sample.test.mjs'), SAMPLE);
      const env: NodeJS.ProcessEnv = { ...process.env, TEST_TIMEOUT_MS: '300' };
      delete env.NODE_TEST_CONTEXT; // a runner of its own, not a child reporting to ours
      const result = spawnSync(process.execPath, ['--import', preload, '--test', '--test-reporter=tap', 'sample.test.mjs'], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
      const verdicts = [...result.stdout.matchAll(/^\s*(ok|not ok) \d+ - (.+?)(?: #.*)?$/gm)].map((m) => `${m[1]} ${m[2]}`);
      assert.deepEqual(verdicts, [
        'ok quick 1',
        'ok quick 2',
        'ok quick 3',
        'not ok hangs',
        'ok has its own longer timeout',
        'not ok suite longer than the limit', // only because a test inside failed
        'not ok top-level hang',
      ], result.stdout);
      assert.equal(result.stdout.match(/test timed out after 300ms/g)?.length, 2, result.stdout);
      const locations = [...result.stdout.matchAll(/location: '([^']+)'/g)].map((m) => m[1]!.replace(/^.*\//, ''));
      assert.ok(locations.includes('sample.test.mjs:7:3') && locations.includes('sample.test.mjs:10:1'), locations.join(', '));
      assert.ok(!locations.some((l) => l.includes('test-timeout')), locations.join(', '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
