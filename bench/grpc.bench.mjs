// gRPC throughput and latency, in one run under the same load: our server against @grpc/grpc-js's and
// against a bare node:http2 responder (the limit: same wire bytes, no gRPC logic), and our client against
// grpc-js's client driving the same grpc-go server.
//
// - Library under test: the built package, dist/index.js (run `npm run build` first), imported by
//   bench/grpc-server.mjs as users import it.
// - Load generator: grpc-go (bench/go, built here with the Go on PATH or in $GO into .cache/bench),
//   one process with GOMAXPROCS=1, so each server under test has the other core.
// - Transport: a unix socket. Messages are raw bytes (no protobuf) so the gRPC layers are compared.
// - Unary: 64-byte messages from 16 concurrent callers on one connection: calls/s, p50 and p99 latency.
// - Stream: one bidi stream echoing 64 KiB messages: MB/s received back by the client (10^6 bytes).
//   (not for the bare responder, which answers unary calls only).
// - Client: bench/grpc-client.mjs (ours, then grpc-js) makes the same unary calls against a grpc-go
//   server (loadgen -serve, GOMAXPROCS=1): calls/s, p50, p99 as the client measures them.
// Servers and clients run one after the other, `rounds` times alternating. The tables show each one's
// best round; the ratios are the median over rounds of the ratio within each round.
// Numbers are informational: the tests never assert on speed. BENCH_PROFILE=1 adds one unary round per
// server under `node --cpu-prof` and prints CPU and GC microseconds per call from the profile
// (written to .cache/bench/profiles).
import { spawn, execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBinary, goBuildEnv } from '../test/helpers/tools.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = join(root, '.cache', 'bench');
const loadgenPath = join(cacheDir, 'loadgen');
const IMPLS = ['ours', 'grpc-js', 'bare'];
const CLIENTS = ['ours', 'grpc-js'];

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

/** Spawns a child that prints "ready" once it listens; resolves to its stop(). */
function startReady(name, command, args, env) {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${name} did not start within 20 s`));
    }, 20_000);
    child.stdout.on('data', (chunk) => {
      if (!String(chunk).includes('ready')) return;
      clearTimeout(timer);
      resolve({
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${name} exited (${code}) before it was ready`));
    });
  });
}

function startServer(impl, socketPath, profileFile) {
  const prof = profileFile ? ['--cpu-prof', `--cpu-prof-dir=${dirname(profileFile)}`, `--cpu-prof-name=${basename(profileFile)}`] : [];
  return startReady(`${impl} bench server`, process.execPath, [...prof, join(root, 'bench', 'grpc-server.mjs'), impl, socketPath], process.env);
}

