// Interop with @grpc/grpc-js 1.14 (a devDependency, never used at run time), the gRPC library most Node
// programs use: its client against our server and our client against its server, over a unix socket
// and over TCP on 127.0.0.1, with grpc.testing.TestService (test/fixtures/interop).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createClient, type Client } from '../../src/grpc/client.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import type { Metadata } from '../../src/grpc/metadata.js';
import type { ServiceDefinition } from '../../src/grpc/service.js';
import {
  ECHO_INITIAL_KEY,
  ECHO_TRAILING_KEY,
  INTEROP_PROTO_DIR,
  loadInteropProto,
  startInteropServer,
  type InteropServer,
  type SimpleResponse,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
} from '../helpers/interop-service.js';
import { collect, pacedRequests } from '../helpers/streams.js';

const MiB = 1024 * 1024;
/** A response body whose SimpleResponse stays just under the 4 MiB receive limit both libraries default to. */
const NEAR_LIMIT = 4 * MiB - 64;
/** Percent signs, control characters, BMP and non-BMP characters: everything grpc-message encoding must carry. */
const SPECIAL_MESSAGE = '\t\n100% failed: unicode BMP ☺, non-BMP 😈, "quotes"\r\n';
const TRAILING_BIN = new Uint8Array([0xab, 0x00, 0xff, 0x10]);
const SIZES = { requests: [27182, 8, 1828, 45904], responses: [31415, 9, 2653, 58979] };

const zeros = (n: number) => ({ body: new Uint8Array(n) });

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'grpcjs-interop-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

// ---- grpc-js side ---------------------------------------------------------------------------------

const packageDefinition = protoLoader.loadSync('grpc/testing/test.proto', {
  includeDirs: [INTEROP_PROTO_DIR],
  defaults: true,
  enums: String,
  longs: String,
});
const testing = (grpc.loadPackageDefinition(packageDefinition) as any).grpc.testing;
type JsClient = grpc.Client & Record<string, any>;

/** grpc-js's version of the interop TestService, written in grpc-js's callback style. */
function grpcJsTestService(): grpc.UntypedServiceImplementation {
  const echo = (call: { metadata: grpc.Metadata }) => {
    const header = new grpc.Metadata();
    const trailer = new grpc.Metadata();
    for (const v of call.metadata.get(ECHO_INITIAL_KEY)) header.add(ECHO_INITIAL_KEY, v);
    for (const v of call.metadata.get(ECHO_TRAILING_KEY)) trailer.add(ECHO_TRAILING_KEY, v);
    return { header, trailer };
  };
  const payload = (size: number) => ({ type: 'COMPRESSABLE', body: Buffer.alloc(size) });
  const failWith = (status: { code: number; message: string } | null | undefined, trailer: grpc.Metadata) =>
    status && status.code ? { code: status.code, details: status.message, metadata: trailer } : undefined;

  return {
    EmptyCall: (_call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => callback(null, {}),
    UnaryCall: (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
      const { header, trailer } = echo(call);
      call.sendMetadata(header);
      const error = failWith(call.request.responseStatus, trailer);
      if (error) return callback(error);
      callback(null, { payload: payload(call.request.responseSize) }, trailer);
    },
    StreamingOutputCall: async (call: grpc.ServerWritableStream<any, any>) => {
      const { trailer } = echo(call);
      for (const p of call.request.responseParameters) {
        if (p.intervalUs > 0) await sleep(p.intervalUs / 1000);
        if (call.cancelled) return;
        call.write({ payload: payload(p.size) });
      }
      call.end(trailer);
    },
    StreamingInputCall: (call: grpc.ServerReadableStream<any, any>, callback: grpc.sendUnaryData<any>) => {
      let sum = 0;
      call.on('data', (r) => (sum += r.payload?.body?.length ?? 0));
      call.on('end', () => callback(null, { aggregatedPayloadSize: sum }));
    },
    FullDuplexCall: (call: grpc.ServerDuplexStream<any, any>) => {
      const { header, trailer } = echo(call);
      call.sendMetadata(header);
      call.on('data', (r) => {
        const error = failWith(r.responseStatus, trailer);
        if (error) return call.emit('error', error);
        for (const p of r.responseParameters) call.write({ payload: payload(p.size) });
      });
      call.on('end', () => call.end(trailer));
    },
  };
}

async function startGrpcJsServer(address: string): Promise<{ address: string; close(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(testing.TestService.service, grpcJsTestService());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const bound = address.startsWith('unix:') ? address : `127.0.0.1:${port}`;
  return {
    address: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 1000).unref();
      }),
  };
}

