// A server under test for grpc.bench.mjs, in its own process: `node bench/grpc-server.mjs ours|grpc-js|bare
// <socket path>`. Prints "ready" once listening and stops on SIGTERM. ours and grpc-js serve the same
// raw-bytes service (no protobuf), with their default settings. bare is node:http2 with no gRPC logic: it
// reads each request to its end and answers with the same bytes our server puts on the wire for a 64-byte
// unary echo (response headers, one precomputed length-prefixed message, grpc-status 0): the most any
// gRPC server on node:http2 can reach on this load.
import { rmSync } from 'node:fs';

const [impl, socketPath] = process.argv.slice(2);
if (!['ours', 'grpc-js', 'bare'].includes(impl) || !socketPath) {
  console.error('usage: node bench/grpc-server.mjs ours|grpc-js|bare <socket path>');
  process.exit(2);
}
rmSync(socketPath, { force: true });

const asBuffer = (b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const method = (name, streams) => ({
  path: `/bench.Bench/${name}`,
  requestStream: streams,
  responseStream: streams,
  requestSerialize: asBuffer,
  requestDeserialize: asBuffer,
  responseSerialize: asBuffer,
  responseDeserialize: asBuffer,
  originalName: name.charAt(0).toLowerCase() + name.slice(1),
});
/** One definition in grpc-js's shape, which both servers take. */
const BENCH_SERVICE = { Unary: method('Unary', false), Echo: method('Echo', true) };

let stop;
if (impl === 'ours') {
  // The built package (npm run build), as users get it.
  const { createServer } = await import('../dist/index.js');
  const server = createServer();
  server.addService(BENCH_SERVICE, {
    Unary: (request) => request,
    Echo: async function* (requests) {
      for await (const r of requests) yield r;
    },
  });
  await server.listen(`unix:${socketPath}`);
  stop = () => server.close(500);
} else if (impl === 'bare') {
  const http2 = await import('node:http2');
  const payload = Buffer.alloc(64);
  for (let i = 0; i < payload.length; i++) payload[i] = i;
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, payload.length]), payload]);
  const headers = { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity,gzip,deflate' };
  const trailers = { 'grpc-status': '0' };
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.on('data', () => {});
    stream.on('end', () => {
      stream.respond(headers, { waitForTrailers: true });
      stream.end(frame);
    });
  });
  await new Promise((resolve) => server.listen(socketPath, resolve));
  stop = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const grpc = await import('@grpc/grpc-js');
  const server = new grpc.Server();
  server.addService(BENCH_SERVICE, {
    Unary: (call, callback) => callback(null, call.request),
    Echo: (call) => {
      call.on('data', (d) => {
        if (!call.write(d)) {
          call.pause();
          call.once('drain', () => call.resume());
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  stop = () => new Promise((resolve) => {
    server.tryShutdown(() => resolve());
    setTimeout(() => { server.forceShutdown(); resolve(); }, 500).unref();
  });
}

process.on('SIGTERM', async () => {
  await stop();
  process.exit(0);
});
console.log('ready');
