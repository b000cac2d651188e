// A definition in the shape ts-proto generates for grpc-js (`outputServices=grpc-js`): lower-camel keys,
// `as const` stream flags, serializers taking and returning Buffer. It types handlers and client methods
// with no annotation (checked by `tsc --noEmit -p test/tsconfig.json`) and works at run time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from '../../src/grpc/server.js';
import { createClient } from '../../src/grpc/client.js';

interface TestRequest {
  Input: number;
}
interface TestResponse {
  Output: number;
}
// What ts-proto emits for a message: encode/decode over protobuf wire bytes (here: field 1/2 varint).
const TestRequest = {
  encode: (m: TestRequest): Uint8Array => Uint8Array.from(m.Input ? [0x08, m.Input] : []),
  decode: (b: Uint8Array): TestRequest => ({ Input: b.length ? b[1]! : 0 }),
};
const TestResponse = {
  encode: (m: TestResponse): Uint8Array => Uint8Array.from(m.Output ? [0x10, m.Output] : []),
  decode: (b: Uint8Array): TestResponse => ({ Output: b.length ? b[1]! : 0 }),
};

export type TestService = typeof TestService;
export const TestService = {
  double: {
    path: '/grpctest.Test/Double',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: TestRequest): Buffer => Buffer.from(TestRequest.encode(value)),
    requestDeserialize: (value: Buffer): TestRequest => TestRequest.decode(value),
    responseSerialize: (value: TestResponse): Buffer => Buffer.from(TestResponse.encode(value)),
    responseDeserialize: (value: Buffer): TestResponse => TestResponse.decode(value),
  },
  stream: {
    path: '/grpctest.Test/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: (value: TestRequest): Buffer => Buffer.from(TestRequest.encode(value)),
    requestDeserialize: (value: Buffer): TestRequest => TestRequest.decode(value),
    responseSerialize: (value: TestResponse): Buffer => Buffer.from(TestResponse.encode(value)),
    responseDeserialize: (value: Buffer): TestResponse => TestResponse.decode(value),
  },
} as const;

describe('a ts-proto grpc-js service definition', () => {
  it('gives typed handlers and client methods and serves calls', async () => {
    const server = createServer();
    assert.throws(
      () =>
        server.addService(TestService, {
          double: (req) => ({ Output: req.Input * 2 }),
          // @ts-expect-error a handler for a method the service does not have
          triple: () => ({ Output: 0 }),
        }),
      /handler "triple" matches no method of the service/,
    );
    const real = createServer();
    real.addService(TestService, {
      double: (req) => ({ Output: req.Input * 2 }),
      async *stream(requests) {
        for await (const r of requests) yield { Output: r.Input * 2 };
      },
    });
    const address = await real.listen('127.0.0.1:0');
    const client = createClient(TestService, address);
    try {
      const reply = await client.double({ Input: 21 });
      const n: number = reply.Output;
      assert.equal(n, 42);
      // @ts-expect-error the request type is TestRequest
      const wrong = () => client.double({ input: 'x' });
      void wrong;
      const out: number[] = [];
      for await (const r of client.stream([{ Input: 1 }, { Input: 2 }])) out.push(r.Output);
      assert.deepEqual(out, [2, 4]);
    } finally {
      await client.close();
      await real.close(100);
      await server.close(0);
    }
  });
});
