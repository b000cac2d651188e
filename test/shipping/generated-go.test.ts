// Generated definitions against Go's protobuf (google.golang.org/protobuf, what go-plugin hosts and
// grpc-go use): their FileDescriptorProtos build with protodesc as a reflection client builds them, and
// every request and response our codecs encode decodes in Go with no unknown field, and what Go encodes
// back decodes here to the same object (test/fixtures/shipping/descriptor-check). Bytes may differ only in
// order: Go writes oneof members after the other fields.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProto, type ServiceDefinition } from '../../src/index.js';
import { KV } from '../../examples/kv/gen/kv.js';
import { PingPong, Test } from '../fixtures/shipping/gen/test.js';
import { generate } from '../../src/cli/gen.js';
import { ROOT } from './builds.js';
import { methodTypes, samples } from './samples.js';

// $GO, else the go on PATH, as the interop peers find it.
const GO = process.env.GO || 'go';
const CHECK_SOURCE = fileURLToPath(new URL('../fixtures/shipping/descriptor-check/', import.meta.url));
let dir: string;
let check: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'go-plugin-ts-descriptor-check-'));
  check = join(dir, 'descriptor-check');
  const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false', GOTOOLCHAIN: 'local', GOWORK: 'off', CGO_ENABLED: '0' };
  delete env.GOROOT;
  const build = spawnSync(GO, ['build', '-o', check, '.'], { cwd: CHECK_SOURCE, env, encoding: 'utf8', timeout: 600_000 });
  assert.equal(build.status, 0, `go build of descriptor-check failed:\n${build.stderr}${build.stdout}`);
});

after(() => rmSync(dir, { recursive: true, force: true }));

interface CheckResult {
  ok: boolean;
  error?: string;
  services?: Record<string, string[]>;
  messages?: Array<{ message: string; bytes: string; unknown: boolean }>;
}

type Decode = (bytes: Uint8Array) => unknown;

/** Go's re-encodings decode to what ours decode to; nothing is unknown to Go. */
function assertSameInGo(result: CheckResult, messages: Array<[string, Uint8Array, Decode]>): void {
  assert.equal(result.ok, true, result.error);
  assert.equal(result.messages!.length, messages.length);
  for (const [i, m] of result.messages!.entries()) {
    const [name, ours, decode] = messages[i]!;
    assert.equal(m.message, name);
    assert.equal(m.unknown, false, `Go found unknown fields in ${name}`);
    assert.deepEqual(decode(Buffer.from(m.bytes, 'base64')), decode(ours), `Go reads ${name} differently`);
  }
}

function methodMessages(definition: ServiceDefinition, loaded: Record<string, unknown>, service: string): Array<[string, Uint8Array, Decode]> {
  const messages: Array<[string, Uint8Array, Decode]> = [];
  for (const [method, md] of Object.entries(definition)) {
    const { request, response } = methodTypes(loaded, service, method);
    for (const value of samples(request)) messages.push([request.fullName.slice(1), md.requestSerialize(value), (b) => md.requestDeserialize(b)]);
    for (const value of samples(response)) messages.push([response.fullName.slice(1), md.responseSerialize(value), (b) => md.responseDeserialize(b)]);
  }
  return messages;
}

function goCheck(definition: ServiceDefinition, messages: Array<[string, Uint8Array, Decode]>): CheckResult {
  const files = (definition as unknown as Record<symbol, Uint8Array[]>)[Symbol.for('go-plugin-ts.fileDescriptors')]!;
  const input = [
    ...files.map((f) => Buffer.from(f).toString('base64')),
    '---',
    ...messages.map(([name, bytes]) => `${name} ${Buffer.from(bytes).toString('base64')}`),
  ].join('\n');
  const run = spawnSync(check, [], { input, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as CheckResult;
}

const CASES: Array<[string, string, ServiceDefinition]> = [
  ['grpctest.Test', 'test/fixtures/goplugin/test.proto', Test],
  ['grpctest.PingPong', 'test/fixtures/goplugin/test.proto', PingPong],
  ['kv.KV', 'examples/kv/kv.proto', KV],
];

describe("generated definitions under Go's protobuf runtime (google.golang.org/protobuf)", () => {
  for (const [service, file, definition] of CASES) {
    it(`${service}: descriptors build in protodesc; Go reads every method's messages as we do`, () => {
      const messages = methodMessages(definition, loadProto(join(ROOT, file)), service);
      const result = goCheck(definition, messages);
      assert.ok(Object.keys(result.services ?? {}).includes(service), JSON.stringify(result));
      assertSameInGo(result, messages);
    });
  }

  it('every field shape (scalars, packed, maps, enums, oneofs, optional, nested, imported): the same', async () => {
    // Generated here rather than committed: the proto exists only for these tests.
    const out = mkdtempSync(join(dir, 'gen-'));
    const [[name, text]] = generate([join(ROOT, 'test/fixtures/shipping/everything.proto')], { importFrom: join(ROOT, 'src', 'index.js') });
    writeFileSync(join(out, name), text);
    const { Kitchen } = (await import(join(out, name))) as { Kitchen: ServiceDefinition };
    const messages = methodMessages(Kitchen, loadProto(join(ROOT, 'test/fixtures/shipping/everything.proto')), 'everything.v1.Kitchen');
    assertSameInGo(goCheck(Kitchen, messages), messages);
  });
});
