// `go-plugin-ts gen`: generated definitions put the same bytes on the wire as loadProto's and hand handlers
// the same objects (go-plugin's test.proto, the KV example's kv.proto, and a proto with every field shape),
// carry their FileDescriptorProtos for reflection, pass tsc --strict, and are committed up to date.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type protobuf from 'protobufjs';
import { loadProto, serviceOf, type ServiceDefinition } from '../../src/index.js';
import { generate, run as gen } from '../../src/cli/gen.js';
import { ROOT } from './builds.js';
import { methodTypes, samples } from './samples.js';

const require = createRequire(import.meta.url);
const descriptor = require('protobufjs/ext/descriptor') as { FileDescriptorProto: protobuf.Type };

const PROTOS = {
  'go-plugin test.proto': { file: 'test/fixtures/goplugin/test.proto', services: ['grpctest.Test', 'grpctest.PingPong'] },
  'KV example kv.proto': { file: 'examples/kv/kv.proto', services: ['kv.KV'] },
  'every field shape': { file: 'test/fixtures/shipping/everything.proto', services: ['everything.v1.Kitchen'] },
} as const;

let dir: string;
const generated: Record<string, Record<string, ServiceDefinition>> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'go-plugin-ts-gen-'));
  // An absolute path: both Node and tsc resolve it (tsc does not resolve file: URLs).
  const importFrom = join(ROOT, 'src', 'index.js');
  for (const [name, { file }] of Object.entries(PROTOS)) {
    const [[module, text]] = generate([join(ROOT, file)], { importFrom });
    const path = join(dir, module);
    writeFileSync(path, text);
    generated[name] = (await import(pathToFileURL(path).href)) as Record<string, ServiceDefinition>;
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, { file, services }] of Object.entries(PROTOS)) {
  describe(`generated definitions for ${name} are wire-identical to loadProto's`, () => {
    const loaded = loadProto(join(ROOT, file));
    for (const service of services) {
      it(`${service}: same bytes and same objects, both ways, for every method`, () => {
        const reference = serviceOf(loaded, service);
        const local = service.slice(service.lastIndexOf('.') + 1);
        const definition = generated[name]![local] ?? generated[name]![`${local}Definition`];
        assert.ok(definition, `the generated module exports no ${local}`);
        assert.deepEqual(Object.keys(definition), Object.keys(reference));
        for (const [method, ours] of Object.entries(definition)) {
          const theirs = reference[method]!;
          assert.equal(ours.path, theirs.path);
          assert.equal(ours.requestStream, theirs.requestStream);
          assert.equal(ours.responseStream, theirs.responseStream);
          assert.equal(ours.originalName, theirs.originalName);
          for (const [side, type] of Object.entries(methodTypes(loaded, service, method))) {
            for (const value of samples(type as protobuf.Type)) {
              const serialize = side === 'request' ? 'requestSerialize' : 'responseSerialize';
              const deserialize = side === 'request' ? 'requestDeserialize' : 'responseDeserialize';
              const bytes = ours[serialize](value);
              assert.deepEqual(Buffer.from(bytes), Buffer.from(theirs[serialize](value)), `${method} ${side} ${JSON.stringify(value, bigints)}`);
              assert.deepEqual(ours[deserialize](bytes), theirs[deserialize](bytes));
              assert.deepEqual(theirs[deserialize](bytes), ours[deserialize](theirs[serialize](value)));
            }
          }
        }
      });
    }
  });
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

describe('generated definitions carry their FileDescriptorProtos (reflection contract)', () => {
  const FILES = Symbol.for('go-plugin-ts.fileDescriptors');
  const files = (definition: ServiceDefinition) => {
    const list = (definition as unknown as Record<symbol, Uint8Array[]>)[FILES];
    assert.ok(Array.isArray(list), 'no descriptors under Symbol.for("go-plugin-ts.fileDescriptors")');
    return list.map((bytes) => descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)) as Record<string, any>);
  };

  it('lists the declaring file first, then its imports, each naming its dependencies', () => {
    const [test, empty] = files(generated['go-plugin test.proto']!.Test!);
    assert.equal(test!.name, 'test.proto');
    assert.equal(test!.package, 'grpctest');
    assert.equal(test!.syntax, 'proto3');
    assert.deepEqual(test!.dependency, ['google/protobuf/empty.proto']);
    assert.deepEqual(test!.service.map((s: { name: string }) => s.name), ['Test', 'PingPong']);
    assert.deepEqual(
      test!.service[0].method.map((m: { name: string; inputType: string }) => [m.name, m.inputType]),
      [['Double', '.grpctest.TestRequest'], ['PrintKV', '.grpctest.PrintKVRequest'], ['Bidirectional', '.grpctest.BidirectionalRequest'],
        ['Stream', '.grpctest.TestRequest'], ['PrintStdio', '.grpctest.PrintStdioRequest'], ['Panic', '.grpctest.PanicRequest']],
    );
    assert.equal(empty!.name, 'google/protobuf/empty.proto');
    assert.equal(empty!.package, 'google.protobuf');
  });

  it('describes nested types, maps, oneofs and proto3 optional fields', () => {
    const list = files(generated['every field shape']!.Kitchen!);
    assert.deepEqual(list.map((f) => f.name), ['everything.proto', 'google/protobuf/empty.proto', 'google/protobuf/timestamp.proto']);
    const everything = list[0]!.messageType.find((m: { name: string }) => m.name === 'Everything');
    assert.deepEqual(everything.nestedType.map((m: { name: string }) => m.name).sort(), ['ByIdEntry', 'ColorsEntry', 'CountsEntry', 'FlagsEntry', 'Nested']);
    assert.ok(everything.oneofDecl.some((o: { name: string }) => o.name === 'choice'));
    const maybe = everything.field.find((f: { name: string }) => f.name === 'maybe');
    assert.equal(maybe.proto3Optional, true);
  });

  it('keeps the symbol out of the method keys', () => {
    assert.deepEqual(Object.keys(generated['KV example kv.proto']!.KV!), ['Get', 'Put', 'List']);
  });
});

