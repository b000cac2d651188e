// Bad input over raw HTTP/2 to our server: every request gets a clear answer, and the session it came
// on keeps serving (docs/node-http2.md#request-checks, #message-framing, #grpc-timeout, #message-size-limits,
// #compression, #cardinality, #oversized-headers).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import zlib from 'node:zlib';
import { Status } from '../../src/grpc/status.js';
import { CallsService, serve, rawConnect, rawRequest, statusOf, encodeFrame, within, type Running, type RawResponse } from './helpers.js';

const PATH = '/behave.Calls/Unary';
const good = (n: number) => encodeFrame(CallsService.Unary!.requestSerialize({ n }));

describe('bad input over raw HTTP/2', () => {
  let running: Running;
  let session: http2.ClientHttp2Session;
  let handled = 0;
  before(async () => {
    running = await serve(CallsService, {
      Unary: (req: { n: number }) => {
        handled++;
        return { n: req.n + 1 };
      },
    });
    session = await rawConnect(running.address);
  });
  after(async () => {
    session.close();
    await running.close();
  });

  /** A normal call on the same session still works after whatever came before. */
  async function stillServes(): Promise<void> {
    const r = await rawRequest(session, { ':path': PATH }, good(41));
    assert.equal(statusOf(r).code, '0', `follow-up call: ${JSON.stringify(statusOf(r))}`);
    assert.equal(CallsService.Unary!.responseDeserialize(r.messages[0]!).n, 42);
  }

  function grpcStatus(r: RawResponse, code: Status, message?: RegExp): void {
    assert.equal(r.headers[':status'], 200);
    const s = statusOf(r);
    assert.equal(s.code, String(code), `grpc-status ${s.code}: ${s.message}`);
    if (message) assert.match(decodeURIComponent(s.message ?? ''), message);
  }

  it('a content-type that is not application/grpc gets HTTP 415', async () => {
    for (const contentType of ['application/json', 'text/plain', 'application/grpcx', 'application/grpc-web']) {
      const r = await rawRequest(session, { ':path': PATH, 'content-type': contentType }, good(1));
      assert.equal(r.headers[':status'], 415, contentType);
      assert.equal(r.headers['grpc-status'], undefined);
    }
    await stillServes();
  });

  it('a missing content-type gets HTTP 415', async () => {
    const stream = session.request({ ':method': 'POST', ':path': PATH, te: 'trailers' });
    stream.on('error', () => {});
    const status = await new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))));
    stream.close();
    assert.equal(status, 415);
    await stillServes();
  });

  it('a GET gets HTTP 405', async () => {
    const r = await rawRequest(session, { ':method': 'GET', ':path': PATH }, undefined);
    assert.equal(r.headers[':status'], 405);
    await stillServes();
  });

  it('a request that ends inside a message (truncated frame) gets INTERNAL', async () => {
    const frame = good(1);
    for (const cut of [1, 3, frame.length - 1]) {
      const r = await rawRequest(session, { ':path': PATH }, frame.subarray(0, cut));
      grpcStatus(r, Status.INTERNAL, /truncated|ended inside a message/);
    }
    await stillServes();
  });

  it('a length prefix longer than the body gets INTERNAL', async () => {
    const body = CallsService.Unary!.requestSerialize({ n: 1 });
    const lying = Buffer.concat([Buffer.from([0, 0, 0, 0, 100]), body]);
    grpcStatus(await rawRequest(session, { ':path': PATH }, lying), Status.INTERNAL);
    await stillServes();
  });

  it('a flag byte other than 0 or 1 gets INTERNAL', async () => {
    const frame = good(1);
    frame[0] = 2;
    grpcStatus(await rawRequest(session, { ':path': PATH }, frame), Status.INTERNAL, /flag/);
    await stillServes();
  });

  it('a compressed message without grpc-encoding, or with identity, gets INTERNAL (grpc-js accepts it)', async () => {
    const compressed = encodeFrame(zlib.gzipSync(CallsService.Unary!.requestSerialize({ n: 1 })), true);
    grpcStatus(await rawRequest(session, { ':path': PATH }, compressed), Status.INTERNAL, /grpc-encoding/);
    grpcStatus(await rawRequest(session, { ':path': PATH, 'grpc-encoding': 'identity' }, compressed), Status.INTERNAL, /grpc-encoding/);
    // The same message with its encoding named is fine.
    const ok = await rawRequest(session, { ':path': PATH, 'grpc-encoding': 'gzip' }, compressed);
    assert.equal(statusOf(ok).code, '0');
    await stillServes();
  });

  it('a malformed grpc-timeout gets INTERNAL without running the handler', async () => {
    const before = handled;
    for (const timeout of ['123456789S', '1x', '1.5S', '-1S', 'S']) {
      const r = await rawRequest(session, { ':path': PATH, 'grpc-timeout': timeout }, good(1));
      grpcStatus(r, Status.INTERNAL, /grpc-timeout/);
      assert.equal(r.endStream, true, `${timeout}: trailers-only`);
    }
    assert.equal(handled, before);
    await stillServes();
  });

  it('an unknown grpc-encoding gets UNIMPLEMENTED with grpc-accept-encoding', async () => {
    const r = await rawRequest(session, { ':path': PATH, 'grpc-encoding': 'br' }, good(1));
    grpcStatus(r, Status.UNIMPLEMENTED, /"br"/);
    assert.match(String(r.headers['grpc-accept-encoding']), /gzip/);
    await stillServes();
  });

  it('bytes that are not the request message get INTERNAL', async () => {
    const before = handled;
    const r = await rawRequest(session, { ':path': PATH }, encodeFrame(Uint8Array.of(0xff, 0xff, 0xff, 0xff)));
    grpcStatus(r, Status.INTERNAL, /cannot decode the request/);
    assert.equal(handled, before);
    await stillServes();
  });

  it('two messages to a unary method get UNIMPLEMENTED', async () => {
    const r = await rawRequest(session, { ':path': PATH }, Buffer.concat([good(1), good(2)]));
    grpcStatus(r, Status.UNIMPLEMENTED);
    await stillServes();
  });

  it('a 100 KiB header is refused for that stream only; other calls keep working', async () => {
    const stream = session.request({ ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers', 'x-huge': 'a'.repeat(100 * 1024) });
    stream.on('error', () => {});
    stream.end(good(1));
    const outcome = await within(
      new Promise<{ rst: number; status: unknown }>((resolve) => {
        let status: unknown;
        stream.on('response', (h) => (status = h[':status']));
        stream.on('close', () => resolve({ rst: stream.rstCode, status }));
      }),
      5000,
      'an answer to the oversized request',
    );
    // Node answers RST_STREAM REFUSED_STREAM (docs/node-http2.md#oversized-headers) before any response; Bun would fail
    // the session.
    assert.equal(outcome.status, undefined);
    assert.notEqual(outcome.rst, http2.constants.NGHTTP2_NO_ERROR);
    assert.equal(session.destroyed, false);
    await stillServes();
  });

  it('after all of it, a fresh session is served too', async () => {
    const fresh = await rawConnect(running.address);
    try {
      const r = await rawRequest(fresh, { ':path': PATH }, good(1));
      assert.equal(statusOf(r).code, '0');
    } finally {
      fresh.close();
    }
  });
});
