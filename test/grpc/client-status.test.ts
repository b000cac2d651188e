// How our client reads what a server sends, including servers that break the rules: a raw node:http2
// server plays each peer (docs/node-http2.md#trailers-only, #grpc-status, #grpc-message, #reset-codes, #compression,
// #http-status-mapping, #missing-grpc-status, #connection-loss).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createClient } from '../../src/grpc/client.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import { encodeFrame } from '../../src/grpc/framing.js';
import { CallsService } from './helpers.js';

type Num = { n: number };
type Behaviour = (stream: http2.ServerHttp2Stream) => void;

let lastSocket: import('node:net').Socket | undefined;

const GRPC = { ':status': 200, 'content-type': 'application/grpc' };
const reply = encodeFrame(CallsService.Unary!.responseSerialize({ n: 7 }));

/** Sends headers, the body, then trailers. */
function full(body: Uint8Array, trailers: http2.OutgoingHttpHeaders, headers: http2.OutgoingHttpHeaders = GRPC): Behaviour {
  return (stream) => {
    stream.respond(headers, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.end(body);
  };
}

/** One HEADERS frame with END_STREAM. */
function only(headers: http2.OutgoingHttpHeaders): Behaviour {
  return (stream) => stream.respond(headers, { endStream: true });
}

function reset(code: number, afterHeaders = true): Behaviour {
  return (stream) => {
    // With waitForTrailers, close(code) sends RST_STREAM even after the client half-closed
    // (docs/node-http2.md#server-resets-are-unreliable).
    if (afterHeaders) stream.respond(GRPC, { waitForTrailers: true });
    setTimeout(() => stream.close(code), 5);
  };
}

const behaviours: Record<string, Behaviour> = {
  ok: full(reply, { 'grpc-status': '0' }),
  'no-status-in-trailers': full(reply, { 'x-other': 'y' }),
  'no-status-trailers-only': only(GRPC),
  'no-status-no-trailers': (stream) => {
    stream.respond(GRPC);
    stream.end(reply);
  },
  'http-400': only({ ':status': 400 }),
  'http-401': only({ ':status': 401 }),
  'http-403': only({ ':status': 403 }),
  'http-404': (stream) => {
    stream.respond({ ':status': 404, 'content-type': 'text/html' });
    stream.end('<h1>not found</h1>');
  },
  'http-429': only({ ':status': 429 }),
  'http-500': only({ ':status': 500 }),
  'http-502': only({ ':status': 502 }),
  'http-503': only({ ':status': 503 }),
  'http-504': only({ ':status': 504 }),
  'http-503-with-status': only({ ':status': 503, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'proxy says no' }),
  'html-200': (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/html' });
    stream.end('<html></html>');
  },
  'status-99': only({ ...GRPC, 'grpc-status': '99', 'grpc-message': 'from the future' }),
  'status-abc': only({ ...GRPC, 'grpc-status': 'abc' }),
  'status-ok-no-message': only({ ...GRPC, 'grpc-status': '0' }),
  'malformed-message': only({ ...GRPC, 'grpc-status': '3', 'grpc-message': '%E2%82 and %zz' }),
  'encoded-message': only({ ...GRPC, 'grpc-status': '3', 'grpc-message': 'caf%C3%A9 100%25 %2C' }),
  'rst-refused': reset(http2.constants.NGHTTP2_REFUSED_STREAM, false),
  'rst-internal': reset(http2.constants.NGHTTP2_INTERNAL_ERROR),
  'rst-no-error': reset(http2.constants.NGHTTP2_NO_ERROR),
  'rst-cancel': reset(http2.constants.NGHTTP2_CANCEL),
  'rst-calm': reset(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM),
  'rst-security': reset(http2.constants.NGHTTP2_INADEQUATE_SECURITY),
  'compressed-no-encoding': full(encodeFrame(Uint8Array.of(1, 2, 3), true), { 'grpc-status': '0' }),
  'compressed-unknown-encoding': full(encodeFrame(Uint8Array.of(1, 2, 3), true), { 'grpc-status': '0' }, { ...GRPC, 'grpc-encoding': 'snappy' }),
  truncated: full(reply.subarray(0, reply.length - 1), { 'grpc-status': '0' }),
  'bad-flag': full(Uint8Array.of(7, 0, 0, 0, 0), { 'grpc-status': '0' }),
  undecodable: full(encodeFrame(Uint8Array.of(0xff, 0xff, 0xff)), { 'grpc-status': '0' }),
  'connection-lost': (stream) => {
    stream.respond(GRPC);
    stream.write(reply);
    // The socket itself, not the session: session.destroy() would reset the stream first.
    setTimeout(() => lastSocket?.destroy(), 5);
  },
};

const isCode = (code: Status, details?: string | RegExp) => (err: unknown) => {
  assert.ok(err instanceof GrpcError, String(err));
  assert.equal(err.code, code, `got ${err.code}: ${err.details}`);
  if (typeof details === 'string') assert.equal(err.details, details);
  else if (details) assert.match(err.details, details);
  return true;
};

describe('the client reads statuses the way the spec maps them', () => {
  let server: http2.Http2Server;
  let address: string;
  before(async () => {
    server = http2.createServer();
    server.on('sessionError', () => {});
    server.on('connection', (socket: import('node:net').Socket) => {
      lastSocket = socket;
      socket.on('error', () => {});
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      const name = String(headers[':path']).slice('/raw/'.length);
      stream.resume();
      behaviours[name]!(stream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A unary call of behaviour `name`. */
  async function call(name: string): Promise<Num> {
    const definition = { Call: { ...CallsService.Unary!, path: `/raw/${name}` } };
    const client = createClient(definition, address);
    try {
      return (await client.Call!({ n: 1 })) as Num;
    } finally {
      await client.close();
    }
  }

  it('a well-formed response is OK (control)', async () => {
    assert.equal((await call('ok')).n, 7);
  });

  describe('a missing grpc-status is an error, never OK (docs/node-http2.md#missing-grpc-status)', () => {
    it('trailers without grpc-status: UNKNOWN', async () => {
      await assert.rejects(call('no-status-in-trailers'), isCode(Status.UNKNOWN));
    });
    it('trailers-only HEADERS without grpc-status: UNKNOWN', async () => {
      await assert.rejects(call('no-status-trailers-only'), isCode(Status.UNKNOWN));
    });
    it('a body and no trailers at all: UNKNOWN', async () => {
      await assert.rejects(call('no-status-no-trailers'), isCode(Status.UNKNOWN));
    });
    it('HTTP 200 with a content-type that is not gRPC: UNKNOWN', async () => {
      await assert.rejects(call('html-200'), isCode(Status.UNKNOWN, /content-type/));
    });
  });

  describe('HTTP status without grpc-status (docs/node-http2.md#http-status-mapping)', () => {
    const table: Array<[string, Status]> = [
      ['http-400', Status.INTERNAL],
      ['http-401', Status.UNAUTHENTICATED],
      ['http-403', Status.PERMISSION_DENIED],
      ['http-404', Status.UNIMPLEMENTED],
      ['http-429', Status.UNAVAILABLE],
      ['http-500', Status.UNKNOWN],
      ['http-502', Status.UNAVAILABLE],
      ['http-503', Status.UNAVAILABLE],
      ['http-504', Status.UNAVAILABLE],
    ];
    for (const [name, code] of table) {
      it(`${name.slice(5)} → ${code}`, async () => {
        await assert.rejects(call(name), isCode(code, new RegExp(`HTTP ${name.slice(5)}`)));
      });
    }
    it('a grpc-status present on a non-200 response wins (connect-es throws before reading it)', async () => {
      await assert.rejects(call('http-503-with-status'), isCode(Status.NOT_FOUND, 'proxy says no'));
    });
  });

  describe('grpc-status and grpc-message values (docs/node-http2.md#grpc-status, #grpc-message)', () => {
    it('a number outside 0-16 is UNKNOWN, keeping the message', async () => {
      await assert.rejects(call('status-99'), isCode(Status.UNKNOWN, 'from the future'));
    });
    it('a non-number is UNKNOWN', async () => {
      await assert.rejects(call('status-abc'), isCode(Status.UNKNOWN));
    });
    it('percent-encoded messages are decoded', async () => {
      await assert.rejects(call('encoded-message'), isCode(Status.INVALID_ARGUMENT, 'café 100% ,'));
    });
    it('a malformed message is shown as received, not a crash (connect-es throws URIError)', async () => {
      await assert.rejects(call('malformed-message'), isCode(Status.INVALID_ARGUMENT, '%E2%82 and %zz'));
    });
    it('status OK without a message for a unary call: UNIMPLEMENTED (docs/node-http2.md#cardinality)', async () => {
      await assert.rejects(call('status-ok-no-message'), isCode(Status.UNIMPLEMENTED));
    });
  });

  describe('RST_STREAM before the trailers (docs/node-http2.md#reset-codes)', () => {
    const table: Array<[string, Status]> = [
      ['rst-refused', Status.UNAVAILABLE],
      ['rst-internal', Status.INTERNAL],
      ['rst-cancel', Status.CANCELLED],
      ['rst-calm', Status.RESOURCE_EXHAUSTED],
      ['rst-security', Status.PERMISSION_DENIED],
    ];
    for (const [name, code] of table) {
      it(`${name} → ${code}`, async () => {
        await assert.rejects(call(name), isCode(code));
      });
    }
    it('rst-no-error before the trailers is an error, never OK', async () => {
      // The spec asks for INTERNAL; node:http2 gives rstCode 0 for RST(NO_ERROR) and for a plain
      // END_STREAM alike, so the client can only report the missing grpc-status
      // (docs/node-http2.md#missing-grpc-status).
      await assert.rejects(call('rst-no-error'), (err: unknown) => err instanceof GrpcError && (err.code === Status.INTERNAL || err.code === Status.UNKNOWN));
    });
  });

  describe('broken response bodies', () => {
    it('a compressed message without grpc-encoding: INTERNAL (docs/node-http2.md#compression)', async () => {
      await assert.rejects(call('compressed-no-encoding'), isCode(Status.INTERNAL, /no grpc-encoding/));
    });
    it('a message in an encoding the client cannot decode: INTERNAL (docs/node-http2.md#compression)', async () => {
      await assert.rejects(call('compressed-unknown-encoding'), isCode(Status.INTERNAL, /snappy/));
    });
    it('a body that ends inside a message, even with status OK: INTERNAL', async () => {
      await assert.rejects(call('truncated'), isCode(Status.INTERNAL));
    });
    it('a message flag other than 0 or 1: INTERNAL', async () => {
      await assert.rejects(call('bad-flag'), isCode(Status.INTERNAL, /flag/));
    });
    it('a message that does not decode: INTERNAL', async () => {
      await assert.rejects(call('undecodable'), isCode(Status.INTERNAL, /cannot decode the response/));
    });
  });

  it('the connection dropping mid-call: UNAVAILABLE (docs/node-http2.md#connection-loss)', async () => {
    await assert.rejects(call('connection-lost'), isCode(Status.UNAVAILABLE));
  });
});
