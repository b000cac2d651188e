#!/usr/bin/env node
// The test runner: every *.test.ts under test/ on node:test (Node 20 has no --test glob), or the
// files the patterns select, with a per-test timeout.
//
//   node test/run.mjs [pattern...] [node --test flags...]      (npm test -- [pattern...] [flags...])
//
// A pattern is a path below test/ (a leading `test/` or `./test/` and a trailing `/` are ignored):
// folder names match whole, and the last part may also be the start of a file name. So `grpc` is
// test/grpc/ only (not interop/grpc-go.test.ts), `unit/tls` is that folder, `interop/grpc` is
// interop/grpc-go.test.ts and interop/grpc-js.test.ts, `grpc/deadlines.test.ts` is one file.
// Several patterns select the union. Arguments starting with `-` go to `node --test` as they are
// (`--test-name-pattern=deadline`, `--test-only`, `--test-reporter=spec`, ...).
//
// Per-test timeout: TEST_TIMEOUT_MS (default 60 000) for every it()/test() without its own timeout;
// suites and hooks have none, so a cold Go build belongs in a before() hook (see test-timeout.mjs).
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'test');

// node --test flags that take their value as the next argument when written without `=`.
const FLAGS_WITH_VALUE = new Set([
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-concurrency',
  '--test-shard',
  '--test-timeout',
]);

/** Splits argv into selection patterns and flags passed to node --test. */
export function parseArgs(argv) {
  const patterns = [];
  const flags = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('-')) {
      flags.push(arg);
      if (FLAGS_WITH_VALUE.has(arg) && i + 1 < argv.length) flags.push(argv[++i]);
    } else {
      patterns.push(arg);
    }
  }
  return { patterns, flags };
}

/** `test/grpc/`, `./test/grpc`, `grpc` and an absolute path into test/ all become `grpc`. */
export function normalizePattern(pattern, cwd = process.cwd()) {
  let p = pattern.split(sep).join('/');
  if (p.startsWith('/')) p = relative(testDir, p).split(sep).join('/');
  else if (cwd !== root && cwd.startsWith(testDir)) p = relative(testDir, join(cwd, p)).split(sep).join('/');
  p = p.replace(/^(\.\/)+/, '').replace(/^test\//, '').replace(/\/+$/, '');
  return p;
}

/** Whether a file (its path below test/, `/`-separated) is selected by a normalized pattern. */
export function matches(file, pattern) {
  if (pattern === '' || pattern === '.') return true;
  const want = pattern.split('/');
  const have = file.split('/');
  if (want.length > have.length) return false;
  for (let i = 0; i < want.length - 1; i++) if (want[i] !== have[i]) return false;
  const last = want.length - 1;
  // a folder matches whole; a file name (the file's last part) may be matched by its beginning
  return want[last] === have[last] || (last === have.length - 1 && have[last].startsWith(want[last]));
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'go' || name === 'fixtures' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function main() {
  const { patterns, flags } = parseArgs(process.argv.slice(2));
  const normalized = patterns.map((p) => normalizePattern(p));
  const all = walk(testDir).map((f) => relative(testDir, f).split(sep).join('/')).sort();
  const selected = normalized.length === 0 ? all : all.filter((f) => normalized.some((p) => matches(f, p)));
  const unmatched = normalized.filter((p) => !all.some((f) => matches(f, p)));
  if (unmatched.length > 0 || selected.length === 0) {
    const folders = [...new Set(all.map((f) => f.split('/').slice(0, -1).join('/')).filter(Boolean))].sort();
    console.error(`no test files match ${unmatched.length ? unmatched.map((p) => JSON.stringify(p)).join(', ') : '*'} (patterns are paths below test/; folders: ${folders.join(', ')})`);
    process.exit(1);
  }
  const timeoutMs = process.env.TEST_TIMEOUT_MS ?? '60000';
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', pathToFileURL(join(testDir, 'helpers', 'test-timeout.mjs')).href, '--test', '--test-concurrency=2', ...flags, ...selected.map((f) => join('test', f))],
    { cwd: root, stdio: 'inherit', env: { ...process.env, TEST_TIMEOUT_MS: timeoutMs } },
  );
  process.exit(result.status ?? 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
