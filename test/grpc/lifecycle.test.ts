import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createClient } from '../../src/grpc/client.js';
import { createServer } from '../../src/grpc/server.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import type { ServerCallContext } from '../../src/grpc/service.js';
import { CallsService, serve, delay, aborted, within, tempDir } from './helpers.js';

type Num = { n: number };

const dir = tempDir('grpc-life-');
after(() => dir.remove());

const isCode = (...codes: Status[]) => (err: unknown) => {
  assert.ok(err instanceof GrpcError, String(err));
  assert.ok(codes.includes(err.code), `got ${err.code}: ${err.details}`);
  return true;
};

describe('graceful close (docs/node-http2.md#graceful-shutdown)', () => {
  it('an in-flight call finishes; calls started meanwhile are refused with UNAVAILABLE', async () => {
    let started!: () => void;
    const inHandler = new Promise<void>((resolve) => (started = resolve));
    const running = await serve(CallsService, {
      Unary: async (req: Num) => {
        if (req.n === 1) {
          started();
          await delay(300);
        }
        return req;
      },
    }, {}, `unix:${dir.path('graceful.sock')}`);
    const client = createClient(CallsService, running.address);
    try {
      const inFlight = client.Unary({ n: 1 });
      await inHandler;
      const closing = running.server.close(10_000);
      await delay(50);
      await assert.rejects(client.Unary({ n: 2 }), isCode(Status.UNAVAILABLE));
      assert.equal(((await inFlight) as Num).n, 1);
      await within(closing, 5000, 'close() after the last call ended');
    } finally {
      await client.close();
      await running.server.forceClose();
    }
  });

  it('a call still running after the grace period is cancelled: the handler sees CANCELLED, the client an error', async () => {
    let signal!: AbortSignal;
    let started!: () => void;
    const inHandler = new Promise<void>((resolve) => (started = resolve));
    const running = await serve(CallsService, {
      // Ignores its signal: the server must still finish closing.
      Unary: (_req: Num, ctx: ServerCallContext) => {
        signal = ctx.signal;
        started();
        return new Promise<Num>(() => {});
      },
    });
    const client = createClient(CallsService, running.address);
    try {
      const call = client.Unary({ n: 1 });
      const outcome = call.then(() => 'completed', (err: unknown) => err);
      await inHandler;
      const t0 = Date.now();
      await within(running.server.close(200), 5000, 'close(200) with a call that never ends');
      assert.ok(Date.now() - t0 >= 190, 'close waited for the grace period');
      const reason = await within(aborted(signal), 1000, 'the handler\'s signal aborting');
      assert.ok(reason instanceof GrpcError && reason.code === Status.CANCELLED, String(reason));
      isCode(Status.UNAVAILABLE)(await outcome);
    } finally {
      await client.close();
    }
  });

  it('close() with an idle connected client finishes without waiting for the grace period', async () => {
    const running = await serve(CallsService, { Unary: (req: Num) => req }, {}, `unix:${dir.path('idle.sock')}`);
    const client = createClient(CallsService, running.address);
    try {
      await client.Unary({ n: 1 });
      await within(running.server.close(60_000), 5000, 'close(60 s) with only an idle client');
    } finally {
      await client.close();
    }
  });

  it('forceClose: running calls end at once with UNAVAILABLE at the client, CANCELLED in the handler; later handler output is dropped', async () => {
    let signal!: AbortSignal;
    let started!: () => void;
    const inHandler = new Promise<void>((resolve) => (started = resolve));
    const running = await serve(CallsService, {
      Count: async function* (_req: Num, ctx: ServerCallContext) {
        signal = ctx.signal;
        yield { n: 0 };
        started();
        await aborted(ctx.signal);
      },
    });
    const client = createClient(CallsService, running.address);
    try {
      const got: number[] = [];
      const reading = (async () => {
        for await (const m of client.Count({ n: 1 }) as AsyncIterable<Num>) got.push(m.n);
      })();
      // Settled now so an early rejection is not reported as unhandled.
      const outcome = reading.then(() => 'completed', (err: unknown) => err);
      await inHandler;
      await within(running.server.forceClose(), 5000, 'forceClose()');
      isCode(Status.UNAVAILABLE)(await outcome);
      assert.deepEqual(got, [0]);
      const reason = await within(aborted(signal), 1000, 'the handler\'s signal aborting');
      assert.ok(reason instanceof GrpcError && reason.code === Status.CANCELLED);
    } finally {
      await client.close();
    }
  });
});

describe('connecting and reconnecting', () => {
  it('the client reconnects after the server restarts on the same unix socket', async () => {
    const address = `unix:${dir.path('restart.sock')}`;
    const first = await serve(CallsService, { Unary: () => ({ n: 1 }) }, {}, address);
    const client = createClient(CallsService, address);
    try {
      assert.equal(((await client.Unary({ n: 0 })) as Num).n, 1);
      await first.server.close(1000);
      await assert.rejects(client.Unary({ n: 0 }), isCode(Status.UNAVAILABLE));
      const second = await serve(CallsService, { Unary: () => ({ n: 2 }) }, {}, address);
      try {
        assert.equal(((await client.Unary({ n: 0 })) as Num).n, 2);
      } finally {
        await second.close();
      }
    } finally {
      await client.close();
    }
  });

  it('a unix socket nobody listens on: UNAVAILABLE naming the target', async () => {
    const target = `unix:${dir.path('nobody.sock')}`;
    const client = createClient(CallsService, target);
    try {
      await assert.rejects(client.Unary({ n: 0 }), (err: unknown) => isCode(Status.UNAVAILABLE)(err) && (err as GrpcError).details.includes(target));
    } finally {
      await client.close();
    }
  });

  it('a TCP port nobody listens on: UNAVAILABLE', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const client = createClient(CallsService, `127.0.0.1:${port}`);
    try {
      await assert.rejects(client.Unary({ n: 0 }), (err: unknown) => isCode(Status.UNAVAILABLE)(err) && /ECONNREFUSED|refused/i.test((err as GrpcError).details));
    } finally {
      await client.close();
    }
  });

  it('a closed client fails new calls instead of reconnecting', async () => {
    const running = await serve(CallsService, { Unary: (req: Num) => req });
    const client = createClient(CallsService, running.address);
    try {
      await client.Unary({ n: 1 });
      await client.close();
      await assert.rejects(client.Unary({ n: 1 }), (err: unknown) => isCode(Status.UNAVAILABLE)(err) && /closed/.test((err as GrpcError).details));
    } finally {
      await running.close();
    }
  });

  it('clients sharing a channel share one connection; closing one client leaves the shared channel open', async () => {
    const running = await serve(CallsService, { Unary: (req: Num) => req });
    const { createChannel } = await import('../../src/http2/channel.js');
    const channel = createChannel(running.address);
    const a = createClient(CallsService, channel);
    const b = createClient(CallsService, channel);
    try {
      await a.Unary({ n: 1 });
      const session = await channel.session();
      await b.Unary({ n: 2 });
      assert.equal(await channel.session(), session);
      await a.close();
      assert.equal(channel.closed, false);
      assert.equal(((await b.Unary({ n: 3 })) as Num).n, 3);
    } finally {
      await channel.close();
      await running.close();
    }
  });

  it('a server with no listener can still close', async () => {
    await within(createServer().close(1000), 2000, 'close() of a server that never listened');
  });
});
