// The smaller defects: a bounded broker, honest error texts, and a package that admits its side effect.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createClient, GrpcError, Status } from '../../src/index.js';
import { createBroker, MAX_PENDING_CONN_INFO } from '../../src/plugin/broker.js';
import { parseHandshake } from '../../src/protocol.js';
import { CallsService } from '../grpc/helpers.js';
import { MiB } from './helpers.js';

describe('broker: unclaimed ConnInfo is capped', () => {
  it(`keeps the newest ${MAX_PENDING_CONN_INFO} of 50 000 unknown ConnInfo, drops the oldest, and stays small`, async () => {
    const broker = createBroker({ send: () => {} });
    const before = process.memoryUsage().heapUsed;
    const count = 50_000;
    for (let id = 1; id <= count; id++) broker.receive({ serviceId: id, network: 'unix', address: `/tmp/plugin-${id}` });
    const grew = (process.memoryUsage().heapUsed - before) / MiB;
    await assert.rejects(broker.dial(1, { timeoutMs: 50 }), /timeout waiting for connection info/);
    const channel = await broker.dial(count, { timeoutMs: 50 });
    assert.equal(channel.target, `unix:/tmp/plugin-${count}`);
    await broker.close();
    assert.ok(grew < 16, `the heap grew by ${grew.toFixed(1)} MiB for ${count} unclaimed ConnInfo`);
  });
});

describe('error texts say what happened', () => {
  it('a plaintext connection reset before SETTINGS does not blame a TLS client certificate', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = createClient(CallsService, `127.0.0.1:${port}`);
    try {
      const err = await client.Unary({}, { timeoutMs: 5000 }).then(
        () => assert.fail('the call succeeded'),
        (e: unknown) => e as GrpcError,
      );
      assert.equal(err.code, Status.UNAVAILABLE);
      assert.doesNotMatch(err.message, /TLS/);
    } finally {
      await client.close();
      server.close();
    }
  });

  it('a handshake field 6 that is not base64 is reported as such', () => {
    assert.throws(
      () => parseHandshake(`1|1|tcp|127.0.0.1:1234|grpc|${'*'.repeat(80)}`, { offeredVersions: [1], expectCert: true }),
      (err: Error) => /base64/.test(err.message) && !/sent no server certificate/.test(err.message),
    );
  });
});

describe('package.json', () => {
  it('does not declare the package free of side effects: importing it captures stdout in a plugin process', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { sideEffects?: unknown };
    assert.notEqual(pkg.sideEffects, false);
  });
});