function jsClient(service: 'TestService' | 'UnimplementedService', address: string, options: grpc.ChannelOptions = {}): JsClient {
  return new testing[service](address, grpc.credentials.createInsecure(), options) as JsClient;
}

interface JsResult<T> {
  value: T;
  header: grpc.Metadata | undefined;
  trailer: grpc.Metadata | undefined;
}

/** A grpc-js unary call as a promise, with the response header and trailers. */
function jsUnary<T>(client: JsClient, method: string, request: unknown, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<JsResult<T>> {
  return new Promise((resolve, reject) => {
    let header: grpc.Metadata | undefined;
    let trailer: grpc.Metadata | undefined;
    let result: { err: grpc.ServiceError | null; value: T } | undefined;
    const done = () => {
      if (!result || !trailer) return;
      if (result.err) reject(result.err);
      else resolve({ value: result.value, header, trailer });
    };
    const call = client[method](request, metadata, options, (err: grpc.ServiceError | null, value: T) => {
      result = { err, value };
      if (err) trailer ??= err.metadata;
      done();
    });
    call.on('metadata', (md: grpc.Metadata) => (header = md));
    call.on('status', (s: grpc.StatusObject) => {
      trailer = s.metadata;
      done();
    });
  });
}

/** Reads a grpc-js response stream to its end; rejects with the call's error status. */
function jsReadAll<T>(call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<any, T>): Promise<JsResult<T[]>> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    let header: grpc.Metadata | undefined;
    call.on('metadata', (md) => (header = md));
    call.on('data', (v: T) => values.push(v));
    call.on('error', reject);
    call.on('status', (s) => {
      if (s.code === grpc.status.OK) resolve({ value: values, header, trailer: s.metadata });
    });
  });
}

async function assertJsStatus(promise: Promise<unknown>, code: grpc.status, details?: string): Promise<grpc.ServiceError> {
  let caught: grpc.ServiceError | undefined;
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `status code (details: ${err.details})`);
    if (details !== undefined) assert.equal(err.details, details);
    caught = err;
    return true;
  });
  return caught!;
}

// ---- our side -------------------------------------------------------------------------------------

type OurClient = Client<ServiceDefinition>;

async function assertStatus(promise: Promise<unknown>, code: Status, details?: string): Promise<GrpcError> {
  let caught: GrpcError | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GrpcError, `expected a GrpcError, got ${String(err)}`);
    assert.equal(err.code, code, `status code (details: ${err.details})`);
    if (details !== undefined) assert.equal(err.details, details);
    caught = err;
    return true;
  });
  return caught!;
}

// ---- a byte-counting relay, to see compression on the wire ----------------------------------------

interface Relay {
  address: string;
  /** bytes relayed client → server and server → client since the last reset */
  up: number;
  down: number;
  reset(): void;
  close(): Promise<void>;
}