/** Runs one client under test against the grpc-go server; returns its JSON result. */
function runClient(impl, socketPath, timing) {
  return new Promise((resolve, reject) => {
    const args = [join(root, 'bench', 'grpc-client.mjs'), impl, socketPath, String(timing.warmupMs), String(timing.durationMs), '16'];
    execFile(process.execPath, args, { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the ${impl} bench client failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

/** CPU and GC time of a profile, from its samples: everything but (idle), and (garbage collector). */
function profileTimes(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  let cpu = 0;
  let gc = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const name = names.get(id);
    if (name === '(idle)') return;
    cpu += dt;
    if (name === '(garbage collector)') gc += dt;
  });
  return { cpuUs: cpu, gcUs: gc };
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

const newBest = () => ({ callsPerSec: 0, p50Us: Infinity, p99Us: Infinity, mbPerSec: 0, errors: 0 });
const alternate = (list, round) => (round % 2 === 0 ? list : [...list].reverse());

/** @param {{ quick?: boolean, profile?: boolean }} options */
export async function run({ quick = false, profile = process.env.BENCH_PROFILE === '1' } = {}) {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new Error('dist/index.js is missing: run `npm run build` before the benchmark (it measures the built package)');
  }
  buildLoadgen();
  const timing = quick ? { warmupMs: 200, durationMs: 1000, rounds: 1 } : { warmupMs: 500, durationMs: 2000, rounds: 5 };
  const profileDir = profile ? join(cacheDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'grpc-bench-'));
  const best = Object.fromEntries(IMPLS.map((impl) => [impl, newBest()]));
  const bestClient = Object.fromEntries(CLIENTS.map((impl) => [impl, newBest()]));
  const perCall = {};
  /** Each round's results, for ratios of runs made minutes apart at most (the machine's load drifts). */
  const rounds = [];
  const loadBefore = loadavg()[0];
  const unaryArgs = ['-mode=unary', '-size=64', '-concurrency=16'];
  try {
    for (let round = 0; round < timing.rounds; round++) {
      const r = {};
      rounds.push(r);
      for (const impl of alternate(IMPLS, round)) {
        const socketPath = join(dir, `${impl}.sock`);
        const server = await startServer(impl, socketPath);
        try {
          const common = [`-target=unix://${socketPath}`, `-warmup=${timing.warmupMs}ms`, `-duration=${timing.durationMs}ms`];
          const unary = loadgen([...common, ...unaryArgs], 120_000);
          const b = best[impl];
          if (unary.callsPerSec > b.callsPerSec) Object.assign(b, { callsPerSec: unary.callsPerSec, p50Us: unary.p50Us, p99Us: unary.p99Us });
          b.errors += unary.errors;
          r[impl] = { callsPerSec: unary.callsPerSec, p99Us: unary.p99Us };
          if (impl !== 'bare') {
            const stream = loadgen([...common, '-mode=stream', '-size=65536', '-streams=1'], 120_000);
            b.mbPerSec = Math.max(b.mbPerSec, stream.mbPerSec);
            r[impl].mbPerSec = stream.mbPerSec;
            b.errors += stream.errors;
          }
        } finally {
          await server.stop();
        }
      }
    }

    // The client round: one grpc-go server, each client in its own process in turn.
    const goSocket = join(dir, 'grpc-go.sock');
    const goServer = await startReady('grpc-go bench server', loadgenPath, [`-serve=${goSocket}`], { ...process.env, GOMAXPROCS: '1' });
    try {
      for (let round = 0; round < timing.rounds; round++) {
        for (const impl of alternate(CLIENTS, round)) {
          const r = await runClient(impl, goSocket, timing);
          rounds[round][`client-${impl}`] = r;
          const b = bestClient[impl];
          if (r.callsPerSec > b.callsPerSec) Object.assign(b, { callsPerSec: r.callsPerSec, p50Us: r.p50Us, p99Us: r.p99Us });
          b.errors += r.errors;
        }
      }
    } finally {
      await goServer.stop();
    }

    if (profileDir) {
      for (const impl of IMPLS) {
        const socketPath = join(dir, `${impl}-prof.sock`);
        const file = join(profileDir, `${impl}-${Date.now()}.cpuprofile`);
        const server = await startServer(impl, socketPath, file);
        let unary;
        try {
          unary = loadgen([`-target=unix://${socketPath}`, '-warmup=0s', `-duration=${timing.durationMs}ms`, ...unaryArgs], 120_000);
        } finally {
          await server.stop();
        }
        const t = profileTimes(file);
        // Every call the server answered: the measured ones and the connecting one.
        const calls = unary.calls + 1;
        perCall[impl] = { cpuUs: t.cpuUs / calls, gcUs: t.gcUs / calls, callsPerSec: unary.callsPerSec };
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg()[0];

  const ours = best['ours'];
  const js = best['grpc-js'];
  const bare = best['bare'];
  const cOurs = bestClient['ours'];
  const cJs = bestClient['grpc-js'];
  // Each ratio is taken within a round, then the median over rounds: a load spike in one round moves
  // one sample, not the figure.
  const median = (f) => {
    const v = rounds.map(f).sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const ratios = {
    unaryVsBare: median((r) => r.ours.callsPerSec / r.bare.callsPerSec),
    unaryCallsPerSec: median((r) => r.ours.callsPerSec / r['grpc-js'].callsPerSec),
    p99: median((r) => r.ours.p99Us / r['grpc-js'].p99Us),
    p99VsBare: median((r) => r.ours.p99Us / r.bare.p99Us),
    streamMbPerSec: median((r) => r.ours.mbPerSec / r['grpc-js'].mbPerSec),
    clientCallsPerSec: median((r) => r['client-ours'].callsPerSec / r['client-grpc-js'].callsPerSec),
    clientP99: median((r) => r['client-ours'].p99Us / r['client-grpc-js'].p99Us),
  };
  console.log(
    `gRPC over a unix socket; ${timing.rounds} alternating round(s) of ${timing.durationMs} ms; tables: best round; ratios: median of the per-round ratios; ` +
      `load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (2 cores: above 2 the machine was shared)`,
  );
  console.log('server (grpc-go load)   unary calls/s   p50 µs   p99 µs   64 KiB bidi MB/s   errors');
  for (const impl of IMPLS) {
    const b = best[impl];
    const name = impl === 'bare' ? 'bare node:http2' : impl;
    const mb = impl === 'bare' ? '-' : fmt(b.mbPerSec, 1);
    console.log(`${name.padEnd(22)} ${fmt(b.callsPerSec).padStart(15)} ${fmt(b.p50Us).padStart(8)} ${fmt(b.p99Us).padStart(8)} ${mb.padStart(18)} ${String(b.errors).padStart(8)}`);
  }
  console.log('client (grpc-go server) unary calls/s   p50 µs   p99 µs');
  for (const impl of CLIENTS) {
    const b = bestClient[impl];
    console.log(`${impl.padEnd(22)} ${fmt(b.callsPerSec).padStart(15)} ${fmt(b.p50Us).padStart(8)} ${fmt(b.p99Us).padStart(8)}`);
  }
  console.log(
    `server: ours/bare unary calls/s ${fmt(ratios.unaryVsBare, 2)}× (target ≥ 0.9), ours/grpc-js unary calls/s ${fmt(ratios.unaryCallsPerSec, 2)}×, ` +
      `p99 ${fmt(ratios.p99, 2)}× (target ≤ 0.7; ours/bare ${fmt(ratios.p99VsBare, 2)}×), 64 KiB bidi MB/s ${fmt(ratios.streamMbPerSec, 2)}× (target ≥ 1.3)`,
  );
  console.log(`client: ours/grpc-js unary calls/s ${fmt(ratios.clientCallsPerSec, 2)}× (target ≥ 1.8), p99 ${fmt(ratios.clientP99, 2)}×`);
  const each = (f) => rounds.map((r) => fmt(f(r), 2)).join(' ');
  console.log(`per round: server ours/bare ${each((r) => r.ours.callsPerSec / r.bare.callsPerSec)}; ours/grpc-js ${each((r) => r.ours.callsPerSec / r['grpc-js'].callsPerSec)}; client ours/grpc-js ${each((r) => r['client-ours'].callsPerSec / r['client-grpc-js'].callsPerSec)}`);
  if (profileDir) {
    console.log(`CPU profiles (one unary round each, ${timing.durationMs} ms, no warm-up; start-up included): ${profileDir}`);
    for (const impl of IMPLS) {
      const p = perCall[impl];
      console.log(`  ${impl.padEnd(8)} ${fmt(p.cpuUs, 1).padStart(6)} µs CPU per call, ${fmt(p.gcUs, 1).padStart(5)} µs GC per call (${fmt(p.callsPerSec)} calls/s while profiled)`);
    }
  }
  const errors = [...IMPLS.map((i) => best[i].errors), ...CLIENTS.map((i) => bestClient[i].errors)].reduce((a, b) => a + b, 0);
  if (errors > 0) throw new Error(`the benchmark saw ${errors} failed calls`);
  return { ours, grpcJs: js, bare, clients: bestClient, perCall, ratios };
}
