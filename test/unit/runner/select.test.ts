// test/run.mjs's file selection: patterns are paths below test/, folders match whole, the last
// part may start a file name; anything starting with `-` goes to node --test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
// @ts-expect-error test/run.mjs is plain JavaScript without types
import { matches, normalizePattern, parseArgs } from '../../run.mjs';

const FILES = [
  'grpc/deadlines.test.ts',
  'grpc/calls.test.ts',
  'interop/grpc-go.test.ts',
  'interop/grpc-js.test.ts',
  'interop/go-peers.test.ts',
  'unit/grpc/framing.test.ts',
  'unit/tls/x509.test.ts',
  'hardening/limits.test.ts',
];
const select = (...patterns: string[]) => FILES.filter((f) => patterns.some((p) => matches(f, normalizePattern(p))));

describe('test/run.mjs selects files by folder prefix', () => {
  it('a layer is its folder only: `grpc` is not interop/grpc-go or unit/grpc', () => {
    assert.deepEqual(select('grpc'), ['grpc/deadlines.test.ts', 'grpc/calls.test.ts']);
    assert.deepEqual(select('unit'), ['unit/grpc/framing.test.ts', 'unit/tls/x509.test.ts']);
    assert.deepEqual(select('hardening'), ['hardening/limits.test.ts']);
  });

  it('the last part may be the start of a file name', () => {
    assert.deepEqual(select('interop/grpc'), ['interop/grpc-go.test.ts', 'interop/grpc-js.test.ts']);
    assert.deepEqual(select('interop/grpc-go'), ['interop/grpc-go.test.ts']);
    assert.deepEqual(select('grpc/deadlines.test.ts'), ['grpc/deadlines.test.ts']);
  });

  it('folder names never match by their beginning', () => {
    assert.deepEqual(select('int'), []);
    assert.deepEqual(select('unit/tl'), []);
  });

  it('accepts test/ and ./test/ prefixes, trailing slashes, absolute paths and several patterns', () => {
    const testDir = fileURLToPath(new URL('../../', import.meta.url));
    assert.deepEqual(select('test/grpc/'), select('grpc'));
    assert.deepEqual(select('./test/unit/tls'), ['unit/tls/x509.test.ts']);
    assert.deepEqual(select(`${testDir}interop/go-peers.test.ts`), ['interop/go-peers.test.ts']);
    assert.deepEqual(select('unit/tls', 'hardening'), ['unit/tls/x509.test.ts', 'hardening/limits.test.ts']);
  });
});

describe('test/run.mjs passes node --test flags through', () => {
  it('keeps flags and their separate values apart from patterns', () => {
    assert.deepEqual(parseArgs(['grpc', '--test-name-pattern', 'client deadline', 'unit', '--test-only', '--test-reporter=spec']), {
      patterns: ['grpc', 'unit'],
      flags: ['--test-name-pattern', 'client deadline', '--test-only', '--test-reporter=spec'],
    });
  });
});