async function startRelay(target: string, listenOn: string): Promise<Relay> {
  const to = target.startsWith('unix:') ? { path: target.slice(5) } : { host: '127.0.0.1', port: Number(target.split(':').pop()) };
  const sockets = new Set<net.Socket>();
  const relay: Relay = {
    address: '',
    up: 0,
    down: 0,
    reset() {
      relay.up = relay.down = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((inbound) => {
    const outbound = net.connect(to);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    inbound.on('data', (c: Buffer) => (relay.up += c.length));
    outbound.on('data', (c: Buffer) => (relay.down += c.length));
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  if (listenOn.startsWith('unix:')) {
    await new Promise<void>((resolve) => server.listen(listenOn.slice(5), resolve));
    relay.address = listenOn;
  } else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay.address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }
  return relay;
}

// ---- the tests --------------------------------------------------------------------------------------

const TRANSPORTS = ['unix socket', 'TCP 127.0.0.1'] as const;
const listenAddress = (transport: (typeof TRANSPORTS)[number], name: string) =>
  transport === 'unix socket' ? `unix:${join(dir, `${name}.sock`)}` : '127.0.0.1:0';

for (const transport of TRANSPORTS) {
  describe(`@grpc/grpc-js client → our server over ${transport}`, () => {
    let server: InteropServer;
    let gzipServer: InteropServer;
    let relay: Relay;
    let client: JsClient;
    before(async () => {
      server = await startInteropServer({ address: listenAddress(transport, 'ours') });
      gzipServer = await startInteropServer({ address: listenAddress(transport, 'ours-gzip'), compression: 'gzip' });
      relay = await startRelay(gzipServer.address, listenAddress(transport, 'ours-relay'));
      client = jsClient('TestService', server.address);
    });
    after(async () => {
      client?.close();
      await relay?.close();
      await server?.close();
      await gzipServer?.close();
    });

    it('unary: a 271828-byte request and a 314159-byte response', async () => {
      const { value } = await jsUnary<any>(client, 'UnaryCall', { responseSize: 314159, payload: zeros(271828) });
      assert.equal(value.payload.body.length, 314159);
      assert.ok(value.payload.body.every((b: number) => b === 0));
    });

    it('server streaming: four responses of the sizes asked for, in order', async () => {
      const call = client.StreamingOutputCall({ responseParameters: SIZES.responses.map((size) => ({ size })) });
      const { value } = await jsReadAll<any>(call);
      assert.deepEqual(value.map((r) => r.payload.body.length), SIZES.responses);
    });

    it('client streaming: the server sums four request payloads', async () => {
      const reply = await new Promise<any>((resolve, reject) => {
        const call = client.StreamingInputCall((err: Error | null, r: unknown) => (err ? reject(err) : resolve(r)));
        for (const n of SIZES.requests) call.write({ payload: zeros(n) });
        call.end();
      });
      assert.equal(reply.aggregatedPayloadSize, 74922);
    });

    it('bidi streaming: ping-pong, one response per request before the next request', async () => {
      const call = client.FullDuplexCall();
      const sizes: number[] = [];
      await new Promise<void>((resolve, reject) => {
        let i = 0;
        const send = () => call.write({ responseParameters: [{ size: SIZES.responses[i] }], payload: zeros(SIZES.requests[i]!) });
        call.on('data', (r: any) => {
          sizes.push(r.payload.body.length);
          if (++i < SIZES.requests.length) send();
          else call.end();
        });
        call.on('error', reject);
        call.on('status', (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : undefined));
        send();
      });
      assert.deepEqual(sizes, SIZES.responses);
    });

    it('metadata both ways: an ASCII key echoed in the header, a -bin key echoed in the trailers', async () => {
      const md = new grpc.Metadata();
      md.set(ECHO_INITIAL_KEY, 'initial value');
      md.set(ECHO_TRAILING_KEY, Buffer.from(TRAILING_BIN));
      const unary = await jsUnary<any>(client, 'UnaryCall', { responseSize: 1 }, md);
      assert.deepEqual(unary.header?.get(ECHO_INITIAL_KEY), ['initial value']);
      assert.deepEqual(unary.trailer?.get(ECHO_TRAILING_KEY), [Buffer.from(TRAILING_BIN)]);

      const call = client.FullDuplexCall(md);
      call.write({ responseParameters: [{ size: 1 }] });
      call.end();
      const stream = await jsReadAll<any>(call);
      assert.deepEqual(stream.header?.get(ECHO_INITIAL_KEY), ['initial value']);
      assert.deepEqual(stream.trailer?.get(ECHO_TRAILING_KEY), [Buffer.from(TRAILING_BIN)]);
    });

    it('status: the code and a message with %, control, BMP and non-BMP characters arrive intact, with trailers', async () => {
      const md = new grpc.Metadata();
      md.set(ECHO_TRAILING_KEY, Buffer.from(TRAILING_BIN));
      const err = await assertJsStatus(
        jsUnary(client, 'UnaryCall', { responseStatus: { code: Status.FAILED_PRECONDITION, message: SPECIAL_MESSAGE } }, md),
        grpc.status.FAILED_PRECONDITION,
        SPECIAL_MESSAGE,
      );
      assert.deepEqual(err.metadata.get(ECHO_TRAILING_KEY), [Buffer.from(TRAILING_BIN)]);

      const call = client.FullDuplexCall();
      call.write({ responseStatus: { code: Status.ABORTED, message: SPECIAL_MESSAGE } });
      call.end();
      await assertJsStatus(jsReadAll(call), grpc.status.ABORTED, SPECIAL_MESSAGE);
    });

    it('deadline: a stream the server keeps open ends with DEADLINE_EXCEEDED', async () => {
      const started = Date.now();
      const call = client.StreamingOutputCall(
        { responseParameters: [{ size: 1 }, { size: 1, intervalUs: 10_000_000 }] },
        { deadline: Date.now() + 200 },
      );
      const err = await assertJsStatus(jsReadAll(call), grpc.status.DEADLINE_EXCEEDED);
      assert.ok(Date.now() - started < 5000, `the deadline took ${Date.now() - started} ms to end the call (${err.details})`);
    });

    it('cancel: cancelling after the first response ends the call with CANCELLED; the server goes on serving', async () => {
      const call = client.FullDuplexCall();
      call.write({ responseParameters: [{ size: 31415 }], payload: zeros(27182) });
      const first = new Promise<void>((resolve) => call.once('data', () => resolve()));
      const ended = jsReadAll(call);
      await first;
      call.cancel();
      await assertJsStatus(ended, grpc.status.CANCELLED);
      await jsUnary(client, 'EmptyCall', {});
    });

    it('unimplemented: an unknown method and an unknown service give UNIMPLEMENTED', async () => {
      await assertJsStatus(jsUnary(client, 'UnimplementedCall', {}), grpc.status.UNIMPLEMENTED);
      const other = jsClient('UnimplementedService', server.address);
      try {
        await assertJsStatus(jsUnary(other, 'UnimplementedCall', {}), grpc.status.UNIMPLEMENTED);
      } finally {
        other.close();
      }
    });

    it('gzip both ways: grpc-js compresses its requests, our server its responses (checked on the wire)', async () => {
      const gzipClient = jsClient('TestService', relay.address, { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
      try {
        await jsUnary(gzipClient, 'EmptyCall', {}); // connection set-up is not counted
        relay.reset();
        const { value } = await jsUnary<any>(gzipClient, 'UnaryCall', { responseSize: MiB, payload: zeros(MiB) });
        assert.equal(value.payload.body.length, MiB);
        assert.ok(relay.up < 64 * 1024, `client → server carried ${relay.up} bytes for a 1 MiB request of zeros`);
        assert.ok(relay.down < 64 * 1024, `server → client carried ${relay.down} bytes for a 1 MiB response of zeros`);
      } finally {
        gzipClient.close();
      }
    });

    it('a message near 4 MiB each way passes; one over the client limit gives RESOURCE_EXHAUSTED', async () => {
      const { value } = await jsUnary<any>(client, 'UnaryCall', { responseSize: NEAR_LIMIT, payload: zeros(NEAR_LIMIT) });
      assert.equal(value.payload.body.length, NEAR_LIMIT);
      await assertJsStatus(jsUnary(client, 'UnaryCall', { responseSize: 4 * MiB + 1 }), grpc.status.RESOURCE_EXHAUSTED);
    });
  });

  describe(`our client → @grpc/grpc-js server over ${transport}`, () => {
    let server: { address: string; close(): Promise<void> };
    let relay: Relay;
    let client: OurClient;
    before(async () => {
      server = await startGrpcJsServer(listenAddress(transport, 'grpcjs'));
      relay = await startRelay(server.address, listenAddress(transport, 'grpcjs-relay'));
      client = createClient(loadInteropProto().TestService, server.address);
    });
    after(async () => {
      await client?.close();
      await relay?.close();
      await server?.close();
    });

    it('unary: a 271828-byte request and a 314159-byte response', async () => {
      const reply = (await client.UnaryCall({ responseSize: 314159, payload: zeros(271828) })) as SimpleResponse;
      assert.equal(reply.payload?.body?.length, 314159);
      assert.ok(reply.payload?.body?.every((b) => b === 0));
    });

    it('server streaming: four responses of the sizes asked for, in order', async () => {
      const replies = (await collect(client.StreamingOutputCall({ responseParameters: SIZES.responses.map((size) => ({ size })) }))) as StreamingOutputCallResponse[];
      assert.deepEqual(replies.map((r) => r.payload?.body?.length), SIZES.responses);
    });

    it('client streaming: the server sums four request payloads', async () => {
      const reply = (await client.StreamingInputCall(SIZES.requests.map((n) => ({ payload: zeros(n) })))) as StreamingInputCallResponse;
      assert.equal(reply.aggregatedPayloadSize, 74922);
    });

    it('bidi streaming: ping-pong, one response per request before the next request', async () => {
      const requests = pacedRequests<StreamingOutputCallRequest>(SIZES.requests.map((n, i) => ({ responseParameters: [{ size: SIZES.responses[i]! }], payload: zeros(n) })));
      const sizes: number[] = [];
      for await (const r of client.FullDuplexCall(requests) as AsyncIterable<StreamingOutputCallResponse>) {
        sizes.push(r.payload?.body?.length ?? -1);
        requests.release();
      }
      assert.deepEqual(sizes, SIZES.responses);
    });

    it('metadata both ways: an ASCII key echoed in the header, a -bin key echoed in the trailers', async () => {
      const metadata = { [ECHO_INITIAL_KEY]: 'initial value', [ECHO_TRAILING_KEY]: TRAILING_BIN };
      for (const kind of ['unary', 'bidi'] as const) {
        let header: Metadata | undefined;
        let trailer: Metadata | undefined;
        const options = { metadata, onHeader: (md: Metadata) => (header = md), onTrailer: (md: Metadata) => (trailer = md) };
        if (kind === 'unary') await client.UnaryCall({ responseSize: 1 }, options);
        else await collect(client.FullDuplexCall([{ responseParameters: [{ size: 1 }] }], options));
        assert.deepEqual(header?.getAll(ECHO_INITIAL_KEY), ['initial value'], kind);
        assert.deepEqual(trailer?.getAll(ECHO_TRAILING_KEY).map((v) => new Uint8Array(v as Uint8Array)), [TRAILING_BIN], kind);
      }
    });

    it('status: the code and a message with %, control, BMP and non-BMP characters arrive intact, with trailers', async () => {
      const err = await assertStatus(
        client.UnaryCall({ responseStatus: { code: Status.FAILED_PRECONDITION, message: SPECIAL_MESSAGE } }, { metadata: { [ECHO_TRAILING_KEY]: TRAILING_BIN } }),
        Status.FAILED_PRECONDITION,
        SPECIAL_MESSAGE,
      );
      assert.deepEqual(err.metadata?.getAll(ECHO_TRAILING_KEY).map((v) => new Uint8Array(v as Uint8Array)), [TRAILING_BIN]);
      await assertStatus(collect(client.FullDuplexCall([{ responseStatus: { code: Status.ABORTED, message: SPECIAL_MESSAGE } }])), Status.ABORTED, SPECIAL_MESSAGE);
    });

    it('deadline: a stream the server keeps open ends with DEADLINE_EXCEEDED', async () => {
      const started = Date.now();
      const stop = new AbortController();
      const requests = pacedRequests<StreamingOutputCallRequest>([{ responseParameters: [{ size: 1 }] }, {}], stop.signal);
      try {
        await assertStatus(collect(client.FullDuplexCall(requests, { timeoutMs: 200 })), Status.DEADLINE_EXCEEDED);
      } finally {
        stop.abort();
      }
      assert.ok(Date.now() - started < 5000, `the deadline took ${Date.now() - started} ms to end the call`);
    });

    it('cancel: cancelling after the first response ends the call with CANCELLED; the server goes on serving', async () => {
      const controller = new AbortController();
      const requests = pacedRequests<StreamingOutputCallRequest>([{ responseParameters: [{ size: 31415 }], payload: zeros(27182) }, {}], controller.signal);
      const seen: number[] = [];
      await assertStatus(
        (async () => {
          for await (const r of client.FullDuplexCall(requests, { signal: controller.signal }) as AsyncIterable<StreamingOutputCallResponse>) {
            seen.push(r.payload?.body?.length ?? -1);
            controller.abort();
          }
        })(),
        Status.CANCELLED,
      );
      assert.deepEqual(seen, [31415]);
      assert.deepEqual(await client.EmptyCall({}), {});
    });

    it('unimplemented: an unknown method and an unknown service give UNIMPLEMENTED', async () => {
      await assertStatus(client.UnimplementedCall({}), Status.UNIMPLEMENTED);
      const other = createClient(loadInteropProto().UnimplementedService, client.channel);
      await assertStatus(other.UnimplementedCall({}), Status.UNIMPLEMENTED);
    });

    it('gzip: our compressed requests decode in grpc-js (checked on the wire)', async () => {
      const gzipClient = createClient(loadInteropProto().TestService, relay.address, { compression: 'gzip' });
      try {
        await gzipClient.EmptyCall({}); // connection set-up is not counted
        relay.reset();
        const reply = (await gzipClient.UnaryCall({ responseSize: 1, payload: zeros(MiB) })) as SimpleResponse;
        assert.equal(reply.payload?.body?.length, 1);
        assert.ok(relay.up < 64 * 1024, `client → server carried ${relay.up} bytes for a 1 MiB request of zeros`);
        const sum = (await gzipClient.StreamingInputCall([{ payload: zeros(MiB) }, { payload: zeros(2 * MiB) }])) as StreamingInputCallResponse;
        assert.equal(sum.aggregatedPayloadSize, 3 * MiB);
      } finally {
        await gzipClient.close();
      }
    });

    it('a message near 4 MiB each way passes; one over the client limit gives RESOURCE_EXHAUSTED', async () => {
      const reply = (await client.UnaryCall({ responseSize: NEAR_LIMIT, payload: zeros(NEAR_LIMIT) })) as SimpleResponse;
      assert.equal(reply.payload?.body?.length, NEAR_LIMIT);
      await assertStatus(client.UnaryCall({ responseSize: 4 * MiB + 1 }), Status.RESOURCE_EXHAUSTED);
    });
  });
}
