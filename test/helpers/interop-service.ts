// gRPC's cross-language interop service (grpc.testing.TestService) served by our own server, following
// the "Server" section of grpc/grpc doc/interop-test-descriptions.md, plus the proto loading and the
// grpc-go peers the interop tests share (grpc-go's interop client and server come from go-peers.ts).
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type ServerOptions } from '../../src/grpc/server.js';
import { loadProto, serviceOf } from '../../src/grpc/proto.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import type { ServerCallContext, ServiceDefinition, ServiceHandlers } from '../../src/grpc/service.js';
import type { TlsServerOptions } from '../../src/http2/tls-options.js';
import { GO_BIN_DIR, goBinary, goBuildEnv, goPeers, runGo, startGo } from './go-peers.js';

export const INTEROP_PROTO_DIR = fileURLToPath(new URL('../fixtures/interop/', import.meta.url));

/** Keys the server echoes (interop "Echo Metadata"): the first into the response header, the second into the trailers. */
/** Every case grpc-go's interop client (v1.85) runs without cloud credentials or several backends. */
export const GO_CLIENT_CASES = [
  'empty_unary',
  'large_unary',
  'client_streaming',
  'server_streaming',
  'ping_pong',
  'empty_stream',
  'custom_metadata',
  'status_code_and_message',
  'special_status_message',
  'unimplemented_method',
  'unimplemented_service',
  'timeout_on_sleeping_server',
  'cancel_after_begin',
  'cancel_after_first_response',
  'pick_first_unary',
  'rpc_soak',
  'channel_soak',
] as const;

export const ECHO_INITIAL_KEY = 'x-grpc-test-echo-initial';
export const ECHO_TRAILING_KEY = 'x-grpc-test-echo-trailing-bin';

export interface Payload {
  type?: string;
  body?: Uint8Array;
}
export interface EchoStatus {
  code?: number;
  message?: string;
}
export interface BoolValue {
  value?: boolean;
}
export interface SimpleRequest {
  responseType?: string;
  responseSize?: number;
  payload?: Payload | null;
  responseCompressed?: BoolValue | null;
  responseStatus?: EchoStatus | null;
  expectCompressed?: BoolValue | null;
  fillServerId?: boolean;
}
export interface SimpleResponse {
  payload?: Payload | null;
  serverId?: string;
}
export interface ResponseParameters {
  size?: number;
  intervalUs?: number;
  compressed?: BoolValue | null;
}
export interface StreamingOutputCallRequest {
  responseType?: string;
  responseParameters?: ResponseParameters[];
  payload?: Payload | null;
  responseStatus?: EchoStatus | null;
}
export interface StreamingOutputCallResponse {
  payload?: Payload | null;
}
export interface StreamingInputCallRequest {
  payload?: Payload | null;
  expectCompressed?: BoolValue | null;
}
export interface StreamingInputCallResponse {
  aggregatedPayloadSize?: number;
}

export interface InteropProto {
  TestService: ServiceDefinition;
  UnimplementedService: ServiceDefinition;
}

let loaded: InteropProto | undefined;

/** grpc.testing's TestService and UnimplementedService from test/fixtures/interop. */
export function loadInteropProto(): InteropProto {
  loaded ??= (() => {
    const proto = loadProto([join(INTEROP_PROTO_DIR, 'grpc/testing/test.proto')], { includeDirs: [INTEROP_PROTO_DIR] });
    return {
      TestService: serviceOf(proto, 'grpc.testing.TestService'),
      UnimplementedService: serviceOf(proto, 'grpc.testing.UnimplementedService'),
    };
  })();
  return loaded;
}

/** A payload of `size` zero bytes; only COMPRESSABLE exists, anything else is INVALID_ARGUMENT (interop "UnaryCall"). */
export function newPayload(type: string | undefined, size: number | undefined): Payload {
  const n = size ?? 0;
  if (type !== undefined && type !== 'COMPRESSABLE') {
    throw new GrpcError(Status.INVALID_ARGUMENT, `payload type ${type} is not supported; only COMPRESSABLE is`);
  }
  if (!Number.isInteger(n) || n < 0) throw new GrpcError(Status.INVALID_ARGUMENT, `a payload size must be 0 or more, got ${n}`);
  return { type: 'COMPRESSABLE', body: new Uint8Array(n) };
}

/** Fails the call with the requested status when it is not OK (interop "Echo Status"). */
function echoStatus(status: EchoStatus | null | undefined): void {
  if (status && status.code) throw new GrpcError(status.code as Status, status.message ?? '');
}

