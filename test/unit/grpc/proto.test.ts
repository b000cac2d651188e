import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protoLoader from '@grpc/proto-loader';
import { loadProto, parseProto, serviceOf, messageOf } from '../../../src/grpc/proto.js';
import type { ServiceDefinition } from '../../../src/grpc/service.js';

const TEST_PROTO = fileURLToPath(new URL('../../fixtures/goplugin/test.proto', import.meta.url));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'grpc-proto-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const KITCHEN = `
syntax = "proto3";
package kitchen.v1;
message Sink {
  int64 big = 1;
  uint64 ubig = 2;
  Color color = 3;
  bytes raw = 4;
  oneof choice {
    string text = 5;
    int32 number = 6;
  }
  string snake_case_name = 7;
  repeated int32 list = 8;
  map<string, string> labels = 9;
  Inner inner = 10;
  message Inner { string note = 1; }
}
enum Color { COLOR_UNSPECIFIED = 0; RED = 1; GREEN = 2; }
service Kitchen {
  rpc Wash(Sink) returns (Sink);
}
`;

function roundTrip(source: string, options: Parameters<typeof parseProto>[1], value: unknown): any {
  const method = serviceOf(parseProto(source, options), 'kitchen.v1.Kitchen').Wash!;
  return method.responseDeserialize(method.requestSerialize(value));
}

describe('loadProto(test.proto): go-plugin\'s test service', () => {
  it('keys services, messages and imported types by fully-qualified name', () => {
    const loaded = loadProto(TEST_PROTO);
    for (const name of ['grpctest.Test', 'grpctest.PingPong', 'grpctest.TestRequest', 'grpctest.PrintKVRequest', 'google.protobuf.Empty']) {
      assert.ok(name in loaded, name);
    }
    assert.deepEqual(Object.keys(serviceOf(loaded, 'grpctest.Test')), ['Double', 'PrintKV', 'Bidirectional', 'Stream', 'PrintStdio', 'Panic']);
  });

  it('gives method definitions in grpc-js\'s shape, matching @grpc/proto-loader field for field', () => {
    const ours = serviceOf(loadProto(TEST_PROTO), 'grpctest.Test');
    const theirs = protoLoader.loadSync(TEST_PROTO, { keepCase: true })['grpctest.Test'] as unknown as ServiceDefinition;
    for (const [key, method] of Object.entries(ours)) {
      const ref = theirs[key]!;
      assert.equal(method.path, ref.path, key);
      assert.equal(method.requestStream, ref.requestStream, key);
      assert.equal(method.responseStream, ref.responseStream, key);
      // Both name it like lodash's camelCase (PrintKV → printKv), so handlers ported from grpc-js keep working.
      assert.equal(method.originalName, ref.originalName, key);
      for (const fn of ['requestSerialize', 'requestDeserialize', 'responseSerialize', 'responseDeserialize'] as const) {
        assert.equal(typeof method[fn], 'function', `${key}.${fn}`);
      }
    }
    assert.equal(ours.Double!.path, '/grpctest.Test/Double');
    assert.equal(ours.PrintKV!.originalName, 'printKv');
    assert.equal(ours.Stream!.requestStream, true);
    assert.equal(ours.Stream!.responseStream, true);
  });

  it('writes the same bytes as @grpc/proto-loader and reads its bytes', () => {
    const ours = serviceOf(loadProto(TEST_PROTO), 'grpctest.Test');
    const theirs = protoLoader.loadSync(TEST_PROTO, { keepCase: true, oneofs: true })['grpctest.Test'] as unknown as ServiceDefinition;
    const request = { Key: 'k', ValueInt: 42 };
    const bytes = ours.PrintKV!.requestSerialize(request);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(theirs.PrintKV!.requestSerialize(request)));
    assert.deepEqual({ ...theirs.PrintKV!.requestDeserialize(Buffer.from(bytes)) }, { Key: 'k', ValueInt: 42, Value: 'ValueInt' });
    assert.deepEqual(ours.Double!.responseDeserialize(theirs.Double!.responseSerialize({ Output: -7 })), { Output: -7 });
  });

  it('keeps go-plugin\'s capitalised field names (Input, Output) as written', () => {
    const double = serviceOf(loadProto(TEST_PROTO), 'grpctest.Test').Double!;
    assert.deepEqual(double.requestDeserialize(double.requestSerialize({ Input: 21 })), { Input: 21 });
    // A lower-case key is not the field: it is dropped, so the value reads as the default.
    assert.deepEqual(double.requestDeserialize(double.requestSerialize({ input: 21 })), { Input: 0 });
  });

  it('resolves google/protobuf/empty.proto from protobufjs\'s bundled copy', () => {
    const printStdio = serviceOf(loadProto(TEST_PROTO), 'grpctest.Test').PrintStdio!;
    assert.equal(printStdio.responseSerialize({}).length, 0);
    assert.deepEqual(printStdio.responseDeserialize(new Uint8Array(0)), {});
  });

  it('reads bytes fields as Uint8Array', () => {
    const printStdio = serviceOf(loadProto(TEST_PROTO), 'grpctest.Test').PrintStdio!;
    const out = printStdio.requestDeserialize(printStdio.requestSerialize({ stdout: Uint8Array.of(1, 2, 3) }));
    assert.ok(out.stdout instanceof Uint8Array);
    assert.deepEqual([...out.stdout], [1, 2, 3]);
    assert.ok(out.stderr instanceof Uint8Array);
    assert.equal(out.stderr.length, 0);
  });

  it('names the missing file when a .proto cannot be read', () => {
    const missing = join(dir, 'nope', 'missing.proto');
    assert.throws(() => loadProto(missing), (err: Error) => err.message.startsWith(`cannot load ${missing}:`) && /ENOENT|no such file/.test(err.message));
  });

  it('names the import that cannot be found', () => {
    const file = join(dir, 'imports-missing.proto');
    writeFileSync(file, 'syntax = "proto3"; import "absent/thing.proto"; message M {}');
    assert.throws(() => loadProto(file), /absent\/thing\.proto/);
  });

  it('finds imports in includeDirs', () => {
    const file = join(dir, 'uses-test.proto');
    writeFileSync(file, 'syntax = "proto3"; package uses; import "test.proto"; service Wrap { rpc Call(grpctest.TestRequest) returns (grpctest.TestResponse); }');
    assert.throws(() => loadProto(file), /test\.proto/);
    const loaded = loadProto(file, { includeDirs: [join(TEST_PROTO, '..')] });
    assert.equal(serviceOf(loaded, 'uses.Wrap').Call!.path, '/uses.Wrap/Call');
    assert.ok('grpctest.Test' in loaded);
  });
});

describe('message mapping options', () => {
  it('int64 arrives as bigint by default; string and number on request; sending accepts all three', () => {
    const big = 2n ** 60n + 1n;
    assert.equal(roundTrip(KITCHEN, {}, { big }).big, big);
    assert.equal(roundTrip(KITCHEN, {}, { big: big.toString() }).big, big);
    assert.equal(roundTrip(KITCHEN, {}, { big: 5 }).big, 5n);
    assert.equal(roundTrip(KITCHEN, {}, { big: -3n }).big, -3n);
    assert.equal(roundTrip(KITCHEN, {}, { ubig: 2n ** 64n - 1n }).ubig, 2n ** 64n - 1n);
    assert.equal(roundTrip(KITCHEN, { longs: 'string' }, { big }).big, big.toString());
    assert.equal(roundTrip(KITCHEN, { longs: 'number' }, { big: 12345 }).big, 12345);
    assert.equal(roundTrip(KITCHEN, {}, {}).big, 0n);
  });

  it('enums arrive as names by default, as numbers with enums: "number"; both are accepted', () => {
    assert.equal(roundTrip(KITCHEN, {}, { color: 'GREEN' }).color, 'GREEN');
    assert.equal(roundTrip(KITCHEN, {}, { color: 1 }).color, 'RED');
    assert.equal(roundTrip(KITCHEN, {}, {}).color, 'COLOR_UNSPECIFIED');
    assert.equal(roundTrip(KITCHEN, { enums: 'number' }, { color: 'GREEN' }).color, 2);
  });

  it('adds a property naming the set oneof field; oneofs: false leaves it out', () => {
    const out = roundTrip(KITCHEN, {}, { number: 7 });
    assert.equal(out.choice, 'number');
    assert.equal(out.number, 7);
    assert.equal('text' in out, false);
    assert.equal(roundTrip(KITCHEN, {}, {}).choice, undefined);
    assert.equal('choice' in roundTrip(KITCHEN, { oneofs: false }, { number: 7 }), false);
  });

  it('fills defaults (proto3) unless defaults: false', () => {
    const filled = roundTrip(KITCHEN, {}, {});
    assert.equal(filled.snakeCaseName, '');
    assert.deepEqual(filled.list, []);
    assert.deepEqual(filled.labels, {});
    assert.ok(filled.raw instanceof Uint8Array && filled.raw.length === 0);
    const bare = roundTrip(KITCHEN, { defaults: false }, {});
    assert.deepEqual(Object.keys(bare).filter((k) => bare[k] !== undefined && !(Array.isArray(bare[k]) && bare[k].length === 0) && !(typeof bare[k] === 'object' && Object.keys(bare[k]).length === 0)), []);
    assert.equal(bare.snakeCaseName, undefined);
  });

  it('lower-camel-cases names with underscores unless keepCase', () => {
    assert.equal(roundTrip(KITCHEN, {}, { snakeCaseName: 'x' }).snakeCaseName, 'x');
    assert.equal(roundTrip(KITCHEN, { keepCase: true }, { snake_case_name: 'x' }).snake_case_name, 'x');
  });

  it('maps nested messages, repeated fields and maps', () => {
    const out = roundTrip(KITCHEN, {}, { inner: { note: 'n' }, list: [3, 1, 2], labels: { a: 'b' } });
    assert.deepEqual(out.inner, { note: 'n' });
    assert.deepEqual(out.list, [3, 1, 2]);
    assert.deepEqual(out.labels, { a: 'b' });
  });
});

describe('parseProto, serviceOf, messageOf', () => {
  it('parses source text, including google/protobuf imports', () => {
    const loaded = parseProto('syntax = "proto3"; package p; import "google/protobuf/empty.proto"; service S { rpc Ping(google.protobuf.Empty) returns (google.protobuf.Empty); rpc Watch(google.protobuf.Empty) returns (stream google.protobuf.Empty); }');
    const s = serviceOf(loaded, 'p.S');
    assert.equal(s.Ping!.path, '/p.S/Ping');
    assert.equal(s.Watch!.responseStream, true);
    assert.equal(s.Watch!.requestStream, false);
    assert.ok('google.protobuf.Empty' in loaded);
  });

  it('parses source that imports a file from includeDirs', () => {
    const loaded = parseProto('syntax = "proto3"; import "test.proto"; service W { rpc C(grpctest.TestRequest) returns (grpctest.TestResponse); }', { includeDirs: [join(TEST_PROTO, '..')] });
    assert.equal(serviceOf(loaded, 'W').C!.path, '/W/C');
  });

  it('reports an unknown type as an error about the source', () => {
    assert.throws(() => parseProto('syntax = "proto3"; message M { Missing m = 1; }'), /Missing/);
  });

  it('serviceOf lists the services there are when the name is wrong, or names a message', () => {
    const loaded = loadProto(TEST_PROTO);
    assert.throws(() => serviceOf(loaded, 'grpctest.Nope'), (err: Error) => err.message === 'no service "grpctest.Nope" in the loaded .proto files; services: grpctest.Test, grpctest.PingPong');
    assert.throws(() => serviceOf(loaded, 'grpctest.TestRequest'), /no service "grpctest\.TestRequest".*services: grpctest\.Test, grpctest\.PingPong/);
    assert.throws(() => serviceOf(parseProto('syntax = "proto3"; message M {}'), 'S'), /services: none/);
  });

  it('messageOf gives a protobufjs Type for encoding by hand', () => {
    const loaded = loadProto(TEST_PROTO);
    const type = messageOf(loaded, 'grpctest.TestRequest');
    assert.deepEqual(type.toObject(type.decode(type.encode(type.fromObject({ Input: 3 })).finish())), { Input: 3 });
    assert.throws(() => messageOf(loaded, 'grpctest.Test'), /no message "grpctest\.Test"/);
  });
});
