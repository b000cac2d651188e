// Launch-to-ready of a TS plugin under AutoMTLS as the newest go-plugin Go host sees it (spawn,
// handshake, TLS dial, dispense: the host's "ready" step, timed from its "starting plugin" log line,
// so the host's own certificate generation is left out), median of several runs, against a bare
// `node -e 0` (spawn to exit) measured in the same run, and the Go test plugin for reference.
// Uses the built package: run `npm run build` first. Target (issue 4): TS plugin <= 1.5x bare node.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const plugin = fileURLToPath(new URL('./fixtures/launch-plugin.mjs', import.meta.url));

function goPeers() {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./test/helpers/go-peers.ts').then(async (m) => console.log(JSON.stringify(await m.goPeers())))"], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

function exec(cmd, args) {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, ms: Number(process.hrtime.bigint() - began) / 1e6 }));
  });
}

async function readyMs(host, pluginArgs) {
  const { code, out } = await exec(host, ['-automtls', '-scenario', 'start', '--', ...pluginArgs]);
  const ready = out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.step === 'ready');
  if (code !== 0 || !ready || ready.fromSpawnMs === undefined) throw new Error(`the Go host failed to launch ${pluginArgs.join(' ')}:\n${out}`);
  // From spawn, as the issue defines it; ready.ms would add the host's own certificate generation.
  return ready.fromSpawnMs;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run({ quick = false } = {}) {
  if (!existsSync(new URL('../dist/index.js', import.meta.url))) throw new Error('build first: npm run build');
  const peers = goPeers();
  const n = quick ? 3 : 15;
  const bare = [];
  const ts = [];
  const go = [];
  // Interleaved, so drift on a shared machine hits all three alike.
  for (let i = 0; i < n + 1; i++) {
    const b = (await exec(process.execPath, ['-e', '0'])).ms;
    const t = await readyMs(peers.modernHost, [process.execPath, plugin]);
    const g = await readyMs(peers.modernHost, [peers.modernPlugin]);
    if (i === 0) continue; // warm-up: page cache
    bare.push(b);
    ts.push(t);
    go.push(g);
  }
  const bareMs = median(bare);
  const tsMs = median(ts);
  console.log(`bare node -e 0 (spawn to exit)           median ${bareMs.toFixed(1)} ms`);
  console.log(`TS plugin, AutoMTLS, launch to ready     median ${tsMs.toFixed(1)} ms`);
  console.log(`Go plugin, AutoMTLS, launch to ready     median ${median(go).toFixed(1)} ms`);
  console.log(`ratio TS plugin / bare node: ${(tsMs / bareMs).toFixed(2)}x (target <= 1.5x)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run({ quick: process.argv.includes('--quick') });