/** CompressedRequest: a message that should have arrived compressed but did not is INVALID_ARGUMENT. */
function expectCompressed(expect: BoolValue | null | undefined, ctx: ServerCallContext): void {
  if (expect?.value && !ctx.requestCompressed) {
    throw new GrpcError(Status.INVALID_ARGUMENT, 'expected a compressed request message, got an uncompressed one');
  }
}

/** Copies the echo keys the client sent into the response header and trailers (interop "Echo Metadata"). */
function echoMetadata(ctx: ServerCallContext): boolean {
  const initial = ctx.metadata.get(ECHO_INITIAL_KEY);
  const trailing = ctx.metadata.get(ECHO_TRAILING_KEY);
  if (initial !== undefined) ctx.responseHeader.set(ECHO_INITIAL_KEY, initial);
  if (trailing !== undefined) ctx.responseTrailer.set(ECHO_TRAILING_KEY, trailing);
  return initial !== undefined;
}

/** interval_us is a pause before each response, cut short when the call ends. */
async function pause(intervalUs: number | undefined, signal: AbortSignal): Promise<void> {
  if (!intervalUs || intervalUs <= 0) return;
  try {
    await sleep(intervalUs / 1000, undefined, { signal });
  } catch {
    throw signal.reason ?? new GrpcError(Status.CANCELLED, 'the call ended');
  }
}

async function* respond(request: StreamingOutputCallRequest, ctx: ServerCallContext): AsyncGenerator<StreamingOutputCallResponse> {
  for (const p of request.responseParameters ?? []) {
    await pause(p.intervalUs, ctx.signal);
    // CompressedResponse, per message: response_parameters.compressed (when the call compresses at all).
    if (p.compressed) ctx.compressResponses = p.compressed.value === true;
    yield { payload: newPayload(request.responseType, p.size) };
  }
}

const SERVER_ID = `go-plugin-ts-interop-${process.pid}`;

/**
 * Handlers for grpc.testing.TestService, CompressedRequest and CompressedResponse included:
 * `expect_compressed` is checked with ctx.requestCompressed, `response_compressed` is applied per call
 * (ctx.setResponseCompression) and per streamed message (ctx.compressResponses).
 * UnimplementedCall is left without a handler so the server answers UNIMPLEMENTED.
 */
export function interopHandlers(): ServiceHandlers<ServiceDefinition> {
  return {
    EmptyCall: () => ({}),

    UnaryCall: (request: SimpleRequest, ctx: ServerCallContext): SimpleResponse => {
      expectCompressed(request.expectCompressed, ctx);
      if (request.responseCompressed) ctx.setResponseCompression(request.responseCompressed.value ? 'gzip' : 'identity');
      echoMetadata(ctx);
      echoStatus(request.responseStatus);
      const response: SimpleResponse = { payload: newPayload(request.responseType, request.responseSize) };
      if (request.fillServerId) response.serverId = SERVER_ID;
      return response;
    },

    CacheableUnaryCall: (): SimpleResponse => ({
      payload: { type: 'COMPRESSABLE', body: new TextEncoder().encode(String(process.hrtime.bigint())) },
    }),

    StreamingOutputCall: async function* (request: StreamingOutputCallRequest, ctx: ServerCallContext) {
      echoMetadata(ctx);
      echoStatus(request.responseStatus);
      yield* respond(request, ctx);
    },

    StreamingInputCall: async (requests: AsyncIterable<StreamingInputCallRequest>, ctx: ServerCallContext): Promise<StreamingInputCallResponse> => {
      let sum = 0;
      for await (const r of requests) {
        expectCompressed(r.expectCompressed, ctx);
        sum += r.payload?.body?.length ?? 0;
      }
      return { aggregatedPayloadSize: sum };
    },

    FullDuplexCall: async function* (requests: AsyncIterable<StreamingOutputCallRequest>, ctx: ServerCallContext) {
      // grpc-go's client waits for the response header before its first read (custom_metadata).
      if (echoMetadata(ctx)) ctx.sendHeader();
      for await (const request of requests) {
        echoStatus(request.responseStatus);
        yield* respond(request, ctx);
      }
    },

    HalfDuplexCall: async function* (requests: AsyncIterable<StreamingOutputCallRequest>, ctx: ServerCallContext) {
      if (echoMetadata(ctx)) ctx.sendHeader();
      const all: StreamingOutputCallRequest[] = [];
      for await (const request of requests) all.push(request);
      for (const request of all) {
        echoStatus(request.responseStatus);
        yield* respond(request, ctx);
      }
    },
  };
}

