// gRPC's cross-language interop service (grpc.testing.TestService) served by our own server, following
// the "Server" section of grpc/grpc doc/interop-test-descriptions.md, plus the proto loading and the
// grpc-go peers the interop tests share.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type ServerOptions } from '../../src/grpc/server.js';
import { loadProto, serviceOf } from '../../src/grpc/proto.js';
import { GrpcError, Status } from '../../src/grpc/status.js';
import type { ServerCallContext, ServiceDefinition, ServiceHandlers } from '../../src/grpc/service.js';
import type { TlsServerOptions } from '../../src/http2/tls-options.js';

export const INTEROP_PROTO_DIR = fileURLToPath(new URL('../fixtures/interop/', import.meta.url));

/** Keys the server echoes (interop "Echo Metadata"): the first into the response header, the second into the trailers. */
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
    yield { payload: newPayload(request.responseType, p.size) };
  }
}

const SERVER_ID = `go-plugin-ts-interop-${process.pid}`;

/**
 * Handlers for grpc.testing.TestService. Not implemented, by what our server API offers:
 * `expect_compressed` (a handler cannot see whether a request message was compressed) and a per-call
 * `response_compressed` (compression is a server option: with `compression: 'gzip'` every response
 * of 1 KiB or more is compressed when the client accepts gzip, whatever the request asks).
 * UnimplementedCall is left without a handler so the server answers UNIMPLEMENTED.
 */
export function interopHandlers(): ServiceHandlers<ServiceDefinition> {
  return {
    EmptyCall: () => ({}),

    UnaryCall: (request: SimpleRequest, ctx: ServerCallContext): SimpleResponse => {
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

    StreamingInputCall: async (requests: AsyncIterable<StreamingInputCallRequest>): Promise<StreamingInputCallResponse> => {
      let sum = 0;
      for await (const r of requests) sum += r.payload?.body?.length ?? 0;
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

const GO = process.env.GO ?? '/usr/local/go/bin/go';
const GO_MODULE_DIR = join(INTEROP_PROTO_DIR, 'go');
const GO_BIN_DIR = fileURLToPath(new URL('../go/bin/interop/', import.meta.url));
const run = promisify(execFile);

export interface InteropPeers {
  /** grpc-go's interop client (google.golang.org/grpc/interop/client). */
  interopClient: string;
  /** grpc-go's interop server (google.golang.org/grpc/interop/server). */
  interopServer: string;
  /** test/fixtures/interop/go: grpc-go with gzip, for the four compression cases (client and server). */
  interopGzip: string;
}

let peers: Promise<InteropPeers> | undefined;

/**
 * Builds the grpc-go interop programs from test/fixtures/interop/go (grpc-go's version is pinned in its
 * go.mod; modules come from the Go module proxy) into test/go/bin/interop/, which git ignores.
 */
export function buildInteropPeers(): Promise<InteropPeers> {
  peers ??= (async () => {
    mkdirSync(GO_BIN_DIR, { recursive: true });
    const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' };
    const go = async (args: string[]) => {
      try {
        await run(GO, args, { cwd: GO_MODULE_DIR, env, maxBuffer: 16 << 20 });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`building the grpc-go interop peers failed (${GO} ${args.join(' ')} in ${GO_MODULE_DIR}): ${e.stderr || e.message}`);
      }
    };
    await go(['build', '-o', GO_BIN_DIR, 'google.golang.org/grpc/interop/client', 'google.golang.org/grpc/interop/server']);
    await go(['build', '-o', join(GO_BIN_DIR, 'interop-gzip'), '.']);
    return {
      interopClient: join(GO_BIN_DIR, 'client'),
      interopServer: join(GO_BIN_DIR, 'server'),
      interopGzip: join(GO_BIN_DIR, 'interop-gzip'),
    };
  })();
  return peers;
}

export interface GoServer {
  port: number;
  /** What the server printed, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts a Go server that announces its port in its output (`... listening on [::]:PORT` or
 * `listening on 127.0.0.1:PORT`), waiting at most `timeoutMs` for that line.
 */
export function startGoServer(binary: string, args: string[], timeoutMs = 20_000): Promise<GoServer> {
  // grpc-go's interop server logs its address at INFO only.
  const child = spawn(binary, args, { env: { ...process.env, GRPC_GO_LOG_SEVERITY_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${binary} did not report a listening port within ${timeoutMs} ms; output:\n${text}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const m = /listening on \S*:(\d+)\s*$/m.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), output: () => text, close: () => stop(child) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited (${code ?? signal}) before listening; output:\n${text}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface GoRun {
  ok: boolean;
  code: number | null;
  output: string;
}

/** Runs a Go program to completion (bounded by `timeoutMs`) and returns its exit status and output. */
export async function runGoProgram(binary: string, args: string[], timeoutMs = 60_000): Promise<GoRun> {
  try {
    const { stdout, stderr } = await run(binary, args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
    return { ok: true, code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string; killed?: boolean };
    const why = e.killed ? `killed after ${timeoutMs} ms` : `exit ${e.code}`;
    return { ok: false, code: typeof e.code === 'number' ? e.code : null, output: `${why}\n${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}
