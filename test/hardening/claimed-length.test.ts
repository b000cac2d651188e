// A message prefix claims a length; the bytes may never come. Memory reserved per stream must follow
// the bytes that arrived (plus the flow-control window), on the server and on the client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createClient, createServer, GrpcError, Status } from '../../src/index.js';
import { frameHeader, FrameDecoder } from '../../src/grpc/framing.js';
import { CallsService } from '../grpc/helpers.js';
import { fdCount, MiB, statusKiB } from './helpers.js';

const STREAMS = 50;
const CLAIM = 32 * MiB;

function pingRoundTrip(session: http2.ClientHttp2Session | http2.ServerHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => {
    session.ping((err) => (err ? reject(err) : resolve()));
  });
}

function growth(before: { ab: number; vm: number }): { abMiB: number; vmMiB: number } {
  return { abMiB: (process.memoryUsage().arrayBuffers - before.ab) / MiB, vmMiB: (statusKiB('VmSize') * 1024 - before.vm) / MiB };
}
const snapshot = () => ({ ab: process.memoryUsage().arrayBuffers, vm: statusKiB('VmSize') * 1024 });

describe('FrameDecoder: a claimed length reserves nothing until bytes arrive', () => {
  it('reserves 0 bytes for a bare prefix and at most 4 KiB (or twice what came) after', () => {
    const decoder = new FrameDecoder(1 << 30);
    assert.deepEqual(decoder.push(frameHeader(512 * MiB)), []);
    assert.equal(decoder.reservedBytes, 0);
    assert.equal(decoder.hasPartial, true);
    decoder.push(new Uint8Array(10));
    assert.ok(decoder.reservedBytes <= 4096, `reserved ${decoder.reservedBytes}`);
    decoder.push(new Uint8Array(100_000));
    assert.ok(decoder.reservedBytes <= 2 * 100_010, `reserved ${decoder.reservedBytes}`);
  });

  it('still assembles a message split into many chunks, byte for byte', () => {
    const decoder = new FrameDecoder(1 << 20);
    const payload = new Uint8Array(300_001).map((_, i) => i % 251);
    const wire = new Uint8Array([...frameHeader(payload.length), ...payload, ...frameHeader(2), 7, 8]);
    const frames = [];
    for (let at = 0; at < wire.length; at += 4093) frames.push(...decoder.push(wire.subarray(at, at + 4093)));
    assert.equal(frames.length, 2);
    assert.deepEqual(frames[0]!.payload, payload);
    assert.deepEqual([...frames[1]!.payload], [7, 8]);
    assert.equal(decoder.hasPartial, false);
  });
});

describe(`server: ${STREAMS} streams that each send only a prefix claiming ${CLAIM / MiB} MiB`, () => {
  const server = createServer({ maxReceiveMessageSize: 64 * MiB });
  server.addService(CallsService, {
    Unary: ({ n }: { n: number }) => ({ n }),
    async Sum(requests: AsyncIterable<{ n?: number }>) {
      let n = 0;
      for await (const r of requests) n += r.n ?? 0;
      return { n };
    },
  });
  let address = '';
  before(async () => {
    address = await server.listen('127.0.0.1:0');
  });
  after(() => server.forceClose());

  it('keeps the server within a bounded address space, and an honest call still answers', async (t) => {
    const fds = fdCount();
    const session = http2.connect(`http://${address}`);
    session.on('error', () => {});
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    const at = snapshot();
    const streams = [];
    for (let i = 0; i < STREAMS; i++) {
      const s = session.request({ ':method': 'POST', ':path': '/behave.Calls/Sum', 'content-type': 'application/grpc', te: 'trailers' });
      s.on('error', () => {});
      s.write(frameHeader(CLAIM));
      streams.push(s);
    }
    await pingRoundTrip(session);
    await new Promise((resolve) => setImmediate(resolve));
    const grew = growth(at);
    t.diagnostic(`after ${STREAMS} claims: ArrayBuffers +${grew.abMiB.toFixed(1)} MiB, VmSize +${grew.vmMiB.toFixed(1)} MiB (claimed ${(STREAMS * CLAIM) / MiB} MiB)`);
    assert.ok(grew.abMiB < 32, `ArrayBuffers grew by ${grew.abMiB.toFixed(1)} MiB`);
    assert.ok(grew.vmMiB < 512, `VmSize grew by ${grew.vmMiB.toFixed(1)} MiB`);

    const client = createClient(CallsService, address);
    assert.equal((await client.Unary({ n: 7 }, { timeoutMs: 5000 })).n, 7);
    client.close();
    for (const s of streams) s.close(http2.constants.NGHTTP2_CANCEL);
    await new Promise<void>((resolve) => session.close(resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(fdCount() <= fds + 1, `descriptors: ${fds} before, ${fdCount()} after`);
  });
});

describe(`client: a server answering ${STREAMS} calls with a prefix claiming 1 GiB and nothing more`, () => {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('error', () => {});
  });
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    stream.write(frameHeader(1024 * MiB));
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of sessions) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps the host bounded (its limit is 2^31-1) and the calls end with the deadline', async (t) => {
    const client = createClient(CallsService, `127.0.0.1:${port}`, { maxReceiveMessageSize: 2 ** 31 - 1 });
    // Connect first, so the snapshot holds no session buffers.
    await client.Unary({ n: 1 }, { timeoutMs: 300 }).catch(() => {});
    const at = snapshot();
    const controllers = Array.from({ length: STREAMS }, () => new AbortController());
    const calls = controllers.map((c) => client.Unary({ n: 1 }, { signal: c.signal, timeoutMs: 10_000 }).catch((e: unknown) => e as GrpcError));
    for (const s of sessions) await new Promise<void>((resolve) => s.ping(() => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const grew = growth(at);
    t.diagnostic(`after ${STREAMS} claims of 1 GiB: ArrayBuffers +${grew.abMiB.toFixed(1)} MiB, VmSize +${grew.vmMiB.toFixed(1)} MiB`);
    for (const c of controllers) c.abort();
    const results = await Promise.all(calls);
    assert.ok(results.every((r) => r instanceof GrpcError && r.code === Status.CANCELLED));
    assert.ok(grew.abMiB < 32, `ArrayBuffers grew by ${grew.abMiB.toFixed(1)} MiB`);
    assert.ok(grew.vmMiB < 512, `VmSize grew by ${grew.vmMiB.toFixed(1)} MiB`);
    await client.close();
  });
});
