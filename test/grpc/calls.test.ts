import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../../src/grpc/client.js';
import { createServer } from '../../src/grpc/server.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import { Metadata } from '../../src/grpc/metadata.js';
import type { ServerCallContext, ServiceHandlers } from '../../src/grpc/service.js';
import { CallsService, TestService, serve, tempDir, rawConnect, rawRequest, statusOf, encodeFrame, type Running } from './helpers.js';
import { collect } from '../helpers/streams.js';

type Num = { n: number; data?: Uint8Array; text?: string };

const dir = tempDir('grpc-calls-');
after(() => dir.remove());

const isGrpc = (code: Status, details?: string | RegExp) => (err: unknown) => {
  assert.ok(err instanceof GrpcError, `expected a GrpcError, got ${String(err)}`);
  assert.equal(err.code, code, `code ${err.code} (${err.details})`);
  if (typeof details === 'string') assert.equal(err.details, details);
  else if (details) assert.match(err.details, details);
  return true;
};

const callsHandlers = {
  Unary: (req: Num) => ({ n: req.n + 1 }),
  Count: async function* (req: Num) {
    for (let i = 0; i < req.n; i++) yield { n: i };
  },
  Sum: async (requests: AsyncIterable<Num>) => {
    let n = 0;
    for await (const r of requests) n += r.n;
    return { n };
  },
  Echo: async function* (requests: AsyncIterable<Num>) {
    for await (const r of requests) yield { n: r.n * 10 };
  },
};

for (const transport of ['unix', 'tcp'] as const) {
  describe(`the four call kinds over ${transport}`, () => {
    let running: Running;
    let client: ReturnType<typeof createClient<typeof CallsService>>;
    before(async () => {
      running = await serve(CallsService, callsHandlers, {}, transport === 'unix' ? `unix:${dir.path('kinds.sock')}` : '127.0.0.1:0');
      client = createClient(CallsService, running.address);
    });
    after(async () => {
      await client.close();
      await running.close();
    });

    it('unary: one request, one response', async () => {
      const res = (await client.Unary({ n: 41 })) as Num;
      assert.equal(res.n, 42);
      assert.equal(res.text, '');
      assert.ok(res.data instanceof Uint8Array && res.data.length === 0);
    });

    it('server streaming: every message in order, then OK; zero messages is fine too', async () => {
      const got = await collect(client.Count({ n: 5 }) as AsyncIterable<Num>);
      assert.deepEqual(got.map((m) => m.n), [0, 1, 2, 3, 4]);
      assert.deepEqual(await collect(client.Count({ n: 0 })), []);
    });

    it('client streaming: sync and async iterables of requests', async () => {
      assert.equal(((await client.Sum([{ n: 1 }, { n: 2 }, { n: 3 }])) as Num).n, 6);
      async function* gen() {
        for (let i = 1; i <= 10; i++) yield { n: i };
      }
      assert.equal(((await client.Sum(gen())) as Num).n, 55);
      assert.equal(((await client.Sum([])) as Num).n, 0);
    });

    it('bidi streaming: replies interleave with requests (ping-pong)', async () => {
      let release: (() => void) | undefined;
      const seen: number[] = [];
      async function* requests() {
        for (let i = 1; i <= 3; i++) {
          yield { n: i };
          // The next request goes out only after the reply to this one arrived.
          await new Promise<void>((resolve) => (release = resolve));
        }
      }
      for await (const reply of client.Echo(requests()) as AsyncIterable<Num>) {
        seen.push(reply.n);
        release?.();
      }
      assert.deepEqual(seen, [10, 20, 30]);
    });
  });
}