describe('generated modules as source', () => {
  it('pass tsc --strict (with noUnusedLocals) on their own', () => {
    const config = join(dir, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: {
          strict: true, noUnusedLocals: true, noUnusedParameters: true, noEmit: true, skipLibCheck: true,
          target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')], allowImportingTsExtensions: true,
        },
        include: ['*.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(tsc.status, 0, `tsc --strict failed:\n${tsc.stdout}${tsc.stderr}`);
  });

  it('are committed up to date (regenerate with `npm run generate`)', () => {
    for (const [proto, out, importFrom] of [
      ['examples/kv/kv.proto', 'examples/kv/gen/kv.ts', '../../../src/index.js'],
      ['test/fixtures/goplugin/test.proto', 'test/fixtures/shipping/gen/test.ts', '../../../../src/index.js'],
    ] as const) {
      const cwd = process.cwd();
      process.chdir(ROOT); // the header names the .proto relative to where `gen` runs
      try {
        const [[, text]] = generate([proto], { importFrom });
        assert.equal(readFileSync(join(ROOT, out), 'utf8'), text, `${out} is stale: run \`npm run generate\``);
      } finally {
        process.chdir(cwd);
      }
    }
  });
});

describe('go-plugin-ts gen on the command line', () => {
  const stderr = () => {
    const chunks: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (chunks.push(String(chunk)), true)) as typeof process.stderr.write;
    return { text: () => chunks.join(''), restore: () => void (process.stderr.write = write) };
  };

  it('writes one module per file into --out', async () => {
    const out = join(dir, 'cli-out');
    const err = stderr();
    const code = await gen([join(ROOT, 'examples/kv/kv.proto'), join(ROOT, 'test/fixtures/goplugin/test.proto'), '--out', out]).finally(err.restore);
    assert.equal(code, 0, err.text());
    assert.match(readFileSync(join(out, 'kv.ts'), 'utf8'), /export const KV: KVService = generatedService<KVService>/);
    assert.match(readFileSync(join(out, 'test.ts'), 'utf8'), /from "go-plugin-ts";/);
  });

  it('answers a usage error with exit code 2 and an unreadable .proto with 1, naming the file', async () => {
    let err = stderr();
    assert.equal(await gen([join(ROOT, 'examples/kv/kv.proto')]).finally(err.restore), 2);
    assert.match(err.text(), /--out <dir> is required/);
    err = stderr();
    assert.equal(await gen(['--out', dir]).finally(err.restore), 2);
    assert.match(err.text(), /no \.proto file given/);
    const bad = join(dir, 'bad.proto');
    writeFileSync(bad, 'syntax = "proto3"; message A { strin x = 1; }');
    err = stderr();
    assert.equal(await gen([bad, '--out', dir]).finally(err.restore), 1);
    assert.match(err.text(), /cannot load .*bad\.proto: .*strin/);
  });
});
