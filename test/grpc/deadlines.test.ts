import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createClient } from '../../src/grpc/client.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import type { ServerCallContext } from '../../src/grpc/service.js';
import { CallsService, serve, aborted as abortedSignal, delay, rawConnect, rawRequest, statusOf, encodeFrame, within, type Running } from './helpers.js';

/** The handler's signal aborting, bounded so a broken cancel fails the test instead of hanging it. */
const aborted = (signal: AbortSignal) => within(abortedSignal(signal), 3000, 'the handler\'s signal aborting');

type Num = { n: number };

const isCode = (code: Status) => (err: unknown) => err instanceof GrpcError && err.code === code;

/** Records what each handler saw, so tests can wait for the server side. */
function probe() {
  type Seen = { ctx: ServerCallContext; readonly aborted: Promise<unknown> };
  const calls: Seen[] = [];
  let notify: (() => void) | undefined;
  return {
    calls,
    record(ctx: ServerCallContext) {
      calls.push({
        ctx,
        get aborted() {
          return aborted(ctx.signal);
        },
      });
      notify?.();
    },
    async next(): Promise<Seen> {
      while (calls.length === 0) await within(new Promise<void>((resolve) => (notify = resolve)), 3000, 'a call reaching the handler');
      return calls.shift()!;
    },
  };
}

describe('deadlines', () => {
  const seen = probe();
  let running: Running;
  let client: ReturnType<typeof createClient<typeof CallsService>>;
  before(async () => {
    running = await serve(CallsService, {
      // Waits for its signal when n is 0, else answers after n ms.
      Unary: async (req: Num, ctx: ServerCallContext) => {
        seen.record(ctx);
        if (req.n === 0) await abortedSignal(ctx.signal);
        else await delay(req.n);
        return req;
      },
      Count: async function* (req: Num, ctx: ServerCallContext) {
        seen.record(ctx);
        for (let i = 0; ; i++) {
          yield { n: i };
          await delay(req.n);
        }
      },
    });
    client = createClient(CallsService, running.address);
  });
  after(async () => {
    await client.close();
    await running.close();
  });

  it('client deadline: DEADLINE_EXCEEDED at the client, and the handler\'s signal aborts', async () => {
    const started = Date.now();
    await assert.rejects(client.Unary({ n: 0 }, { timeoutMs: 100 }), (err: unknown) => isCode(Status.DEADLINE_EXCEEDED)(err) && /deadline exceeded/.test((err as GrpcError).details));
    assert.ok(Date.now() - started >= 95);
    const call = await seen.next();
    const reason = await call.aborted;
    assert.ok(reason instanceof GrpcError && (reason.code === Status.DEADLINE_EXCEEDED || reason.code === Status.CANCELLED), String(reason));
  });

  it('the deadline reaches the handler as ctx.deadline (grpc-timeout with the remaining time)', async () => {
    const before = Date.now();
    await client.Unary({ n: 1 }, { timeoutMs: 60_000 });
    const { ctx } = await seen.next();
    assert.ok(ctx.deadline !== undefined);
    assert.ok(ctx.deadline >= before + 59_000 && ctx.deadline <= Date.now() + 60_000, `${ctx.deadline - before}`);
    await client.Unary({ n: 1 });
    assert.equal((await seen.next()).ctx.deadline, undefined);
  });

  it('a deadline in a server stream ends the iteration with DEADLINE_EXCEEDED after the messages so far', async () => {
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const m of client.Count({ n: 20 }, { timeoutMs: 150 }) as AsyncIterable<Num>) got.push(m.n);
    }, isCode(Status.DEADLINE_EXCEEDED));
    assert.ok(got.length >= 1 && got.length < 50, `${got.length} messages`);
    const call = await seen.next();
    await call.aborted;
  });

  it('a timeout too long for setTimeout (600 h; grpc-js fails it after 3 ms) does not fire early', async () => {
    const res = await client.Unary({ n: 30 }, { timeoutMs: 600 * 3_600_000 });
    assert.equal(res.n, 30);
    const { ctx } = await seen.next();
    assert.equal(ctx.signal.aborted, false);
  });

  it('timeoutMs 0 fails with DEADLINE_EXCEEDED without running the handler to completion', async () => {
    await assert.rejects(client.Unary({ n: 1 }, { timeoutMs: 0 }), isCode(Status.DEADLINE_EXCEEDED));
    // The call may or may not have reached the server; if it did, it was already expired there.
    await delay(20);
    for (const c of seen.calls.splice(0)) assert.equal(c.ctx.signal.aborted, true);
  });

  it('defaultTimeoutMs applies to calls that give none', async () => {
    const withDefault = createClient(CallsService, running.address, { defaultTimeoutMs: 80 });
    try {
      await assert.rejects(withDefault.Unary({ n: 0 }), isCode(Status.DEADLINE_EXCEEDED));
      await (await seen.next()).aborted;
    } finally {
      await withDefault.close();
    }
  });
});