describe('handler and client method names', () => {
  for (const name of ['PrintKV', 'printKV'] as const) {
    it(`a handler given as ${name} serves /grpctest.Test/PrintKV`, async () => {
      const seen: unknown[] = [];
      const running = await serve(TestService, { [name]: (req: unknown) => (seen.push(req), {}) });
      const client = createClient(TestService, running.address);
      try {
        await client.PrintKV!({ Key: 'a', ValueInt: 1 });
        await client.printKV!({ Key: 'b', ValueString: 's' });
        assert.deepEqual(seen, [
          { Key: 'a', ValueInt: 1, Value: 'ValueInt' },
          { Key: 'b', ValueString: 's', Value: 'ValueString' },
        ]);
      } finally {
        await client.close();
        await running.close();
      }
    });
  }

  it('a handler given under a definition\'s originalName serves the method', async () => {
    const definition = { Shout: { ...CallsService.Unary!, originalName: 'yell_loudly' } };
    // originalName is a plain string in a definition, so the handler type cannot name it; the server accepts it.
    const handlers = { yell_loudly: (req: Num) => ({ n: req.n * 3 }) } as unknown as ServiceHandlers<typeof definition>;
    const running = await serve(definition, handlers);
    const client = createClient(definition, running.address);
    try {
      assert.equal(((await client.Shout!({ n: 2 })) as Num).n, 6);
      assert.equal(((await (client as any).yell_loudly({ n: 3 })) as Num).n, 9);
    } finally {
      await client.close();
      await running.close();
    }
  });
});

describe('unknown service or method: UNIMPLEMENTED, trailers-only, HTTP 200 (docs/node-http2.md#unknown-service-or-method)', () => {
  let running: Running;
  before(async () => {
    running = await serve(TestService, { Double: (req: { Input: number }) => ({ Output: req.Input * 2 }) });
  });
  after(() => running.close());

  it('an unknown method of a known service gets grpc-go\'s text', async () => {
    const client = createClient(TestService, running.address);
    try {
      await assert.rejects(client.Panic!({ message: 'x' }), isGrpc(Status.UNIMPLEMENTED, 'unknown method Panic for service grpctest.Test'));
    } finally {
      await client.close();
    }
  });

  it('an unknown service gets grpc-go\'s text', async () => {
    const client = createClient(CallsService, running.address);
    try {
      await assert.rejects(client.Unary({ n: 1 }), isGrpc(Status.UNIMPLEMENTED, 'unknown service behave.Calls'));
    } finally {
      await client.close();
    }
  });

  it('on the wire: one HEADERS frame with END_STREAM, :status 200, grpc-status 12 and grpc-message', async () => {
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/grpctest.Test/Nope' }, encodeFrame(new Uint8Array(0)));
      assert.equal(r.endStream, true);
      assert.equal(r.headers[':status'], 200);
      assert.equal(r.headers['content-type'], 'application/grpc');
      assert.deepEqual(statusOf(r), { code: '12', message: 'unknown method Nope for service grpctest.Test' });
      assert.equal(r.trailers, undefined);
      assert.equal(r.body.length, 0);
      const other = await rawRequest(session, { ':path': '/other.Svc/Do' }, encodeFrame(new Uint8Array(0)));
      assert.deepEqual(statusOf(other), { code: '12', message: 'unknown service other.Svc' });
      assert.equal(other.endStream, true);
    } finally {
      session.close();
    }
  });
});

