// What our client and server put on the wire, seen through raw node:http2 peers (docs/node-http2.md#request-headers,
// #response-headers, #trailers, #grpc-message, #binary-metadata).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createClient } from '../../src/grpc/client.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import { Metadata } from '../../src/grpc/metadata.js';
import type { ServerCallContext } from '../../src/grpc/service.js';
import { CallsService, serve, tempDir, rawConnect, rawRequest, statusOf, encodeFrame } from './helpers.js';

type Num = { n: number };

const dir = tempDir('grpc-wire-');
after(() => dir.remove());

/** A raw server that records each request's raw header list and answers OK with `{ n: 1 }`. */
async function recordingServer(address: { unix?: string }) {
  const requests: string[][] = [];
  const server = http2.createServer();
  server.on('stream', (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
    requests.push(raw);
    stream.on('error', () => {});
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(encodeFrame(CallsService.Unary!.responseSerialize({ n: 1 })));
  });
  await new Promise<void>((resolve) => (address.unix ? server.listen(address.unix, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const target = address.unix ? `unix:${address.unix}` : `127.0.0.1:${(server.address() as { port: number }).port}`;
  return { requests, target, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

describe('request headers from our client (docs/node-http2.md#request-headers)', () => {
  it('over TCP: POST, http, the path, host:port authority, te, content-type, user-agent, accept-encoding', async () => {
    const peer = await recordingServer({});
    const client = createClient(CallsService, peer.target);
    try {
      await client.Unary({ n: 1 });
      const h = Object.fromEntries(pairs(peer.requests[0]!));
      assert.equal(h[':method'], 'POST');
      assert.equal(h[':scheme'], 'http');
      assert.equal(h[':path'], '/behave.Calls/Unary');
      assert.equal(h[':authority'], peer.target);
      assert.equal(h['te'], 'trailers');
      assert.equal(h['content-type'], 'application/grpc');
      assert.match(h['user-agent']!, /^grpc-[a-z]+-[a-z0-9]+\/\d+\.\d+\.\d+/);
      assert.match(h['grpc-accept-encoding']!, /gzip/);
      assert.equal(h['grpc-timeout'], undefined);
      assert.equal(h['grpc-encoding'], undefined);
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it('over a unix socket the authority is "localhost" (Node would send localhost:80)', async () => {
    const peer = await recordingServer({ unix: dir.path('authority.sock') });
    const client = createClient(CallsService, peer.target);
    try {
      await client.Unary({ n: 1 });
      assert.equal(Object.fromEntries(pairs(peer.requests[0]!))[':authority'], 'localhost');
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it('pseudo-headers first, then grpc-timeout before the other call headers, custom metadata last', async () => {
    const peer = await recordingServer({});
    const client = createClient(CallsService, peer.target, { metadata: { 'x-base': 'b' } });
    try {
      await client.Unary({ n: 1 }, { timeoutMs: 5000, metadata: { 'x-call': 'c' } });
      const names = pairs(peer.requests[0]!).map(([k]) => k);
      const lastPseudo = Math.max(...names.map((n, i) => (n.startsWith(':') ? i : -1)));
      const firstRegular = names.findIndex((n) => !n.startsWith(':'));
      assert.ok(lastPseudo < firstRegular, names.join(' '));
      assert.equal(names[firstRegular], 'grpc-timeout');
      assert.ok(names.indexOf('x-base') > names.indexOf('content-type'));
      assert.ok(names.indexOf('x-call') > names.indexOf('te'));
      const timeout = Object.fromEntries(pairs(peer.requests[0]!))['grpc-timeout']!;
      assert.match(timeout, /^[0-9]{1,8}[HMSmun]$/);
      assert.ok(Number(timeout.slice(0, -1)) <= 5000 && timeout.endsWith('m'), timeout);
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it('-bin metadata goes out as unpadded base64, one field per value', async () => {
    const peer = await recordingServer({});
    const client = createClient(CallsService, peer.target);
    try {
      await client.Unary({ n: 1 }, { metadata: new Metadata().append('x-bin', Uint8Array.of(1)).append('x-bin', Uint8Array.of(1, 2)) });
      const values = pairs(peer.requests[0]!).filter(([k]) => k === 'x-bin').map(([, v]) => v);
      assert.deepEqual(values, ['AQ', 'AQI']);
    } finally {
      await client.close();
      await peer.close();
    }
  });
});

describe('responses from our server (docs/node-http2.md#response-headers, #trailers, #grpc-message, #binary-metadata)', () => {
  it('OK: HEADERS with :status 200 and content-type, the message, then trailers with grpc-status 0', async () => {
    const running = await serve(CallsService, { Unary: (req: Num) => ({ n: req.n + 1 }) });
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary' }, encodeFrame(CallsService.Unary!.requestSerialize({ n: 1 })));
      assert.equal(r.endStream, false);
      assert.equal(r.headers[':status'], 200);
      assert.equal(r.headers['content-type'], 'application/grpc');
      assert.equal(r.headers['grpc-status'], undefined);
      assert.equal(r.messages.length, 1);
      assert.equal(CallsService.Unary!.responseDeserialize(r.messages[0]!).n, 2);
      assert.equal(r.trailers?.['grpc-status'], '0');
      assert.equal(r.trailers?.['grpc-message'], undefined);
    } finally {
      session.close();
      await running.close();
    }
  });

  it('a server stream with no messages still ends with trailers carrying grpc-status 0', async () => {
    const running = await serve(CallsService, { Count: async function* () {} });
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/behave.Calls/Count' }, encodeFrame(CallsService.Count!.requestSerialize({ n: 0 })));
      assert.equal(statusOf(r).code, '0');
      assert.equal(r.messages.length, 0);
    } finally {
      session.close();
      await running.close();
    }
  });

  it('grpc-message is percent-encoded UTF-8; -bin trailers are unpadded base64', async () => {
    const running = await serve(CallsService, {
      Unary: (_req: Num, ctx: ServerCallContext) => {
        ctx.responseTrailer.set('x-one-bin', Uint8Array.of(0xff));
        throw new GrpcError(Status.FAILED_PRECONDITION, 'café 100%\n');
      },
    });
    const session = await rawConnect(running.address);
    try {
      const r = await rawRequest(session, { ':path': '/behave.Calls/Unary' }, encodeFrame(CallsService.Unary!.requestSerialize({ n: 1 })));
      assert.equal(r.endStream, true, 'an error before any message is trailers-only');
      assert.deepEqual(statusOf(r), { code: String(Status.FAILED_PRECONDITION), message: 'caf%C3%A9 100%25%0A' });
      assert.equal(r.headers['x-one-bin'], '/w');
    } finally {
      session.close();
      await running.close();
    }
  });

  it('response header metadata set before an early error travels in the trailers-only frame', async () => {
    const running = await serve(CallsService, {
      Unary: (_req: Num, ctx: ServerCallContext) => {
        ctx.responseHeader.set('x-header', 'h');
        throw new GrpcError(Status.NOT_FOUND, 'x');
      },
    });
    const client = createClient(CallsService, running.address);
    try {
      let trailer: Metadata | undefined;
      await assert.rejects(client.Unary({ n: 1 }, { onTrailer: (md: Metadata) => (trailer = md) }), (err: unknown) => err instanceof GrpcError && err.code === Status.NOT_FOUND);
      assert.equal(trailer?.get('x-header'), 'h');
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('ctx.peer names the caller: host:port over TCP, "unix" over a unix socket', async () => {
    const peers: string[] = [];
    const handlers = { Unary: (req: Num, ctx: ServerCallContext) => (peers.push(ctx.peer.address), req) };
    const tcp = await serve(CallsService, handlers);
    const uds = await serve(CallsService, handlers, {}, `unix:${dir.path('peer.sock')}`);
    const a = createClient(CallsService, tcp.address);
    const b = createClient(CallsService, uds.address);
    try {
      await a.Unary({ n: 1 });
      await b.Unary({ n: 1 });
      assert.match(peers[0]!, /^127\.0\.0\.1:[1-9][0-9]*$/);
      assert.equal(peers[1], 'unix');
    } finally {
      await a.close();
      await b.close();
      await tcp.close();
      await uds.close();
    }
  });
});
