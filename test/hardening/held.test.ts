// Cases that held before this suite existed, kept as bounded regression tests: malformed prefixes,
// decompression bombs, header floods, rapid reset, PING and SETTINGS floods, slow peers and a reader
// that never reads. Each asserts the gRPC status, that memory stays bounded, that an honest call still
// answers, and that descriptors come back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { createClient, createServer, Status, type Server } from '../../src/index.js';
import { encodeFrame, frameHeader } from '../../src/grpc/framing.js';
import { CallsService } from '../grpc/helpers.js';
import { delay, fdCount, h2Frame, MiB, PREFACE, statusKiB, until } from './helpers.js';

interface RawResult {
  status?: string;
  message?: string;
  rstCode?: number;
}

/** A call from node:http2 directly, so the bytes can be anything. */
function rawCall(address: string, path: string, body: Buffer, extra: Record<string, string> = {}): Promise<RawResult> {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => {});
  return new Promise<RawResult>((resolve) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
    const result: RawResult = {};
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) {
        result.status = String(h['grpc-status']);
        result.message = decodeURIComponent(String(h['grpc-message'] ?? ''));
      }
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('data', () => {});
    stream.on('error', () => {});
    stream.on('close', () => {
      result.rstCode = stream.rstCode;
      resolve(result);
    });
    stream.end(body);
  }).finally(() => session.destroy());
}