describe('metadata both ways', () => {
  it('the handler sees the client\'s metadata, including -bin and repeated values; reserved headers are hidden', async () => {
    let seen: Metadata | undefined;
    const running = await serve(CallsService, {
      Unary: (req: Num, ctx: ServerCallContext) => {
        seen = ctx.metadata;
        return req;
      },
    });
    const client = createClient(CallsService, running.address, { metadata: { 'x-from-client-options': 'base' } });
    try {
      const md = new Metadata().append('x-text', 'hello').append('x-text', 'again').append('x-trace-bin', Uint8Array.of(0, 1, 254, 255)).append('x-trace-bin', Uint8Array.of(7));
      await client.Unary({ n: 1 }, { metadata: md });
      assert.ok(seen);
      assert.deepEqual(seen.getAll('x-text'), ['hello', 'again']);
      assert.deepEqual(seen.getAll('x-trace-bin').map((v) => [...(v as Uint8Array)]), [[0, 1, 254, 255], [7]]);
      assert.equal(seen.get('x-from-client-options'), 'base');
      for (const key of seen.keys()) assert.ok(!key.startsWith('grpc-') && !key.startsWith(':') && key !== 'content-type' && key !== 'te' && key !== 'user-agent', key);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('responseHeader reaches onHeader and responseTrailer reaches onTrailer', async () => {
    const running = await serve(CallsService, {
      Unary: (req: Num, ctx: ServerCallContext) => {
        ctx.responseHeader.set('x-header', 'h').set('x-header-bin', Uint8Array.of(1, 2));
        ctx.responseTrailer.append('x-trailer', 't1').append('x-trailer', 't2');
        return req;
      },
      Count: async function* (_req: Num, ctx: ServerCallContext) {
        ctx.responseHeader.set('x-early', 'yes');
        ctx.sendHeader();
        // The header is out before any message; the client sees it while this waits.
        await new Promise((resolve) => setTimeout(resolve, 50));
        yield { n: 1 };
      },
    });
    const client = createClient(CallsService, running.address);
    try {
      let header: Metadata | undefined;
      let trailer: Metadata | undefined;
      await client.Unary({ n: 1 }, { onHeader: (md: Metadata) => (header = md), onTrailer: (md: Metadata) => (trailer = md) });
      assert.equal(header?.get('x-header'), 'h');
      assert.deepEqual([...(header?.get('x-header-bin') as Uint8Array)], [1, 2]);
      assert.equal(header?.has('content-type'), false);
      assert.deepEqual(trailer?.getAll('x-trailer'), ['t1', 't2']);
      assert.equal(trailer?.has('grpc-status'), false);

      let earlyHeaderAt: number | undefined;
      let firstMessageAt: number | undefined;
      for await (const _ of client.Count({ n: 1 }, { onHeader: (md: Metadata) => md.get('x-early') === 'yes' && (earlyHeaderAt = performance.now()) })) {
        firstMessageAt = performance.now();
      }
      assert.ok(earlyHeaderAt !== undefined && firstMessageAt !== undefined && earlyHeaderAt < firstMessageAt);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('invalid call metadata fails the call locally; metadata over the 8 KiB budget fails before sending', async () => {
    let calls = 0;
    const running = await serve(CallsService, { Unary: (req: Num) => (calls++, req) });
    const client = createClient(CallsService, running.address);
    try {
      await assert.rejects(client.Unary({ n: 1 }, { metadata: { 'grpc-status': '0' } }), isGrpc(Status.INTERNAL, /reserved/));
      await assert.rejects(client.Unary({ n: 1 }, { metadata: { 'x-big': 'a'.repeat(9000) } }), isGrpc(Status.INTERNAL, /over the 8192-byte limit/));
      assert.equal(calls, 0);
      await client.Unary({ n: 1 }, { metadata: { 'x-ok': 'a'.repeat(4000) } });
      assert.equal(calls, 1);
    } finally {
      await client.close();
      await running.close();
    }
  });
});

describe('errors from handlers reach the client', () => {
  let running: Running;
  let client: ReturnType<typeof createClient<typeof CallsService>>;
  before(async () => {
    running = await serve(CallsService, {
      Unary: (req: Num) => {
        if (req.n === 1) throw new GrpcError(Status.NOT_FOUND, 'no such key', { metadata: new Metadata({ 'x-why': 'gone', 'x-detail-bin': Uint8Array.of(9, 8) }) });
        if (req.n === 2) throw new Error('disk on fire');
        if (req.n === 3) throw new GrpcError(Status.INVALID_ARGUMENT, req.text ?? '');
        if (req.n === 5) throw new GrpcError(Status.INVALID_ARGUMENT, 'lone \ud800 surrogate');
        return Promise.reject(new GrpcError(Status.ALREADY_EXISTS, 'async rejection'));
      },
      Count: async function* (req: Num) {
        yield { n: 1 };
        yield { n: 2 };
        throw new GrpcError(Status.ABORTED, `stopped after 2 of ${req.n}`);
      },
    });
    client = createClient(CallsService, running.address);
  });
  after(async () => {
    await client.close();
    await running.close();
  });

  it('a GrpcError keeps its code, message and trailer metadata', async () => {
    await assert.rejects(client.Unary({ n: 1 }), (err: unknown) => {
      isGrpc(Status.NOT_FOUND, 'no such key')(err);
      const md = (err as GrpcError).metadata;
      assert.equal(md?.get('x-why'), 'gone');
      assert.deepEqual([...(md?.get('x-detail-bin') as Uint8Array)], [9, 8]);
      assert.equal((err as GrpcError).message, 'NOT_FOUND: no such key');
      return true;
    });
  });

  it('a plain Error becomes UNKNOWN with its message', async () => {
    await assert.rejects(client.Unary({ n: 2 }), isGrpc(Status.UNKNOWN, 'disk on fire'));
  });

  it('a rejected promise is reported like a throw', async () => {
    await assert.rejects(client.Unary({ n: 4 }), isGrpc(Status.ALREADY_EXISTS, 'async rejection'));
  });

  it('messages with unicode, newlines, "%" and lone surrogates survive the trip', async () => {
    const texts = ['caf\u00e9 \u4e2d\u6587 😀', 'line1\nline2\r\n\ttab', '100% done %2C not a comma', 'ends with %', ''];
    for (const text of texts) await assert.rejects(client.Unary({ n: 3, text }), isGrpc(Status.INVALID_ARGUMENT, text), JSON.stringify(text));
    // Thrown on the server itself (protobuf would mangle a lone surrogate in the request first).
    await assert.rejects(client.Unary({ n: 5 }), isGrpc(Status.INVALID_ARGUMENT, 'lone \ufffd surrogate'));
  });

  it('an error after some stream messages: the client gets the messages, then the error', async () => {
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const m of client.Count({ n: 9 }) as AsyncIterable<Num>) got.push(m.n);
    }, isGrpc(Status.ABORTED, 'stopped after 2 of 9'));
    assert.deepEqual(got, [1, 2]);
  });
});

describe('cardinality (docs/node-http2.md#cardinality)', () => {
  it('a unary request with two messages gets UNIMPLEMENTED; with none, too', async () => {
    let calls = 0;
    const running = await serve(CallsService, { Unary: (req: Num) => (calls++, req) });
    const session = await rawConnect(running.address);
    try {
      const msg = CallsService.Unary!.requestSerialize({ n: 1 });
      const two = Buffer.concat([encodeFrame(msg), encodeFrame(msg)]);
      const r2 = await rawRequest(session, { ':path': '/behave.Calls/Unary' }, two);
      assert.equal(statusOf(r2).code, String(Status.UNIMPLEMENTED));
      const r0 = await rawRequest(session, { ':path': '/behave.Calls/Unary' }, new Uint8Array(0));
      assert.equal(statusOf(r0).code, String(Status.UNIMPLEMENTED));
      assert.equal(calls, 0);
    } finally {
      session.close();
      await running.close();
    }
  });

  it('a unary response with no message is UNIMPLEMENTED at the client', async () => {
    // A server-streaming handler that yields nothing, called through a unary definition of the same path.
    const running = await serve(CallsService, { Count: async function* () {} });
    const unaryView = { Count: { ...CallsService.Count!, responseStream: false } };
    const client = createClient(unaryView, running.address);
    try {
      await assert.rejects(client.Count!({ n: 0 }), isGrpc(Status.UNIMPLEMENTED, /no response message/));
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('a unary response with two messages is UNIMPLEMENTED at the client', async () => {
    const running = await serve(CallsService, { Count: async function* (req: Num) {
      for (let i = 0; i < req.n; i++) yield { n: i };
    } });
    const unaryView = { Count: { ...CallsService.Count!, responseStream: false } };
    const client = createClient(unaryView, running.address);
    try {
      await assert.rejects(client.Count!({ n: 2 }), isGrpc(Status.UNIMPLEMENTED, /more than one response/));
      assert.equal(((await client.Count!({ n: 1 })) as Num).n, 0);
    } finally {
      await client.close();
      await running.close();
    }
  });
});

describe('server API edges', () => {
  it('a streaming handler that returns something not iterable fails the call with INTERNAL', async () => {
    const server = createServer();
    server.addService(CallsService, { Count: (() => 42) as any });
    const address = await server.listen('127.0.0.1:0');
    const client = createClient(CallsService, address);
    try {
      await assert.rejects(collect(client.Count({ n: 1 })), isGrpc(Status.INTERNAL, /must return an async iterable/));
    } finally {
      await client.close();
      await server.forceClose();
    }
  });

  it('listen reports its bound addresses', async () => {
    const server = createServer();
    const tcp = await server.listen('127.0.0.1:0');
    const unix = await server.listen(`unix:${dir.path('addr.sock')}`);
    try {
      assert.match(tcp, /^127\.0\.0\.1:[1-9][0-9]*$/);
      assert.equal(unix, `unix:${dir.path('addr.sock')}`);
      assert.deepEqual(server.addresses, [tcp, unix]);
    } finally {
      await server.forceClose();
    }
  });
});
