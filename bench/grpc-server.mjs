// A server under test for grpc.bench.mjs, in its own process: `node bench/grpc-server.mjs ours|grpc-js
// <socket path>`. Prints "ready" once listening and stops on SIGTERM. Both implementations serve the
// same raw-bytes service (no protobuf), with their default settings.
import { rmSync } from 'node:fs';

const [impl, socketPath] = process.argv.slice(2);
if (!['ours', 'grpc-js'].includes(impl) || !socketPath) {
  console.error('usage: node bench/grpc-server.mjs ours|grpc-js <socket path>');
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
