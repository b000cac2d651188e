import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import zlib from 'node:zlib';
import { createClient } from '../../src/grpc/client.js';
import { createServer, type ServerOptions } from '../../src/grpc/server.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import type { ServerCallContext } from '../../src/grpc/service.js';
import { FrameDecoder } from '../../src/grpc/framing.js';
import { CallsService, serve, delay, rawConnect, rawRequest, statusOf, encodeFrame, tempDir, type Running } from './helpers.js';

type Num = { n: number; data?: Uint8Array; text?: string };

const isCode = (code: Status, details?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof GrpcError, String(err));
  assert.equal(err.code, code, err.details);
  if (details) assert.match(err.details, details);
  return true;
};

const dir = tempDir('grpc-limits-');
after(() => dir.remove());

/** Bytes that compress well, so gzip is worth it. */
const text = (n: number) => new TextEncoder().encode('all work and no play makes jack a dull boy. '.repeat(Math.ceil(n / 44)).slice(0, n));

describe('message size limits (docs/node-http2.md#message-size-limits)', () => {
  it('server receive limit: a larger request gets RESOURCE_EXHAUSTED and never reaches the handler', async () => {
    let calls = 0;
    const running = await serve(CallsService, { Unary: (req: Num) => (calls++, { n: req.data?.length ?? 0 }) }, { maxReceiveMessageSize: 1024 });
    const client = createClient(CallsService, running.address);
    try {
      await assert.rejects(client.Unary({ n: 0, data: new Uint8Array(2000) }), isCode(Status.RESOURCE_EXHAUSTED, /larger than max/));
      assert.equal(calls, 0);
      assert.equal(((await client.Unary({ n: 0, data: new Uint8Array(1000) })) as Num).n, 1000);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('server receive limit: checked from the length prefix, before the body arrives', async () => {
    const running = await serve(CallsService, { Unary: (req: Num) => req }, { maxReceiveMessageSize: 1024 });
    const session = await rawConnect(running.address);
    try {
      // Only the 5-byte prefix of a 1 GiB message, and the request stays open: the answer must not wait.
      const stream = session.request({ ':method': 'POST', ':path': '/behave.Calls/Unary', 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => {});
      stream.write(Uint8Array.of(0, 0x40, 0, 0, 0));
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) => {
        stream.on('response', (h, flags) => flags & http2.constants.NGHTTP2_FLAG_END_STREAM && resolve(h));
        stream.on('trailers', (h) => resolve(h));
      });
      assert.equal(trailers['grpc-status'], String(Status.RESOURCE_EXHAUSTED));
      stream.close();
    } finally {
      session.close();
      await running.close();
    }
  });

  it('client receive limit: a larger response fails the call with RESOURCE_EXHAUSTED', async () => {
    const running = await serve(CallsService, { Unary: (req: Num) => ({ n: 0, data: new Uint8Array(req.n) }) });
    const client = createClient(CallsService, running.address, { maxReceiveMessageSize: 1024 });
    try {
      await assert.rejects(client.Unary({ n: 2000 }), isCode(Status.RESOURCE_EXHAUSTED, /larger than max/));
      assert.equal(((await client.Unary({ n: 1000 })) as Num).data?.length, 1000);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('the default receive limit is 4 MiB on both sides', async () => {
    const MiB = 1024 * 1024;
    const running = await serve(CallsService, { Unary: (req: Num) => ({ n: req.data?.length ?? 0, data: new Uint8Array(req.n) }) });
    const client = createClient(CallsService, running.address);
    try {
      await assert.rejects(client.Unary({ n: 0, data: new Uint8Array(4 * MiB) }), isCode(Status.RESOURCE_EXHAUSTED));
      await assert.rejects(client.Unary({ n: 4 * MiB }), isCode(Status.RESOURCE_EXHAUSTED));
      const res = (await client.Unary({ n: 4 * MiB - 16, data: new Uint8Array(4 * MiB - 16) })) as Num;
      assert.equal(res.n, 4 * MiB - 16);
      assert.equal(res.data?.length, 4 * MiB - 16);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('server send limit: a larger response fails with RESOURCE_EXHAUSTED', async () => {
    const running = await serve(CallsService, { Unary: (req: Num) => ({ n: 0, data: new Uint8Array(req.n) }) }, { maxSendMessageSize: 1024 });
    const client = createClient(CallsService, running.address);
    try {
      await assert.rejects(client.Unary({ n: 2000 }), isCode(Status.RESOURCE_EXHAUSTED, /sent message larger than max/));
      assert.equal(((await client.Unary({ n: 1000 })) as Num).data?.length, 1000);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('client send limit: a larger request fails locally with RESOURCE_EXHAUSTED', async () => {
    let calls = 0;
    const running = await serve(CallsService, { Unary: (req: Num) => (calls++, req), Sum: async (reqs: AsyncIterable<Num>) => {
      let n = 0;
      for await (const r of reqs) n += r.data?.length ?? 0;
      return { n };
    } });
    const client = createClient(CallsService, running.address, { maxSendMessageSize: 1024 });
    try {
      await assert.rejects(client.Unary({ n: 0, data: new Uint8Array(2000) }), isCode(Status.RESOURCE_EXHAUSTED, /sent message larger than max/));
      await assert.rejects(client.Sum([{ n: 0, data: new Uint8Array(10) }, { n: 0, data: new Uint8Array(2000) }]), isCode(Status.RESOURCE_EXHAUSTED));
      assert.equal(calls, 0);
      assert.equal(((await client.Sum([{ n: 0, data: new Uint8Array(1000) }])) as Num).n, 1000);
    } finally {
      await client.close();
      await running.close();
    }
  });
});

describe('compression (docs/node-http2.md#compression)', () => {
  const handlers = {
    Unary: (req: Num) => ({ n: req.data?.length ?? 0, data: req.n > 0 ? text(req.n) : new Uint8Array(0) }),
  };

  /** A server whose raw streams are observed: request headers and the first byte (the flag) of the body. */
  async function observedServer(options: ServerOptions) {
    const grpcServer = createServer(options);
    grpcServer.addService(CallsService, handlers);
    const seen: Array<{ encoding: string | undefined; flag: number | undefined }> = [];
    const h2 = http2.createServer();
    h2.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      const entry = { encoding: headers['grpc-encoding'] as string | undefined, flag: undefined as number | undefined };
      seen.push(entry);
      stream.once('data', (chunk: Buffer) => (entry.flag = chunk[0]));
      grpcServer.handleStream(stream, headers, raw);
    });
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(h2.address() as { port: number }).port}`;
    return { seen, address, close: () => new Promise<void>((resolve) => h2.close(() => resolve())) };
  }

  for (const encoding of ['gzip', 'deflate'] as const) {
    it(`client compression "${encoding}": large requests go compressed and flagged, small ones plain`, async () => {
      const server = await observedServer({});
      const client = createClient(CallsService, server.address, { compression: encoding });
      try {
        const big = text(64 * 1024);
        assert.equal(((await client.Unary({ n: 0, data: big })) as Num).n, big.length);
        assert.equal(((await client.Unary({ n: 0, data: text(100) })) as Num).n, 100);
        assert.deepEqual(server.seen, [
          { encoding, flag: 1 },
          { encoding, flag: 0 },
        ]);
      } finally {
        await client.close();
        await server.close();
      }
    });
  }

  it('server compression "gzip": large responses compressed when the client accepts gzip', async () => {
    const running = await serve(CallsService, handlers, { compression: 'gzip' });
    const session = await rawConnect(running.address);
    const client = createClient(CallsService, running.address);
    try {
      const request = encodeFrame(CallsService.Unary!.requestSerialize({ n: 64 * 1024 }));
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary', 'grpc-accept-encoding': 'gzip' }, request);
      assert.equal(statusOf(r).code, '0');
      assert.equal(r.headers['grpc-encoding'], 'gzip');
      const [frame] = new FrameDecoder(2 ** 30).push(r.body);
      assert.equal(frame!.compressed, true);
      assert.ok(frame!.payload.length < 8 * 1024, `compressed to ${frame!.payload.length} bytes`);
      const message = CallsService.Unary!.responseDeserialize(zlib.gunzipSync(frame!.payload));
      assert.deepEqual(Buffer.from(message.data), Buffer.from(text(64 * 1024)));

      // Without grpc-accept-encoding: nothing compressed.
      const plain = await rawRequest(session, { ':path': '/behave.Calls/Unary' }, request);
      assert.equal(plain.headers['grpc-encoding'], undefined);
      assert.equal(plain.body[0], 0);

      // Small responses stay plain even when gzip was agreed.
      const small = await rawRequest(session, { ':path': '/behave.Calls/Unary', 'grpc-accept-encoding': 'gzip' }, encodeFrame(CallsService.Unary!.requestSerialize({ n: 10 })));
      assert.equal(small.body[0], 0);

      // Our client accepts and decodes it.
      const res = (await client.Unary({ n: 64 * 1024 })) as Num;
      assert.deepEqual(Buffer.from(res.data!), Buffer.from(text(64 * 1024)));
    } finally {
      session.close();
      await client.close();
      await running.close();
    }
  });

  it('compression both ways between our client and server', async () => {
    const running = await serve(CallsService, handlers, { compression: 'gzip' });
    const client = createClient(CallsService, running.address, { compression: 'gzip' });
    try {
      const res = (await client.Unary({ n: 100_000, data: text(200_000) })) as Num;
      assert.equal(res.n, 200_000);
      assert.deepEqual(Buffer.from(res.data!), Buffer.from(text(100_000)));
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('an unknown grpc-encoding gets UNIMPLEMENTED and our grpc-accept-encoding', async () => {
    const running = await serve(CallsService, handlers);
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary', 'grpc-encoding': 'snappy' }, encodeFrame(new Uint8Array(0)));
      assert.equal(statusOf(r).code, String(Status.UNIMPLEMENTED));
      assert.match(statusOf(r).message ?? '', /snappy/);
      const accepted = String(r.headers['grpc-accept-encoding']).split(',').map((s) => s.trim());
      assert.ok(accepted.includes('gzip') && accepted.includes('identity'), String(r.headers['grpc-accept-encoding']));
    } finally {
      session.close();
      await running.close();
    }
  });

  it('a gzip bomb is cut off at the receive limit: RESOURCE_EXHAUSTED', async () => {
    const running = await serve(CallsService, handlers, { maxReceiveMessageSize: 64 * 1024 });
    const session = await rawConnect(running.address);
    try {
      const bomb = zlib.gzipSync(CallsService.Unary!.requestSerialize({ n: 0, data: new Uint8Array(10 * 1024 * 1024) }));
      assert.ok(bomb.length < 64 * 1024);
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary', 'grpc-encoding': 'gzip' }, encodeFrame(bomb, true));
      assert.equal(statusOf(r).code, String(Status.RESOURCE_EXHAUSTED));
      assert.match(statusOf(r).message ?? '', /after decompression/);
    } finally {
      session.close();
      await running.close();
    }
  });

  it('corrupt gzip data is INTERNAL', async () => {
    const running = await serve(CallsService, handlers);
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary', 'grpc-encoding': 'gzip' }, encodeFrame(Uint8Array.of(1, 2, 3, 4), true));
      assert.equal(statusOf(r).code, String(Status.INTERNAL));
    } finally {
      session.close();
      await running.close();
    }
  });
});

describe('load: many calls on one channel', () => {
  it('1000 concurrent unary calls on one channel all succeed with their own answers', async () => {
    const running = await serve(CallsService, { Unary: async (req: Num) => {
      await delay(req.n % 5);
      return { n: req.n * 2 };
    } }, {}, `unix:${dir.path('load.sock')}`);
    const client = createClient(CallsService, running.address);
    try {
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.Unary({ n: i })));
      assert.deepEqual(results.map((r) => (r as Num).n), Array.from({ length: 1000 }, (_, i) => i * 2));
    } finally {
      await client.close();
      await running.close();
    }
  });
});

describe('backpressure: a slow reader bounds what the server produces (docs/node-http2.md#backpressure)', () => {
  let running: Running;
  let produced = 0;
  const CHUNK = 64 * 1024;
  const COUNT = 1024; // 64 MiB in all
  before(async () => {
    const payload = new Uint8Array(CHUNK).fill(7);
    running = await serve(CallsService, {
      Count: async function* (_req: Num, _ctx: ServerCallContext) {
        for (let i = 0; i < COUNT; i++) {
          produced++;
          yield { n: i, data: payload };
        }
      },
    }, {}, `unix:${dir.path('slow.sock')}`);
  });
  after(() => running.close());

  it('a 64 MiB server stream read slowly: the handler is never more than a few MiB ahead of the reader', async () => {
    const client = createClient(CallsService, running.address);
    try {
      let consumed = 0;
      let maxAhead = 0;
      for await (const m of client.Count({ n: 0 }) as AsyncIterable<Num>) {
        assert.equal(m.n, consumed);
        assert.equal(m.data?.length, CHUNK);
        consumed++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        // Slow for the first 128 messages, so buffers everywhere fill up; then full speed.
        if (consumed < 128) await delay(2);
      }
      assert.equal(consumed, COUNT);
      // The flow-control windows (1 MiB per stream, 8 MiB per connection), the client queue (16 messages)
      // and socket buffers hold a few MiB; without backpressure the handler would run to the end at once.
      const windowMessages = (6 * 1024 * 1024) / CHUNK;
      assert.ok(maxAhead <= windowMessages, `handler was ${maxAhead} messages (${(maxAhead * CHUNK) / 2 ** 20} MiB) ahead of the reader`);
      assert.ok(maxAhead >= 16, `some read-ahead is expected (was ${maxAhead})`);
    } finally {
      await client.close();
    }
  });

  it('a 64 MiB client stream read slowly by the handler: the client producer is held back likewise', async () => {
    let sent = 0;
    let received = 0;
    let maxAhead = 0;
    const server = await serve(CallsService, {
      Sum: async (requests: AsyncIterable<Num>) => {
        for await (const r of requests) {
          assert.equal(r.data?.length, CHUNK);
          received++;
          maxAhead = Math.max(maxAhead, sent - received);
          if (received < 128) await delay(2);
        }
        return { n: received };
      },
    }, {}, `unix:${dir.path('upload.sock')}`);
    const client = createClient(CallsService, server.address);
    try {
      const payload = new Uint8Array(CHUNK).fill(9);
      async function* requests() {
        for (let i = 0; i < COUNT; i++) {
          sent++;
          yield { n: i, data: payload };
        }
      }
      assert.equal(((await client.Sum(requests())) as Num).n, COUNT);
      assert.ok(maxAhead <= (6 * 1024 * 1024) / CHUNK, `the client was ${maxAhead} messages ahead of the handler`);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
