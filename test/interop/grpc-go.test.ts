// Interop with grpc-go, the implementation every Go plugin and host links: grpc-go's own interop client
// against our server, and our client running the same cases against grpc-go's interop server
// (grpc/grpc doc/interop-test-descriptions.md). Peers are built from the Go module proxy at test time
// (test/helpers/go-peers.ts, and test/fixtures/interop/go for the gzip cases).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client } from '../../src/grpc/client.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import type { Metadata } from '../../src/grpc/metadata.js';
import type { ServiceDefinition } from '../../src/grpc/service.js';
import {
  buildInteropPeers,
  loadInteropProto,
  runGoProgram,
  startGoServer,
  startInteropServer,
  ECHO_INITIAL_KEY,
  ECHO_TRAILING_KEY,
  type GoServer,
  type InteropPeers,
  type InteropServer,
  type SimpleResponse,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
  GO_CLIENT_CASES,
} from '../helpers/interop-service.js';
import { collect, pacedRequests } from '../helpers/streams.js';

/** The compression cases; grpc-go's interop client has none, so test/fixtures/interop/go runs them. */
const GZIP_CASES = ['client_compressed_unary', 'server_compressed_unary', 'client_compressed_streaming', 'server_compressed_streaming'];

let go: InteropPeers;
before(async () => {
  go = await buildInteropPeers();
});

describe('grpc-go interop client → our server (127.0.0.1, plaintext)', { concurrency: 2 }, () => {
  let server: InteropServer;
  let gzipServer: InteropServer;
  before(async () => {
    server = await startInteropServer();
    gzipServer = await startInteropServer({ compression: 'gzip' });
  });
  after(async () => {
    await server?.close();
    await gzipServer?.close();
  });

  for (const testCase of GO_CLIENT_CASES) {
    it(testCase, async () => {
      const args = ['--server_host=127.0.0.1', `--server_port=${server.port}`, '--use_tls=false', `--test_case=${testCase}`];
      const result = await runGoProgram(go.interopClient, args);
      assert.ok(result.ok, `grpc-go interop client, ${testCase}: ${result.output}`);
    });
  }

  // The gzip peer checks every assertion of the descriptions, CompressedRequest's INVALID_ARGUMENT probe and
  // "response_compressed=false arrives uncompressed" included.
  for (const testCase of GZIP_CASES) {
    it(`${testCase} (grpc-go with gzip)`, async () => {
      const args = ['-mode=client', `-server_port=${gzipServer.port}`, `-test_case=${testCase}`];
      const result = await runGoProgram(go.interopGzip, args);
      assert.ok(result.ok, `grpc-go gzip client, ${testCase}: ${result.output}`);
    });
  }
});

// ---- our client ---------------------------------------------------------------------------------

type TestClient = Client<ServiceDefinition>;

const zeros = (n: number) => ({ body: new Uint8Array(n) });

function assertZeros(body: Uint8Array | undefined, size: number, what: string): void {
  assert.ok(body, `${what}: no payload body`);
  assert.equal(body.length, size, `${what}: payload body size`);
  assert.ok(body.every((b) => b === 0), `${what}: payload body is not all zeros`);
}

async function assertStatus(promise: Promise<unknown>, code: Status, details?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GrpcError, `expected a GrpcError, got ${String(err)}`);
    assert.equal(err.code, code, `status code (details: ${err.details})`);
    if (details !== undefined) assert.equal(err.details, details);
    return true;
  });
}

/** Requests that never come, until `signal` aborts; `begun` resolves when the call starts reading them. */
function idleRequests(signal: AbortSignal) {
  let begin!: () => void;
  const begun = new Promise<void>((resolve) => (begin = resolve));
  const requests = (async function* () {
    begin();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  })();
  return { begun, requests };
}

const STREAM_SIZES = { requests: [27182, 8, 1828, 45904], responses: [31415, 9, 2653, 58979] };

