// gRPC throughput and latency: our server against @grpc/grpc-js's, in one run, under the same load.
//
// - Library under test: the built package, dist/index.js (run `npm run build` first), imported by
//   bench/grpc-server.mjs as users import it.
// - Load generator: grpc-go (bench/go, built here with the Go on PATH or in $GO into .cache/bench),
//   one process with GOMAXPROCS=1, so each server under test has the other core.
// - Transport: a unix socket. Messages are raw bytes (no protobuf) so the gRPC layers are compared.
// - Unary: 64-byte messages from 16 concurrent callers on one connection: calls/s, p50 and p99 latency.
// - Stream: one bidi stream echoing 64 KiB messages: MB/s received back by the client (10^6 bytes).
// Servers run one after the other, each `rounds` times alternating; the best round of each counts.
// Numbers are informational: the tests never assert on speed. BENCH_PROFILE=1 also writes each server's
// CPU profile (node --cpu-prof) to .cache/bench/profiles.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBinary, goBuildEnv } from '../test/helpers/tools.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = join(root, '.cache', 'bench');
const loadgenPath = join(cacheDir, 'loadgen');
const IMPLS = ['ours', 'grpc-js'];

/** Builds the grpc-go load generator (a no-op when Go's build cache is warm). */
function buildLoadgen() {
  mkdirSync(cacheDir, { recursive: true });
  const go = goBinary();
  try {
    execFileSync(go, ['build', '-o', loadgenPath, '.'], {
      cwd: join(root, 'bench', 'go'),
      env: goBuildEnv({ GOFLAGS: '-mod=readonly -buildvcs=false' }),
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 15 * 60_000,
    });
  } catch (err) {
    throw new Error(`building the grpc-go load generator (bench/go) with ${go} failed: ${err.stderr?.toString() || err.message}`);
  }
}

function startServer(impl, socketPath, profileDir) {
  const args = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${impl}-${Date.now()}.cpuprofile`] : []), join(root, 'bench', 'grpc-server.mjs'), impl, socketPath];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${impl} bench server did not start within 20 s`));
    }, 20_000);
    child.stdout.on('data', (chunk) => {
      if (!String(chunk).includes('ready')) return;
      clearTimeout(timer);
      resolve({
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${impl} bench server exited (${code}) before it was ready`));
    });
  });
}

function loadgen(args, timeoutMs) {
  const out = execFileSync(loadgenPath, args, {
    env: { ...process.env, GOMAXPROCS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  return JSON.parse(out.toString().trim().split('\n').pop());
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** @param {{ quick?: boolean, profile?: boolean }} options */
export async function run({ quick = false, profile = process.env.BENCH_PROFILE === '1' } = {}) {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new Error('dist/index.js is missing: run `npm run build` before the benchmark (it measures the built package)');
  }
  buildLoadgen();
  const timing = quick ? { warmup: '200ms', duration: '1s', rounds: 1 } : { warmup: '1s', duration: '5s', rounds: 2 };
  const profileDir = profile ? join(cacheDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'grpc-bench-'));
  const best = Object.fromEntries(IMPLS.map((impl) => [impl, { callsPerSec: 0, p50Us: Infinity, p99Us: Infinity, mbPerSec: 0, errors: 0 }]));
  try {
    for (let round = 0; round < timing.rounds; round++) {
      for (const impl of round % 2 === 0 ? IMPLS : [...IMPLS].reverse()) {
        const socketPath = join(dir, `${impl}.sock`);
        const server = await startServer(impl, socketPath, profileDir);
        try {
          const target = `unix://${socketPath}`;
          const common = [`-target=${target}`, `-warmup=${timing.warmup}`, `-duration=${timing.duration}`];
          const unary = loadgen([...common, '-mode=unary', '-size=64', '-concurrency=16'], 120_000);
          const stream = loadgen([...common, '-mode=stream', '-size=65536', '-streams=1'], 120_000);
          const b = best[impl];
          if (unary.callsPerSec > b.callsPerSec) Object.assign(b, { callsPerSec: unary.callsPerSec, p50Us: unary.p50Us, p99Us: unary.p99Us });
          b.mbPerSec = Math.max(b.mbPerSec, stream.mbPerSec);
          b.errors += unary.errors + stream.errors;
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ours = best['ours'];
  const js = best['grpc-js'];
  const ratios = {
    unaryCallsPerSec: ours.callsPerSec / js.callsPerSec,
    streamMbPerSec: ours.mbPerSec / js.mbPerSec,
    p99: ours.p99Us / js.p99Us,
  };
  console.log(`gRPC over a unix socket, grpc-go load generator; ${timing.rounds} round(s) of ${timing.duration}, best round shown`);
  console.log('server    unary calls/s   p50 µs   p99 µs   64 KiB bidi MB/s   errors');
  for (const impl of IMPLS) {
    const b = best[impl];
    console.log(
      `${impl.padEnd(8)} ${fmt(b.callsPerSec).padStart(14)} ${fmt(b.p50Us).padStart(8)} ${fmt(b.p99Us).padStart(8)} ${fmt(b.mbPerSec, 1).padStart(18)} ${String(b.errors).padStart(8)}`,
    );
  }
  console.log(
    `ours/grpc-js: unary calls/s ${fmt(ratios.unaryCallsPerSec, 2)}× (target ≥ 2), stream MB/s ${fmt(ratios.streamMbPerSec, 2)}× (target ≥ 1.3), ` +
      `p99 ${fmt(ratios.p99, 2)}× (target ≤ 0.5)`,
  );
  if (profileDir) console.log(`CPU profiles of the servers: ${profileDir}`);
  if (ours.errors + js.errors > 0) throw new Error(`the load generator saw ${ours.errors + js.errors} failed calls`);
  return { ours, grpcJs: js, ratios };
}
