// Large messages flowing both ways at once on one bidi stream, between our client and our server: the
// caller's async generator writes without waiting for responses, the handler answers each request with a
// message as large. Two Node peers stall for good here when each has more in flight than the socket
// buffers hold (docs/node-http2.md#both-peers-writing); a unix socket holds about 208 KiB. Stalled, a call
// ends at its deadline and the channel's close waits for a session that never closes: the test's timeout
// bounds both.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../../src/grpc/client.js';
import { CallsService, serve, tempDir, type Running } from './helpers.js';

interface Num {
  n?: number;
  data?: Uint8Array;
}

const dir = tempDir('bidi-both-');
after(() => dir.remove());

/** `count` requests of `size` bytes, yielded as fast as the client takes them. */
async function* requests(count: number, size: number): AsyncGenerator<Num> {
  const data = new Uint8Array(size).fill(5);
  for (let i = 0; i < count; i++) yield { n: i, data };
}

async function echoAll(address: string, count: number, size: number): Promise<number[]> {
  const client = createClient(CallsService, address);
  try {
    const seen: number[] = [];
    const responses = client.Echo(requests(count, size), { timeoutMs: 10_000 }) as AsyncIterable<Num>;
    for await (const m of responses) {
      assert.equal(m.data?.length, size);
      seen.push(m.n ?? 0);
    }
    return seen;
  } finally {
    await client.close();
  }
}

for (const transport of ['unix', 'tcp'] as const) {
  describe(`bidi: large messages both ways at once, our client and our server (${transport})`, () => {
    let running: Running;
    before(async () => {
      running = await serve(
        CallsService,
        {
          Echo: async function* (incoming: AsyncIterable<Num>) {
            for await (const r of incoming) yield { n: r.n, data: r.data };
          },
        },
        {},
        transport === 'unix' ? `unix:${dir.path('echo.sock')}` : '127.0.0.1:0',
      );
    });
    after(() => running.close());

    for (const count of [20, 200]) {
      it(`${count} × 64 KiB requests written without waiting: every response arrives, in order`, { timeout: 30_000 }, async () => {
        const seen = await echoAll(running.address, count, 64 * 1024);
        assert.deepEqual(seen, Array.from({ length: count }, (_, i) => i));
      });
    }

    if (transport === 'unix') {
      it('8 such streams at once, 20 × 256 KiB each way on each', { timeout: 30_000 }, async () => {
        const all = await Promise.all(Array.from({ length: 8 }, () => echoAll(running.address, 20, 256 * 1024)));
        for (const seen of all) assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i));
      });
    }
  });
}
