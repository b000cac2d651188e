// Shared fixtures for the gRPC behaviour tests: go-plugin's test service, a service with all four call
// kinds, servers on temp unix sockets or 127.0.0.1:0, and a raw node:http2 client for wire-level checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import http2 from 'node:http2';
import net from 'node:net';
import { loadProto, parseProto, serviceOf } from '../../src/grpc/proto.js';
import { createServer, type Server, type ServerOptions } from '../../src/grpc/server.js';
import type { ServiceDefinition, ServiceHandlers } from '../../src/grpc/service.js';
import { encodeFrame, FrameDecoder } from '../../src/grpc/framing.js';

export const TEST_PROTO = fileURLToPath(new URL('../fixtures/goplugin/test.proto', import.meta.url));
export const TestService = serviceOf(loadProto(TEST_PROTO), 'grpctest.Test');

/** All four call kinds; `data` carries payload for size tests, `n` a number. */
export const CallsService = serviceOf(
  parseProto(`
    syntax = "proto3";
    package behave;
    message Num { int32 n = 1; bytes data = 2; string text = 3; }
    service Calls {
      rpc Unary(Num) returns (Num);
      rpc Count(Num) returns (stream Num);
      rpc Sum(stream Num) returns (Num);
      rpc Echo(stream Num) returns (stream Num);
    }
  `),
  'behave.Calls',
);

export function tempDir(prefix: string): { path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Running {
  server: Server;
  address: string;
  close(): Promise<void>;
}

/** A server with one service, listening on `address` (default 127.0.0.1:0). */
export async function serve<S extends ServiceDefinition>(
  definition: S,
  handlers: ServiceHandlers<S>,
  options: ServerOptions = {},
  address = '127.0.0.1:0',
): Promise<Running> {
  const server = createServer(options);
  server.addService(definition, handlers);
  const bound = await server.listen(address);
  return { server, address: bound, close: () => server.forceClose() };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

/** A raw HTTP/2 session to a bound address string (`unix:/p` or `host:port`). */
export function rawConnect(address: string): Promise<http2.ClientHttp2Session> {
  const session = address.startsWith('unix:')
    ? http2.connect('http://localhost', { createConnection: () => net.connect(address.slice('unix:'.length)) })
    : http2.connect(`http://${address}`);
  session.on('error', () => {});
  return new Promise((resolve, reject) => {
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

export interface RawResponse {
  headers: http2.IncomingHttpHeaders;
  /** END_STREAM was set on the response HEADERS (trailers-only). */
  endStream: boolean;
  trailers: http2.IncomingHttpHeaders | undefined;
  body: Buffer;
  rstCode: number | undefined;
  /** The messages in the body (identity only). */
  messages: Uint8Array[];
}

export const GRPC_REQUEST_HEADERS = { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' };

/**
 * One raw request: `headers` over GRPC_REQUEST_HEADERS, then `body` (bytes, or undefined to leave the
 * request open until `endAfterMs`), then the whole response.
 */
export function rawRequest(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array | undefined,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ...GRPC_REQUEST_HEADERS, ...headers });
    } catch (err) {
      reject(err);
      return;
    }
    const chunks: Buffer[] = [];
    let response: http2.IncomingHttpHeaders = {};
    let endStream = false;
    let trailers: http2.IncomingHttpHeaders | undefined;
    stream.on('response', (h, flags) => {
      response = h;
      endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('trailers', (h) => (trailers = h));
    stream.on('error', () => {});
    stream.on('close', () => {
      const bodyBytes = Buffer.concat(chunks);
      let messages: Uint8Array[] = [];
      try {
        messages = new FrameDecoder(2 ** 31).push(bodyBytes).map((f) => f.payload);
      } catch {
        messages = [];
      }
      resolve({ headers: response, endStream, trailers, body: bodyBytes, rstCode: stream.rstCode, messages });
    });
    if (body !== undefined) stream.end(body);
  });
}

/** The grpc-status a raw response carries, from its trailers or a trailers-only HEADERS frame. */
export function statusOf(r: RawResponse): { code: string | undefined; message: string | undefined } {
  const h = r.trailers ?? r.headers;
  return { code: h['grpc-status'] as string | undefined, message: h['grpc-message'] as string | undefined };
}

export { encodeFrame };

/** `promise`, or a failure naming `what` after `ms`: a broken behaviour fails the test instead of hanging it. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
