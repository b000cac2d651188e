import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { createServer } from '../../../src/grpc/server.js';
import { createClient } from '../../../src/grpc/client.js';
import { defineService, type ServiceDefinition, type UnaryMethod, type ServerStreamMethod } from '../../../src/grpc/service.js';
import { collect } from '../../helpers/streams.js';

const TEST_PROTO = fileURLToPath(new URL('../../fixtures/goplugin/test.proto', import.meta.url));

describe('service definitions from other sources work with createServer/createClient', () => {
  it('@grpc/proto-loader + grpc.loadPackageDefinition (grpc-js codegen shape, Buffer serializers)', async () => {
    const packageDefinition = protoLoader.loadSync(TEST_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const loaded = grpc.loadPackageDefinition(packageDefinition) as any;
    const definition = loaded.grpctest.Test.service as ServiceDefinition;
    const printed: unknown[] = [];
    const server = createServer();
    server.addService(definition, {
      Double: (req: { Input: number }) => ({ Output: req.Input * 2 }),
      // proto-loader's originalName for PrintKV is "printKv".
      printKv: (req: { Key: string; Value: string; ValueString?: string; ValueInt?: number }) => {
        printed.push(req);
        return {};
      },
      Stream: async function* (requests: AsyncIterable<{ Input: number }>) {
        for await (const r of requests) yield { Output: r.Input + 1 };
      },
    });
    const address = await server.listen('127.0.0.1:0');
    const client = createClient(definition, address);
    try {
      assert.deepEqual({ ...(await client.Double!({ Input: 21 })) }, { Output: 42 });
      assert.deepEqual({ ...(await client.printKv!({ Key: 'k', ValueString: 'v' })) }, {});
      assert.deepEqual(printed.map((p) => ({ ...(p as object) })), [{ Key: 'k', ValueString: 'v', Value: 'ValueString' }]);
      const outs = await collect(client.Stream!([{ Input: 1 }, { Input: 2 }]) as AsyncIterable<{ Output: number }>);
      assert.deepEqual(outs.map((o) => o.Output), [2, 3]);
    } finally {
      await client.close();
      await server.forceClose();
    }
  });

  it('a hand-written defineService definition with JSON serializers', async () => {
    const json = <T>() => ({
      serialize: (v: T): Uint8Array => new TextEncoder().encode(JSON.stringify(v)),
      deserialize: (b: Uint8Array): T => JSON.parse(new TextDecoder().decode(b)) as T,
    });
    type Req = { name: string };
    type Res = { greeting: string };
    const definition = defineService({
      Greet: {
        path: '/hand.Greeter/Greet',
        requestStream: false,
        responseStream: false,
        requestSerialize: json<Req>().serialize,
        requestDeserialize: json<Req>().deserialize,
        responseSerialize: json<Res>().serialize,
        responseDeserialize: json<Res>().deserialize,
      } satisfies UnaryMethod<Req, Res>,
      Repeat: {
        path: '/hand.Greeter/Repeat',
        requestStream: false,
        responseStream: true,
        requestSerialize: json<Req>().serialize,
        requestDeserialize: json<Req>().deserialize,
        responseSerialize: json<Res>().serialize,
        responseDeserialize: json<Res>().deserialize,
      } satisfies ServerStreamMethod<Req, Res>,
    });
    const server = createServer();
    server.addService(definition, {
      greet: (req) => ({ greeting: `hello ${req.name}` }),
      Repeat: async function* (req) {
        for (let i = 0; i < 3; i++) yield { greeting: `${i}:${req.name}` };
      },
    });
    const address = await server.listen('127.0.0.1:0');
    const client = createClient(definition, address);
    try {
      assert.deepEqual(await client.Greet({ name: 'ann' }), { greeting: 'hello ann' });
      assert.deepEqual(await client.greet({ name: 'bob' }), { greeting: 'hello bob' });
      assert.deepEqual(await collect(client.repeat({ name: 'cy' })), [{ greeting: '0:cy' }, { greeting: '1:cy' }, { greeting: '2:cy' }]);
    } finally {
      await client.close();
      await server.forceClose();
    }
  });

  it('defineService rejects a method without a path, naming the method', () => {
    assert.throws(() => defineService({ Broken: { path: 'no-slash' } as any }), /method "Broken" needs a path such as "\/package.Service\/Broken"/);
  });

  it('addService rejects a handler name that matches no method, listing the methods', () => {
    const definition = grpc.loadPackageDefinition(protoLoader.loadSync(TEST_PROTO)) as any;
    const server = createServer();
    assert.throws(() => server.addService(definition.grpctest.Test.service, { Dubble: () => ({}) } as any), /handler "Dubble" matches no method of the service; methods: Double, PrintKV/);
  });

  it('addService rejects a second registration of the same method', () => {
    const definition = grpc.loadPackageDefinition(protoLoader.loadSync(TEST_PROTO)) as any;
    const server = createServer();
    server.addService(definition.grpctest.Test.service, { Double: () => ({}) });
    assert.throws(() => server.addService(definition.grpctest.Test.service, { Double: () => ({}) }), /already registered/);
  });
});