export interface InteropServerOptions {
  /** `host:port` or `unix:/path`; default 127.0.0.1 on a free port. */
  address?: string;
  compression?: ServerOptions['compression'];
  tls?: TlsServerOptions;
  maxReceiveMessageSize?: number;
}

export interface InteropServer {
  /** The bound address, `127.0.0.1:port` or `unix:/path`. */
  address: string;
  /** The TCP port, or undefined on a unix socket. */
  port: number | undefined;
  close(): Promise<void>;
}

/** Our server with TestService (UnimplementedService deliberately not registered). */
export async function startInteropServer(options: InteropServerOptions = {}): Promise<InteropServer> {
  const { TestService } = loadInteropProto();
  const server = createServer({
    ...(options.compression ? { compression: options.compression } : {}),
    ...(options.maxReceiveMessageSize ? { maxReceiveMessageSize: options.maxReceiveMessageSize } : {}),
  });
  server.addService(TestService, interopHandlers());
  const address = await server.listen(options.address ?? '127.0.0.1:0', options.tls ? { tls: options.tls } : {});
  const port = address.startsWith('unix:') ? undefined : Number(address.slice(address.lastIndexOf(':') + 1));
  return { address, port, close: () => server.close(1000) };
}

// ---- grpc-go peers -------------------------------------------------------------------------------

const GZIP_PEER_DIR = join(INTEROP_PROTO_DIR, 'go');
const run = promisify(execFile);

export interface InteropPeers {
  /** grpc-go's interop client (google.golang.org/grpc/interop/client), from goPeers(). */
  interopClient: string;
  /** grpc-go's interop TestService on loopback (test/go/modern/cmd/interop-server), from goPeers(). */
  interopServer: string;
  /** test/fixtures/interop/go: grpc-go with gzip, for the four compression cases (client and server). */
  interopGzip: string;
}

let peers: Promise<InteropPeers> | undefined;

/**
 * grpc-go's interop client and server from goPeers(), and the gzip peer built from
 * test/fixtures/interop/go (its grpc-go version pinned by its go.mod, modules from the Go module
 * proxy) into test/go/bin, which git ignores. Go's build cache makes the rebuild a no-op.
 */
export function buildInteropPeers(): Promise<InteropPeers> {
  peers ??= (async () => {
    const { interopClient, interopServer } = await goPeers();
    mkdirSync(GO_BIN_DIR, { recursive: true });
    const interopGzip = join(GO_BIN_DIR, 'interop-gzip');
    // Built under a private name and renamed: test processes running at once never see half a binary.
    const staging = `${interopGzip}.${process.pid}`;
    const args = ['build', '-o', staging, '.'];
    const go = goBinary();
    try {
      await run(go, args, {
        cwd: GZIP_PEER_DIR,
        env: goBuildEnv({ GOFLAGS: '-mod=readonly -buildvcs=false' }),
        maxBuffer: 16 << 20,
        timeout: 15 * 60_000,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`building the grpc-go gzip peer failed (${go} ${args.join(' ')} in ${GZIP_PEER_DIR}): ${e.stderr || e.message}`);
    }
    renameSync(staging, interopGzip);
    return { interopClient, interopServer, interopGzip };
  })();
  return peers;
}

export interface GoServer {
  port: number;
  close(): Promise<void>;
}

/** Starts a Go interop server that prints `{"port":N,...}` once listening; it runs until close(). */
export async function startGoServer(binary: string, args: string[] = []): Promise<GoServer> {
  const child = startGo(binary, args, { timeoutMs: 30 * 60_000 });
  try {
    const line = await child.waitForLine((l) => typeof l.port === 'number', 20_000);
    return {
      port: line.port as number,
      close: async () => {
        child.kill('SIGTERM');
        await child.result;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

export interface GoRun {
  ok: boolean;
  /** exit status and everything the program printed, for failure messages */
  output: string;
}

/** Runs a Go program to completion, killed after `timeoutMs`. */
export async function runGoProgram(binary: string, args: string[], timeoutMs = 60_000): Promise<GoRun> {
  const r = await runGo(binary, args, { timeoutMs });
  const status = r.timedOut ? `killed after ${timeoutMs} ms` : `exit ${r.code ?? r.signal}`;
  return { ok: r.code === 0, output: `${status}\n${r.stdout}${r.stderr}` };
}