/** Our client's version of each interop case; `plain` and `gzip` reach the server under test. */
const OUR_CASES: Record<string, (c: { plain: TestClient; unimplemented: TestClient }) => Promise<void>> = {
  async empty_unary({ plain }) {
    assert.deepEqual(await plain.EmptyCall({}), {});
  },

  async large_unary({ plain }) {
    const reply = (await plain.UnaryCall({ responseSize: 314159, payload: zeros(271828) })) as SimpleResponse;
    assertZeros(reply.payload?.body, 314159, 'response');
  },

  async client_streaming({ plain }) {
    const requests = STREAM_SIZES.requests.map((n) => ({ payload: zeros(n) }));
    const reply = (await plain.StreamingInputCall(requests)) as StreamingInputCallResponse;
    assert.equal(reply.aggregatedPayloadSize, 74922);
  },

  async server_streaming({ plain }) {
    const request = { responseParameters: STREAM_SIZES.responses.map((size) => ({ size })) };
    const replies = (await collect(plain.StreamingOutputCall(request))) as StreamingOutputCallResponse[];
    assert.equal(replies.length, 4);
    replies.forEach((r, i) => assertZeros(r.payload?.body, STREAM_SIZES.responses[i]!, `response ${i}`));
  },

  async ping_pong({ plain }) {
    const requests = pacedRequests<StreamingOutputCallRequest>(
      STREAM_SIZES.requests.map((n, i) => ({ responseParameters: [{ size: STREAM_SIZES.responses[i]! }], payload: zeros(n) })),
    );
    let i = 0;
    for await (const reply of plain.FullDuplexCall(requests) as AsyncIterable<StreamingOutputCallResponse>) {
      assertZeros(reply.payload?.body, STREAM_SIZES.responses[i]!, `response ${i}`);
      i++;
      requests.release();
    }
    assert.equal(i, 4);
  },

  async empty_stream({ plain }) {
    assert.deepEqual(await collect(plain.FullDuplexCall([])), []);
  },

  async custom_metadata({ plain }) {
    const trailingValue = new Uint8Array([0xab, 0xab, 0xab]);
    const metadata = { [ECHO_INITIAL_KEY]: 'test_initial_metadata_value', [ECHO_TRAILING_KEY]: trailingValue };
    const check = (header: Metadata | undefined, trailer: Metadata | undefined, what: string) => {
      assert.deepEqual(header?.getAll(ECHO_INITIAL_KEY), ['test_initial_metadata_value'], `${what}: echoed initial metadata`);
      const got = trailer?.getAll(ECHO_TRAILING_KEY) ?? [];
      assert.equal(got.length, 1, `${what}: echoed trailing metadata`);
      assert.deepEqual(new Uint8Array(got[0] as Uint8Array), trailingValue, `${what}: echoed trailing metadata`);
    };

    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const reply = (await plain.UnaryCall(
      { responseSize: 314159, payload: zeros(271828) },
      { metadata, onHeader: (md: Metadata) => (header = md), onTrailer: (md: Metadata) => (trailer = md) },
    )) as SimpleResponse;
    assertZeros(reply.payload?.body, 314159, 'unary response');
    check(header, trailer, 'UnaryCall');

    header = trailer = undefined;
    const replies = (await collect(
      plain.FullDuplexCall([{ responseParameters: [{ size: 314159 }], payload: zeros(271828) }], {
        metadata,
        onHeader: (md: Metadata) => (header = md),
        onTrailer: (md: Metadata) => (trailer = md),
      }),
    )) as StreamingOutputCallResponse[];
    assert.equal(replies.length, 1);
    assertZeros(replies[0]!.payload?.body, 314159, 'stream response');
    check(header, trailer, 'FullDuplexCall');
  },

  async status_code_and_message({ plain }) {
    const responseStatus = { code: 2, message: 'test status message' };
    await assertStatus(plain.UnaryCall({ responseStatus }), Status.UNKNOWN, 'test status message');
    await assertStatus(collect(plain.FullDuplexCall([{ responseStatus }])), Status.UNKNOWN, 'test status message');
  },

  async special_status_message({ plain }) {
    const message = '\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n';
    await assertStatus(plain.UnaryCall({ responseStatus: { code: 2, message } }), Status.UNKNOWN, message);
  },

  async unimplemented_method({ plain }) {
    await assertStatus(plain.UnimplementedCall({}), Status.UNIMPLEMENTED);
  },

  async unimplemented_service({ unimplemented }) {
    await assertStatus(unimplemented.UnimplementedCall({}), Status.UNIMPLEMENTED);
  },

  async cancel_after_begin({ plain }) {
    const controller = new AbortController();
    const { begun, requests } = idleRequests(controller.signal);
    const call = plain.StreamingInputCall(requests, { signal: controller.signal });
    await begun; // the call's headers are out: it is reading the requests to send
    controller.abort();
    await assertStatus(call, Status.CANCELLED);
  },

  async cancel_after_first_response({ plain }) {
    const controller = new AbortController();
    const requests = pacedRequests<StreamingOutputCallRequest>(
      [
        { responseParameters: [{ size: 31415 }], payload: zeros(27182) },
        { responseParameters: [{ size: 9 }], payload: zeros(8) },
      ],
      controller.signal,
    );
    const responses = plain.FullDuplexCall(requests, { signal: controller.signal }) as AsyncIterable<StreamingOutputCallResponse>;
    const seen: number[] = [];
    await assertStatus(
      (async () => {
        for await (const reply of responses) {
          seen.push(reply.payload?.body?.length ?? -1);
          controller.abort();
        }
      })(),
      Status.CANCELLED,
    );
    assert.deepEqual(seen, [31415]);
  },

  async timeout_on_sleeping_server({ plain }) {
    const controller = new AbortController();
    const requests = pacedRequests<StreamingOutputCallRequest>([{ payload: zeros(27182) }, { payload: zeros(1) }], controller.signal);
    try {
      await assertStatus(collect(plain.FullDuplexCall(requests, { timeoutMs: 1 })), Status.DEADLINE_EXCEEDED);
    } finally {
      controller.abort();
    }
  },
};

