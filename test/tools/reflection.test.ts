// gRPC server reflection (grpc.reflection.v1 and v1alpha) served from the descriptors loadProto
// definitions carry, checked by grpc-go's reflection client with protodesc, by grpcurl, and by the
// pure lookup rules.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from '../../src/grpc/server.js';
import { createClient } from '../../src/grpc/client.js';
import { loadProto, parseProto, serviceOf } from '../../src/grpc/proto.js';
import { FILE_DESCRIPTORS, fileDescriptorsOf, jsonName, mapEntryName } from '../../src/grpc/descriptors.js';
import {
  answerReflection,
  decodeReflectionRequest,
  encodeReflectionRequest,
  indexDescriptors,
  reflectionV1,
  type ReflectionQuery,
} from '../../src/grpc/reflection.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import { grpcurl, reflectClient } from './go-tools.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/reflect/${name}`, import.meta.url));
const catalog = loadProto(fixture('catalog.proto'));
const legacy = loadProto(fixture('legacy.proto'));
const Catalog = serviceOf(catalog, 'shop.v1.Catalog');
const Legacy = serviceOf(legacy, 'legacy.Legacy');

/** The file names a list of serialized FileDescriptorProtos declares, in order. */
function names(files: Uint8Array[]): string[] {
  return [...indexDescriptors(files).files.keys()];
}

describe('descriptors carried by loadProto and parseProto definitions', () => {
  it('sit under the shared symbol, invisible to Object.entries', () => {
    assert.deepEqual(Object.keys(Catalog).sort(), ['AddItems', 'GetItem', 'ListItems', 'Sync']);
    assert.ok(Array.isArray((Catalog as any)[Symbol.for('go-plugin-ts.fileDescriptors')]));
    assert.equal(FILE_DESCRIPTORS, Symbol.for('go-plugin-ts.fileDescriptors'));
  });

  it('list the declaring file first, then its transitive imports (in order of first use), named as imported', () => {
    assert.deepEqual(names(fileDescriptorsOf(Catalog)!), [
      'catalog.proto',
      'sub/money.proto',
      'google/protobuf/timestamp.proto',
      'google/protobuf/empty.proto',
    ]);
    assert.deepEqual(indexDescriptors(fileDescriptorsOf(Catalog)!).files.get('catalog.proto')!.dependencies, [
      'sub/money.proto',
      'google/protobuf/timestamp.proto',
      'google/protobuf/empty.proto',
    ]);
  });

  it('name parsed source after its package', () => {
    const parsed = parseProto('syntax = "proto3"; package a.b; message M { int32 x = 1; } service S { rpc Do(M) returns (M); }');
    const files = fileDescriptorsOf(serviceOf(parsed, 'a.b.S'))!;
    assert.deepEqual(names(files), ['a/b.proto']);
    const index = indexDescriptors(files);
    assert.equal(index.symbols.get('a.b.S.Do'), 'a/b.proto');
    assert.equal(index.symbols.get('a.b.M.x'), 'a/b.proto');
  });

  it("use protoc's names for map entries and JSON names", () => {
    assert.equal(mapEntryName('prices_by_region'), 'PricesByRegionEntry');
    assert.equal(mapEntryName('labels'), 'LabelsEntry');
    assert.equal(jsonName('item_id'), 'itemId');
    assert.equal(jsonName('a_b_c'), 'aBC');
  });
});

describe('reflection lookups (pure rules)', () => {
  const files = [...fileDescriptorsOf(Catalog)!, ...fileDescriptorsOf(Legacy)!];
  const index = indexDescriptors(files);
  const ask = (query: ReflectionQuery, sent = new Set<string>()) =>
    answerReflection({ ...query, host: '', raw: new Uint8Array(0) } as never, index, ['legacy.Legacy', 'shop.v1.Catalog'], sent);

  it('finds messages, nested types, enum values, methods and fields by symbol', () => {
    for (const symbol of ['shop.v1.Item', 'shop.v1.Item.Dimension', 'shop.v1.Item.Kind', 'shop.v1.Item.BOOK', 'shop.v1.Catalog.Sync', 'shop.v1.Item.labels', '.shop.v1.Item']) {
      const answer = ask({ kind: 'fileContainingSymbol', symbol });
      assert.equal(answer.kind, 'files', symbol);
      assert.equal(names((answer as { files: Uint8Array[] }).files)[0], 'catalog.proto', symbol);
    }
  });

  it('sends a dependency once per stream, but always the file asked for', () => {
    const sent = new Set<string>();
    const first = ask({ kind: 'fileContainingSymbol', symbol: 'shop.v1.Catalog' }, sent);
    assert.equal((first as { files: Uint8Array[] }).files.length, 4);
    const again = ask({ kind: 'fileByFilename', name: 'catalog.proto' }, sent);
    assert.deepEqual(names((again as { files: Uint8Array[] }).files), ['catalog.proto']);
    const dep = ask({ kind: 'fileByFilename', name: 'sub/money.proto' }, sent);
    assert.deepEqual(names((dep as { files: Uint8Array[] }).files), ['sub/money.proto']);
  });

  it('answers extension questions from the extensions files declare', () => {
    assert.deepEqual(ask({ kind: 'allExtensionNumbersOfType', type: 'legacy.Base' }), { kind: 'extensionNumbers', baseTypeName: 'legacy.Base', numbers: [100, 150] });
    assert.deepEqual(ask({ kind: 'allExtensionNumbersOfType', type: 'shop.v1.Item' }), { kind: 'extensionNumbers', baseTypeName: 'shop.v1.Item', numbers: [] });
    const found = ask({ kind: 'fileContainingExtension', containingType: 'legacy.Base', extensionNumber: 150 });
    assert.deepEqual(names((found as { files: Uint8Array[] }).files), ['legacy.proto']);
  });

  it('answers NOT_FOUND for unknown files, symbols, extensions and types', () => {
    const queries: ReflectionQuery[] = [
      { kind: 'fileByFilename', name: 'nope.proto' },
      { kind: 'fileContainingSymbol', symbol: 'nope.Nope' },
      { kind: 'fileContainingExtension', containingType: 'legacy.Base', extensionNumber: 101 },
      { kind: 'allExtensionNumbersOfType', type: 'nope.Nope' },
    ];
    for (const query of queries) {
      const answer = ask(query);
      assert.equal(answer.kind, 'error');
      assert.equal((answer as { code: number }).code, Status.NOT_FOUND);
    }
  });

  it('round-trips requests through the wire codec, host and all', () => {
    const bytes = encodeReflectionRequest({ kind: 'fileContainingExtension', containingType: 'legacy.Base', extensionNumber: 150, host: 'h' });
    const decoded = decodeReflectionRequest(bytes);
    assert.equal(decoded.kind, 'fileContainingExtension');
    assert.equal(decoded.host, 'h');
    assert.deepEqual(decoded.raw, bytes);
  });
});

describe('our reflection server, read by real reflection clients', () => {
  let server: Server;
  let address: string;
  before(async () => {
    server = createServer({ reflection: true });
    server.addService(Catalog, {
      GetItem: (r: any) => ({ itemId: r.itemId, labels: { color: 'red' }, count: 3 }),
      async *ListItems() {
        yield { itemId: 'a' };
        yield { itemId: 'b' };
      },
    });
    server.addService(Legacy, { Echo: (r: any) => r });
    address = await server.listen('127.0.0.1:0');
  });
  after(() => server.forceClose());

  for (const version of ['v1', 'v1alpha']) {
    it(`grpc-go's ${version} client lists, fetches, builds the files with protodesc and calls through them`, async () => {
      const { stdout } = await run(reflectClient(), ['-addr', address, '-version', version, '-ext-type', 'legacy.Base', '-ext-number', '150', '-call', 'shop.v1.Catalog/GetItem', '-json', '{"itemId":"x1"}'], { timeout: 30_000 });
      const report = JSON.parse(stdout);
      assert.deepEqual(report.services, ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection', 'legacy.Legacy', 'shop.v1.Catalog']);
      assert.deepEqual(report.files, [
        'catalog.proto',
        'google/protobuf/empty.proto',
        'google/protobuf/timestamp.proto',
        'grpc/reflection/v1/reflection.proto',
        'grpc/reflection/v1alpha/reflection.proto',
        'legacy.proto',
        'sub/money.proto',
      ]);
      // Every listed service, the reflection services too, has its file.
      assert.deepEqual(Object.keys(report.errors).filter((k) => !k.startsWith('probe:')), []);
      assert.deepEqual(report.methods['grpc.reflection.v1.ServerReflection'].map((m: any) => [m.name, m.input, m.clientStream, m.serverStream]), [
        ['ServerReflectionInfo', 'grpc.reflection.v1.ServerReflectionRequest', true, true],
      ]);
      assert.deepEqual(
        report.methods['shop.v1.Catalog'].map((m: any) => [m.name, m.input, m.output, m.clientStream, m.serverStream]),
        [
          ['GetItem', 'shop.v1.GetItemRequest', 'shop.v1.Item', false, false],
          ['ListItems', 'google.protobuf.Empty', 'shop.v1.Item', false, true],
          ['AddItems', 'shop.v1.Item', 'google.protobuf.Empty', true, false],
          ['Sync', 'shop.v1.Item', 'shop.v1.Item', true, true],
        ],
      );
      assert.deepEqual(report.messages['shop.v1.Item'], [
        'item_id: optional string=1',
        'price: optional shop.common.Money=2 presence',
        'labels: map<string,string>=3',
        'prices_by_region: map<string,message>=4',
        'count: optional int32=5 oneof stock presence',
        'unlimited: optional bool=6 oneof stock presence',
        'note: optional string=7 oneof _note presence',
        'kind: optional shop.v1.Item.Kind=8',
        'dimensions: repeated shop.v1.Item.Dimension=9',
        'added: optional google.protobuf.Timestamp=10 presence',
      ]);
      assert.deepEqual(report.messages['legacy.Base'], ['id: required string=1 presence', 'size: optional int32=2 presence', 'codes: repeated int32=3']);
      assert.deepEqual(report.extensionNumbers, [100, 150]);
      assert.equal(report.extensionFile, 'legacy.proto');
      for (const probe of ['fileByFilename', 'fileContainingSymbol', 'fileContainingExtension']) {
        assert.match(report.errors[`probe:${probe}`], /^5 /, probe);
      }
      assert.deepEqual(report.callResponse, { itemId: 'x1', labels: { color: 'red' }, count: 3 });
    });
  }

  it('grpcurl lists, describes and calls (unary and server streaming) through reflection', async () => {
    const bin = grpcurl();
    const list = await run(bin, ['-plaintext', address, 'list'], { timeout: 30_000 });
    assert.deepEqual(list.stdout.trim().split('\n'), ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection', 'legacy.Legacy', 'shop.v1.Catalog']);
    const methods = await run(bin, ['-plaintext', address, 'list', 'shop.v1.Catalog'], { timeout: 30_000 });
    assert.deepEqual(methods.stdout.trim().split('\n'), ['shop.v1.Catalog.AddItems', 'shop.v1.Catalog.GetItem', 'shop.v1.Catalog.ListItems', 'shop.v1.Catalog.Sync']);
    const describeBase = await run(bin, ['-plaintext', address, 'describe', 'legacy.Base'], { timeout: 30_000 });
    assert.match(describeBase.stdout, /optional int32 size = 2 \[default = 7\];/);
    assert.match(describeBase.stdout, /extensions 100 to 199;/);
    const unary = await run(bin, ['-plaintext', '-d', '{"item_id":"z"}', address, 'shop.v1.Catalog/GetItem'], { timeout: 30_000 });
    assert.deepEqual(JSON.parse(unary.stdout), { itemId: 'z', labels: { color: 'red' }, count: 3 });
    const stream = await run(bin, ['-plaintext', address, 'shop.v1.Catalog/ListItems'], { timeout: 30_000 });
    assert.deepEqual(stream.stdout.trim().split(/\n(?=\{)/).map((s) => JSON.parse(s)), [{ itemId: 'a' }, { itemId: 'b' }]);
  });

  it('ends the stream with INVALID_ARGUMENT for a request that asks nothing', async () => {
    const client = createClient(reflectionV1, address);
    try {
      const replies = client.ServerReflectionInfo([{ kind: 'none', host: '', raw: new Uint8Array(0) }]);
      await assert.rejects(
        (async () => {
          for await (const _ of replies) assert.fail('no answer expected');
        })(),
        (err: unknown) => err instanceof GrpcError && err.code === Status.INVALID_ARGUMENT,
      );
    } finally {
      await client.close();
    }
  });

  it('is off unless asked for', async () => {
    const plain = createServer();
    plain.addService(Catalog, {});
    const at = await plain.listen('127.0.0.1:0');
    const client = createClient(reflectionV1, at);
    try {
      await assert.rejects(
        (async () => {
          for await (const _ of client.ServerReflectionInfo([{ kind: 'listServices', host: '', raw: new Uint8Array(0) }])) assert.fail('no answer expected');
        })(),
        (err: unknown) => err instanceof GrpcError && err.code === Status.UNIMPLEMENTED,
      );
    } finally {
      await client.close();
      await plain.forceClose();
    }
  });
});