describe('server-side deadline (docs/node-http2.md#server-deadline): the server ends the call itself', () => {
  const seen = probe();
  let running: Running;
  before(async () => {
    running = await serve(CallsService, {
      // Ignores its signal and never finishes: the server must not wait for it.
      Unary: (_req: Num, ctx: ServerCallContext) => {
        seen.record(ctx);
        return new Promise<Num>(() => {});
      },
      Count: async function* (_req: Num, ctx: ServerCallContext) {
        seen.record(ctx);
        yield { n: 1 };
        await abortedSignal(ctx.signal);
        // A write after the deadline is dropped, not sent after the trailers.
        yield { n: 2 };
      },
    });
  });
  after(() => running.close());

  it('a raw client that sends grpc-timeout 100m and never cancels gets trailers grpc-status 4', async () => {
    const session = await rawConnect(running.address);
    try {
      const started = Date.now();
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary', 'grpc-timeout': '100m' }, encodeFrame(CallsService.Unary!.requestSerialize({ n: 1 })));
      assert.ok(Date.now() - started >= 95);
      assert.equal(r.headers[':status'], 200);
      assert.equal(statusOf(r).code, '4');
      assert.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR);
      const reason = await (await seen.next()).aborted;
      assert.ok(reason instanceof GrpcError && reason.code === Status.DEADLINE_EXCEEDED);
    } finally {
      session.close();
    }
  });

  it('after messages were sent, the status comes in trailers and later writes are dropped', async () => {
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/behave.Calls/Count', 'grpc-timeout': '100m' }, encodeFrame(CallsService.Count!.requestSerialize({ n: 1 })));
      assert.equal(r.endStream, false);
      assert.ok(r.trailers);
      assert.equal(statusOf(r).code, '4');
      assert.equal(r.messages.length, 1);
      assert.equal(CallsService.Count!.responseDeserialize(r.messages[0]!).n, 1);
      await (await seen.next()).aborted;
    } finally {
      session.close();
    }
  });

  it('grpc-timeout 0m is already expired: DEADLINE_EXCEEDED without running the handler', async () => {
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary', 'grpc-timeout': '0m' }, encodeFrame(CallsService.Unary!.requestSerialize({ n: 1 })));
      assert.equal(statusOf(r).code, '4');
      assert.equal(r.endStream, true);
      await delay(10);
      assert.equal(seen.calls.length, 0);
    } finally {
      session.close();
    }
  });

  it('99999999H (about 11 400 years) is accepted and arms no timer that fires early', async () => {
    const session = await rawConnect(running.address);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/behave.Calls/Unary', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '99999999H' });
      stream.on('error', () => {});
      stream.end(encodeFrame(CallsService.Unary!.requestSerialize({ n: 1 })));
      const { ctx } = await seen.next();
      await delay(50);
      assert.equal(ctx.signal.aborted, false);
      assert.ok(ctx.deadline! > Date.now() + 1e14);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      const reason = await aborted(ctx.signal);
      assert.ok(reason instanceof GrpcError && reason.code === Status.CANCELLED);
    } finally {
      session.close();
    }
  });
});