describe('our client → grpc-go interop TestService (interop.NewTestServer on 127.0.0.1, plaintext)', { concurrency: 2 }, () => {
  let server: GoServer;
  let plain: TestClient;
  let unimplemented: TestClient;
  before(async () => {
    server = await startGoServer(go.interopServer, ['--host=127.0.0.1', '--port=0', '--use_tls=false']);
    const { TestService, UnimplementedService } = loadInteropProto();
    plain = createClient(TestService, `127.0.0.1:${server.port}`);
    unimplemented = createClient(UnimplementedService, plain.channel);
  });
  after(async () => {
    await plain?.close();
    await server?.close();
  });

  for (const [name, run] of Object.entries(OUR_CASES)) {
    it(name, () => run({ plain, unimplemented }));
  }
});

describe('our client → grpc-go with gzip (test/fixtures/interop/go)', { concurrency: 2 }, () => {
  let server: GoServer;
  let plain: TestClient;
  let gzip: TestClient;
  before(async () => {
    server = await startGoServer(go.interopGzip, ['-mode=server']);
    const { TestService } = loadInteropProto();
    plain = createClient(TestService, `127.0.0.1:${server.port}`);
    gzip = createClient(TestService, `127.0.0.1:${server.port}`, { compression: 'gzip' });
  });
  after(async () => {
    await plain?.close();
    await gzip?.close();
    await server?.close();
  });

  // This peer implements CompressedRequest, so the probes must fail; our client cannot see the
  // compressed flag of a response, so the server_* cases check that compressed responses decode.
  it('client_compressed_unary', async () => {
    const request = (expect: boolean) => ({ expectCompressed: { value: expect }, responseSize: 314159, payload: zeros(271828) });
    await assertStatus(plain.UnaryCall(request(true)), Status.INVALID_ARGUMENT);
    assertZeros(((await gzip.UnaryCall(request(true))) as SimpleResponse).payload?.body, 314159, 'compressed request');
    assertZeros(((await plain.UnaryCall(request(false))) as SimpleResponse).payload?.body, 314159, 'uncompressed request');
  });

  it('server_compressed_unary', async () => {
    for (const value of [true, false]) {
      const reply = (await plain.UnaryCall({ responseCompressed: { value }, responseSize: 314159, payload: zeros(271828) })) as SimpleResponse;
      assertZeros(reply.payload?.body, 314159, `response_compressed=${value}`);
    }
  });

  it('client_compressed_streaming', async () => {
    await assertStatus(plain.StreamingInputCall([{ expectCompressed: { value: true }, payload: zeros(27182) }]), Status.INVALID_ARGUMENT);
    const reply = (await gzip.StreamingInputCall([
      { expectCompressed: { value: true }, payload: zeros(27182) },
      { expectCompressed: { value: false }, payload: zeros(45904) },
    ])) as StreamingInputCallResponse;
    assert.equal(reply.aggregatedPayloadSize, 73086);
  });

  it('server_compressed_streaming', async () => {
    const sizes = [31415, 92653];
    const replies = (await collect(
      plain.StreamingOutputCall({
        responseParameters: [
          { compressed: { value: true }, size: sizes[0] },
          { compressed: { value: false }, size: sizes[1] },
        ],
      }),
    )) as StreamingOutputCallResponse[];
    assert.equal(replies.length, 2);
    replies.forEach((r, i) => assertZeros(r.payload?.body, sizes[i]!, `response ${i}`));
  });
});
