// Messages far over Node's 10 MB default maxSessionMemory go through both ways, and a session that
// carried one keeps serving (Node refuses new streams with ENHANCE_YOUR_CALM once a session's queued
// data is over that limit).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createServer, createClient, loadProto, serviceOf, GrpcError, Status } from '../../src/index.js';

const Test = serviceOf(loadProto(fileURLToPath(new URL('../fixtures/goplugin/test.proto', import.meta.url))), 'grpctest.Test');
const MiB = 1024 * 1024;

describe('large messages', () => {
  it('carries 24 MiB requests and responses, then ordinary calls, on one session', async () => {
    const server = createServer({ maxReceiveMessageSize: 64 * MiB });
    server.addService(Test, {
      PrintStdio: (req: { stdout: Uint8Array }) => {
        assert.equal(req.stdout.length, 24 * MiB);
        return {};
      },
      Double: ({ Input }: { Input: number }) => ({ Output: Input * 2 }),
      async *Stream(requests: AsyncIterable<{ Input: number }>) {
        for await (const r of requests) yield { Output: r.Input };
      },
    });
    const address = await server.listen('127.0.0.1:0');
    const client = createClient(Test, address, { maxReceiveMessageSize: 64 * MiB }) as any;
    try {
      await client.PrintStdio({ stdout: new Uint8Array(24 * MiB).fill(7) });
      await client.PrintStdio({ stdout: new Uint8Array(24 * MiB).fill(8) });
      assert.equal((await client.Double({ Input: 21 })).Output, 42);
    } finally {
      await client.close();
      await server.close(100);
    }
  });

  it('refuses an oversized request with RESOURCE_EXHAUSTED and keeps the session usable', async () => {
    const server = createServer({ maxReceiveMessageSize: MiB });
    server.addService(Test, { PrintKV: () => ({}), Double: ({ Input }: { Input: number }) => ({ Output: Input * 2 }) });
    const address = await server.listen('127.0.0.1:0');
    const client = createClient(Test, address) as any;
    try {
      await assert.rejects(client.PrintKV({ Key: 'k', ValueString: 'z'.repeat(40 * MiB) }), (err: unknown) => {
        assert.ok(err instanceof GrpcError);
        assert.equal(err.code, Status.RESOURCE_EXHAUSTED);
        assert.match(err.details, /received message larger than max/);
        return true;
      });
      assert.equal((await client.Double({ Input: 2 })).Output, 4);
    } finally {
      await client.close();
      await server.close(100);
    }
  });
});