describe('the client sends RST_STREAM CANCEL on deadline and abort (docs/node-http2.md#client-deadline, #cancellation)', () => {
  let server: http2.Http2Server;
  let address: string;
  const resets: number[] = [];
  let onReset: (() => void) | undefined;
  before(async () => {
    // A raw server that answers headers and then never finishes, and reports its streams' RST codes.
    server = http2.createServer();
    server.on('stream', (stream) => {
      stream.on('error', () => {});
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.on('close', () => {
        resets.push(stream.rstCode);
        onReset?.();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const nextReset = () => new Promise<number>((resolve) => (onReset = () => resolve(resets.shift()!)));

  it('deadline: DEADLINE_EXCEEDED locally and RST_STREAM CANCEL (8) on the wire', async () => {
    const client = createClient(CallsService, address);
    try {
      const reset = nextReset();
      await assert.rejects(client.Unary({ n: 1 }, { timeoutMs: 80 }), isCode(Status.DEADLINE_EXCEEDED));
      assert.equal(await reset, http2.constants.NGHTTP2_CANCEL);
    } finally {
      await client.close();
    }
  });

  it('abort: CANCELLED locally and RST_STREAM CANCEL (8) on the wire', async () => {
    const client = createClient(CallsService, address);
    try {
      const reset = nextReset();
      const controller = new AbortController();
      const call = client.Unary({ n: 1 }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(call, isCode(Status.CANCELLED));
      assert.equal(await reset, http2.constants.NGHTTP2_CANCEL);
    } finally {
      await client.close();
    }
  });
});

describe('client cancellation reaches the handler (docs/node-http2.md#cancellation)', () => {
  const seen = probe();
  const sumOutcomes: string[] = [];
  let running: Running;
  let client: ReturnType<typeof createClient<typeof CallsService>>;
  before(async () => {
    running = await serve(CallsService, {
      Unary: async (req: Num, ctx: ServerCallContext) => {
        seen.record(ctx);
        await abortedSignal(ctx.signal);
        return req;
      },
      Count: async function* (_req: Num, ctx: ServerCallContext) {
        seen.record(ctx);
        for (let i = 0; ; i++) {
          yield { n: i };
          await delay(5);
        }
      },
      Echo: async function* (requests: AsyncIterable<Num>, ctx: ServerCallContext) {
        seen.record(ctx);
        for await (const r of requests) yield r;
      },
      Sum: async (requests: AsyncIterable<Num>, ctx: ServerCallContext) => {
        seen.record(ctx);
        let n = 0;
        try {
          for await (const r of requests) n += r.n;
        } catch (err) {
          sumOutcomes.push(`threw ${(err as GrpcError).code}`);
          throw err;
        }
        sumOutcomes.push(`completed with ${n}`);
        return { n };
      },
    });
    client = createClient(CallsService, running.address);
  });
  after(async () => {
    await client.close();
    await running.close();
  });

  it('AbortSignal: CANCELLED at the client; the handler\'s signal aborts with CANCELLED', async () => {
    const controller = new AbortController();
    const call = client.Unary({ n: 1 }, { signal: controller.signal });
    const { aborted: serverAborted } = await seen.next();
    controller.abort();
    await assert.rejects(call, isCode(Status.CANCELLED));
    const reason = await serverAborted;
    assert.ok(reason instanceof GrpcError && reason.code === Status.CANCELLED && /cancelled/.test(reason.details), String(reason));
  });

  it('an abort reason that is a GrpcError is what the caller gets', async () => {
    const controller = new AbortController();
    const call = client.Unary({ n: 1 }, { signal: controller.signal });
    await seen.next();
    controller.abort(new GrpcError(Status.ABORTED, 'user pressed stop'));
    await assert.rejects(call, (err: unknown) => isCode(Status.ABORTED)(err) && (err as GrpcError).details === 'user pressed stop');
  });

  it('an already-aborted signal fails at once with CANCELLED, without a call', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.Unary({ n: 1 }, { signal: controller.signal }), isCode(Status.CANCELLED));
    await delay(20);
    assert.equal(seen.calls.length, 0);
  });

  it('breaking out of a server stream cancels the call on the server', async () => {
    let count = 0;
    for await (const _ of client.Count({ n: 1 })) if (++count === 3) break;
    const { aborted: serverAborted } = await seen.next();
    const reason = await serverAborted;
    assert.ok(reason instanceof GrpcError && reason.code === Status.CANCELLED);
  });

  it('a request iterable that throws cancels the call', async () => {
    async function* requests() {
      yield { n: 1 };
      await delay(20);
      throw new Error('producer broke');
    }
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const m of client.Echo(requests()) as AsyncIterable<Num>) got.push(m.n);
    }, (err: unknown) => isCode(Status.CANCELLED)(err) && /producer broke/.test((err as GrpcError).details));
    assert.deepEqual(got, [1]);
    await (await seen.next()).aborted;
  });

  it('cancelling a client stream mid-way: the handler\'s request loop throws CANCELLED, it never sees a normal end', async () => {
    // Node's stream.close(CANCEL) would half-close first, and the handler would sum a partial stream.
    for (let round = 0; round < 5; round++) {
      const controller = new AbortController();
      async function* requests() {
        yield { n: 1 };
        yield { n: 2 };
        await delay(10);
        controller.abort();
        await delay(1000);
        yield { n: 3 };
      }
      await assert.rejects(client.Sum(requests(), { signal: controller.signal }), isCode(Status.CANCELLED));
      await (await seen.next()).aborted;
      // The handler's loop settles right after its signal aborts.
      for (let i = 0; i < 100 && sumOutcomes.length <= round; i++) await delay(5);
      assert.equal(sumOutcomes[round], `threw ${Status.CANCELLED}`);
    }
    assert.deepEqual(sumOutcomes, Array(5).fill(`threw ${Status.CANCELLED}`));
  });
});
