// A client under test for grpc.bench.mjs, in its own process: `node bench/grpc-client.mjs ours|grpc-js
// <socket path> <warmup ms> <duration ms> <concurrency>`. Drives the grpc-go echo server (loadgen -serve)
// with 64-byte unary calls from `concurrency` callers on one connection and prints one JSON line:
// {"calls","callsPerSec","p50Us","p99Us","errors"}. Both clients use their default settings.
const [impl, socketPath, warmupArg, durationArg, concurrencyArg] = process.argv.slice(2);
if (!['ours', 'grpc-js'].includes(impl) || !socketPath) {
  console.error('usage: node bench/grpc-client.mjs ours|grpc-js <socket path> <warmup ms> <duration ms> <concurrency>');
  process.exit(2);
}
const warmupMs = Number(warmupArg ?? 1000);
const durationMs = Number(durationArg ?? 5000);
const concurrency = Number(concurrencyArg ?? 16);

const asBuffer = (b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const UNARY = {
  path: '/bench.Bench/Unary',
  requestStream: false,
  responseStream: false,
  requestSerialize: asBuffer,
  requestDeserialize: asBuffer,
  responseSerialize: asBuffer,
  responseDeserialize: asBuffer,
  originalName: 'unary',
};
const payload = Buffer.alloc(64);
for (let i = 0; i < payload.length; i++) payload[i] = i;

/** @type {() => Promise<unknown>} */
let call;
let close;
if (impl === 'ours') {
  const { createClient } = await import('../dist/index.js');
  const client = createClient({ Unary: UNARY }, `unix:${socketPath}`);
  call = () => client.Unary(payload);
  close = () => client.close();
} else {
  const grpc = await import('@grpc/grpc-js');
  const Ctor = grpc.makeGenericClientConstructor({ Unary: UNARY }, 'Bench');
  const client = new Ctor(`unix:${socketPath}`, grpc.credentials.createInsecure());
  call = () => new Promise((resolve, reject) => client.Unary(payload, (err, res) => (err ? reject(err) : resolve(res))));
  close = () => client.close();
}

await call(); // connect first; a broken peer fails fast
const start = performance.now();
const warmEnd = start + warmupMs;
const end = warmEnd + durationMs;
const latencies = [];
let errors = 0;
async function caller() {
  for (;;) {
    const t0 = performance.now();
    if (t0 > end) return;
    try {
      await call();
    } catch {
      errors++;
      continue;
    }
    const t1 = performance.now();
    if (t0 > warmEnd && t1 < end) latencies.push(t1 - t0);
  }
}
await Promise.all(Array.from({ length: concurrency }, caller));
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? Math.round(latencies[Math.floor(p * (latencies.length - 1))] * 1000) : 0);
console.log(JSON.stringify({ calls: latencies.length, callsPerSec: latencies.length / (durationMs / 1000), p50Us: pct(0.5), p99Us: pct(0.99), errors }));
await close();
process.exit(0);