describe('held: hostile input against the server', () => {
  let server: Server;
  let address = '';
  let fdsAtStart = 0;
  before(async () => {
    fdsAtStart = fdCount();
    server = createServer({ maxReceiveMessageSize: 4 * MiB, handshakeTimeoutMs: 1000 });
    server.addService(CallsService, {
      Unary: ({ n }: { n: number }) => ({ n }),
      async *Count({ n }: { n: number }) {
        // Endless 1 MiB messages: only flow control keeps this bounded for a reader that never reads.
        const data = new Uint8Array(MiB);
        for (let i = 0; i < (n || 1_000_000); i++) yield { n: i, data };
      },
    });
    address = await server.listen('127.0.0.1:0');
  });
  after(async () => {
    await server.forceClose();
    assert.ok(await until(() => fdCount() <= fdsAtStart + 1, 3000), `descriptors: ${fdsAtStart} at start, ${fdCount()} at the end`);
  });

  async function stillServes(): Promise<void> {
    const client = createClient(CallsService, address);
    assert.equal((await client.Unary({ n: 5 }, { timeoutMs: 10_000 })).n, 5);
    await client.close();
  }

  it('malformed message prefixes get the gRPC status for each', async () => {
    const cases: Array<[string, Buffer, Record<string, string>, Status, RegExp]> = [
      ['flag byte 2', Buffer.from([2, 0, 0, 0, 0]), {}, Status.INTERNAL, /invalid message flag/],
      ['a truncated message', Buffer.from([0, 0, 0, 0, 10, 1, 2]), {}, Status.INTERNAL, /ended inside a message/],
      ['a length over the limit', Buffer.from(frameHeader(5 * MiB)), {}, Status.RESOURCE_EXHAUSTED, /larger than max/],
      ['two messages on a unary call', Buffer.concat([encodeFrame(new Uint8Array(0)), encodeFrame(new Uint8Array(0))]), {}, Status.UNIMPLEMENTED, /exactly one message/],
      ['an unknown grpc-encoding', Buffer.from(encodeFrame(new Uint8Array([1]), true)), { 'grpc-encoding': 'br' }, Status.UNIMPLEMENTED, /not supported/],
      ['a protobuf that does not parse', Buffer.from(encodeFrame(new Uint8Array([0xff, 0xff, 0xff]))), {}, Status.INTERNAL, /cannot decode/],
    ];
    for (const [name, body, headers, code, text] of cases) {
      const result = await rawCall(address, '/behave.Calls/Unary', body, headers);
      assert.equal(result.status, String(code), `${name}: ${JSON.stringify(result)}`);
      assert.match(result.message ?? '', text, name);
    }
    await stillServes();
  });

  it('a gzip bomb (64 MiB of zeros in ~64 KiB) is RESOURCE_EXHAUSTED without inflating memory', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB));
    const rss = statusKiB('VmRSS');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => rawCall(address, '/behave.Calls/Unary', Buffer.from(encodeFrame(bomb, true)), { 'grpc-encoding': 'gzip' })),
    );
    for (const r of results) {
      assert.equal(r.status, String(Status.RESOURCE_EXHAUSTED));
      assert.match(r.message ?? '', /after decompression/);
    }
    const grewMiB = (statusKiB('VmRSS') - rss) / 1024;
    assert.ok(grewMiB < 128, `RSS grew by ${grewMiB.toFixed(0)} MiB for 8 bombs of 64 MiB`);
    await stillServes();
  });

  it('a header value larger than the header-list limit resets that stream only', async () => {
    const result = await rawCall(address, '/behave.Calls/Unary', Buffer.from(encodeFrame(new Uint8Array(0))), { 'x-big': 'a'.repeat(100_000) });
    assert.equal(result.status, undefined);
    assert.notEqual(result.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    await stillServes();
  });

  it('rapid reset: 500 streams opened and cancelled at once', async () => {
    const session = http2.connect(`http://${address}`);
    session.on('error', () => {});
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    for (let i = 0; i < 500 && !session.destroyed; i++) {
      try {
        const s = session.request({ ':method': 'POST', ':path': '/behave.Calls/Unary', 'content-type': 'application/grpc', te: 'trailers' });
        s.on('error', () => {});
        s.close(http2.constants.NGHTTP2_CANCEL);
      } catch {
        break; // the server sent GOAWAY: that is one way to hold
      }
    }
    await delay(200);
    session.destroy();
    await stillServes();
  });

  for (const [name, frame] of [
    ['PING', h2Frame(6, 0, 0, Buffer.alloc(8))],
    ['SETTINGS', h2Frame(4, 0, 0)],
  ] as const) {
    it(`${name} flood: 5000 frames from a peer that does not read the acknowledgements`, async () => {
      const rss = statusKiB('VmRSS');
      const [host, port] = address.split(':');
      const socket = net.connect(Number(port), host);
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.pause();
      socket.write(Buffer.concat([PREFACE, h2Frame(4, 0, 0), ...Array.from({ length: 5000 }, () => frame)]));
      await delay(300);
      // Now read (and drop) what the server queued, to see it end the connection: nghttp2's flood
      // guard stops the session, and the liveness check (handshakeTimeoutMs) closes the socket.
      socket.on('data', () => {});
      socket.resume();
      await until(() => closed, 8000);
      socket.destroy();
      const grewMiB = (statusKiB('VmRSS') - rss) / 1024;
      assert.ok(grewMiB < 64, `RSS grew by ${grewMiB.toFixed(0)} MiB`);
      await stillServes();
      assert.ok(closed, 'the flooding connection is still open');
    });
  }

  it('slow peers: 20 streams each sending one byte every 50 ms do not delay an honest call', async () => {
    const session = http2.connect(`http://${address}`);
    session.on('error', () => {});
    const streams = Array.from({ length: 20 }, () => {
      const s = session.request({ ':method': 'POST', ':path': '/behave.Calls/Unary', 'content-type': 'application/grpc', te: 'trailers' });
      s.on('error', () => {});
      return s;
    });
    const wire = Buffer.from(encodeFrame(new Uint8Array(40)));
    for (let i = 0; i < 10; i++) {
      for (const s of streams) s.write(wire.subarray(i, i + 1));
      await delay(50);
    }
    await stillServes();
    session.destroy();
  });

  it('a reader that never reads a server stream of 1 MiB messages: memory stays within the flow-control windows', async () => {
    const rss = statusKiB('VmRSS');
    const session = http2.connect(`http://${address}`);
    session.on('error', () => {});
    const streams = Array.from({ length: 4 }, () => {
      const s = session.request({ ':method': 'POST', ':path': '/behave.Calls/Count', 'content-type': 'application/grpc', te: 'trailers' });
      s.on('error', () => {});
      s.end(Buffer.from(encodeFrame(new Uint8Array(0))));
      s.pause();
      return s;
    });
    await delay(1500);
    const grewMiB = (statusKiB('VmRSS') - rss) / 1024;
    for (const s of streams) s.close(http2.constants.NGHTTP2_CANCEL);
    session.destroy();
    // 4 streams x (1 MiB stream window + one message in Node's write queue), far below 1.5 s of output.
    assert.ok(grewMiB < 96, `RSS grew by ${grewMiB.toFixed(0)} MiB`);
    await stillServes();
  });
});
