// Issue 12's launch round, all in one run (interleaved, so a shared machine's drift hits every row alike):
// launch-to-ready under AutoMTLS as the newest go-plugin host sees it (spawn to "ready", the host's own
// certificate left out) for the TS plugin with its .proto at run time (node and bun), with generated
// definitions (node), as a Node single executable, as a Bun executable, against bare `node -e 0` and
// `bun -e 0` (spawn to exit) and go-plugin's own Go test plugin; idle RSS against a bare idle node;
// a certificate against node:crypto's floor (a P-521 key pair plus one ECDSA-SHA512 signature).
// Needs the built package (npm run build). Figures on a shared machine are noisy: read the ratios.
import { spawn, execFileSync } from 'node:child_process';
import { generateKeyPair, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { generateCertificate } from '../src/tls/index.ts';
import { buildBundle, buildBunExecutable, buildSea, BUN, ENTRIES } from '../test/shipping/builds.ts';
import { generate } from '../src/cli/gen.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const protoPlugin = fileURLToPath(new URL('./fixtures/proto-plugin.mjs', import.meta.url));

function goPeers() {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./test/helpers/go-peers.ts').then(async (m) => console.log(JSON.stringify(await m.goPeers())))"], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

function exec(cmd, args, { stdin = 'ignore' } = {}) {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: [stdin, 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, ms: Number(process.hrtime.bigint() - began) / 1e6 }));
  });
}

const lines = (out) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

async function readyMs(host, command) {
  const { code, out } = await exec(host, ['-automtls', '-scenario', 'start', '--', ...command]);
  const ready = lines(out).find((l) => l.step === 'ready');
  if (code !== 0 || ready?.fromSpawnMs === undefined) throw new Error(`the Go host failed to launch ${command.join(' ')}:\n${out}`);
  return ready.fromSpawnMs;
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

/** RSS of a plugin the host launched and called once, 500 ms after it is ready. */
function pluginRss(host, command) {
  return new Promise((resolve, reject) => {
    const child = spawn(host, ['-automtls', '-scenario', 'reattach', '--', ...command], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c;
      const line = lines(out).find((l) => l.step === 'reattach');
      if (!line || child.measured) return;
      child.measured = true;
      setTimeout(() => {
        try {
          resolve(rssMiB(line.config.Pid));
        } catch (err) {
          reject(err);
        }
        child.stdin.end();
      }, 500);
    });
    child.on('error', reject);
    child.on('close', () => child.measured || reject(new Error(`no reattach line from the host:\n${out}`)));
  });
}

function bareIdleRss(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    setTimeout(() => {
      try {
        resolve(rssMiB(child.pid));
      } catch (err) {
        reject(err);
      }
      child.kill();
    }, 500);
  });
}

async function certificateRound(n) {
  const keyPair = promisify(generateKeyPair);
  const ours = [];
  const floor = [];
  await generateCertificate();
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await generateCertificate();
    ours.push(performance.now() - t);
    t = performance.now();
    const { privateKey } = await keyPair('ec', { namedCurve: 'P-521' });
    sign('sha512', new Uint8Array(400), privateKey);
    floor.push(performance.now() - t);
  }
  return { ours: median(ours), floor: median(floor) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(1).padStart(6)} ms`;

export async function run({ quick = false } = {}) {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('build first: npm run build');
  const peers = goPeers();
  const dir = mkdtempSync(join(tmpdir(), 'bench-shipping-'));
  try {
    // Generated definitions importing the built package, compiled to JS as a user's build would.
    const [[, text]] = generate([join(root, 'test/fixtures/goplugin/test.proto')], { importFrom: join(root, 'dist', 'index.js') });
    writeFileSync(join(dir, 'test.ts'), text);
    writeFileSync(
      join(dir, 'generated-plugin.ts'),
      `import { serve } from ${JSON.stringify(join(root, 'dist', 'index.js'))};\nimport { Test } from './test.ts';\n` +
        `const register = (server: any) => server.addService(Test, { Double: ({ Input }: { Input: number }) => ({ Output: Input * 2 }) });\n` +
        `await serve({ magicCookieKey: 'TEST_PLUGIN_MAGIC_COOKIE', magicCookieValue: 'test', versions: { 1: register, 2: register } });\n`,
    );
    execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), [join(dir, 'generated-plugin.ts'), '--bundle', '--packages=external', '--format=esm', '--platform=node', `--outfile=${join(dir, 'generated-plugin.mjs')}`, '--log-level=warning']);
    const bundle = buildBundle(ENTRIES.generated, join(dir, 'bundle', 'plugin.mjs'));
    const sea = buildSea(ENTRIES.generated, dir);
    const bunExe = buildBunExecutable(ENTRIES.generated, dir);

    const rows = {
      'bare node -e 0 (spawn to exit)': () => exec(process.execPath, ['-e', '0']).then((r) => r.ms),
      'bare bun -e 0 (spawn to exit)': () => exec(BUN, ['-e', '0']).then((r) => r.ms),
      'Go test plugin (go-plugin), ready': () => readyMs(peers.modernHost, [peers.modernPlugin]),
      'TS, node, .proto at run time, ready': () => readyMs(peers.modernHost, [process.execPath, protoPlugin]),
      'TS, bun, .proto at run time, ready': () => readyMs(peers.modernHost, [BUN, protoPlugin]),
      'TS, node, generated definitions, ready': () => readyMs(peers.modernHost, [process.execPath, join(dir, 'generated-plugin.mjs')]),
      'TS, node, esbuild bundle (generated), ready': () => readyMs(peers.modernHost, [process.execPath, bundle]),
      'TS, Node single executable, ready': () => readyMs(peers.modernHost, [sea]),
      'TS, bun build --compile executable, ready': () => readyMs(peers.modernHost, [bunExe]),
    };
    const samples = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
    const n = quick ? 3 : 15;
    for (let i = 0; i <= n; i++) {
      for (const [name, measure] of Object.entries(rows)) {
        const ms = await measure();
        if (i > 0) samples[name].push(ms); // the first round warms the page cache
      }
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    console.log(`launch, median of ${n} interleaved rounds:`);
    for (const [name, ms] of Object.entries(m)) console.log(`  ${name.padEnd(46)} ${fmt(ms)}`);
    const bareNode = m['bare node -e 0 (spawn to exit)'];
    const bareBun = m['bare bun -e 0 (spawn to exit)'];
    const goReady = m['Go test plugin (go-plugin), ready'];
    const ratio = (label, value, target) => console.log(`  ${label.padEnd(70)} ${value.toFixed(2)}x (target <= ${target}x)`);
    console.log('ratios (same run):');
    ratio('(node .proto at run time - bare node) / Go plugin ready', (m['TS, node, .proto at run time, ready'] - bareNode) / goReady, 1);
    ratio('(bun .proto at run time - bare bun) / Go plugin ready', (m['TS, bun, .proto at run time, ready'] - bareBun) / goReady, 1);
    ratio('(node generated definitions - bare node) / Go plugin ready', (m['TS, node, generated definitions, ready'] - bareNode) / goReady, 0.6);
    ratio('(node esbuild bundle - bare node) / Go plugin ready', (m['TS, node, esbuild bundle (generated), ready'] - bareNode) / goReady, 0.6);
    ratio('Node single executable ready / bare node', m['TS, Node single executable, ready'] / bareNode, 1.2);
    ratio('(bun executable - bare bun) / Go plugin ready', (m['TS, bun build --compile executable, ready'] - bareBun) / goReady, 1);

    const rssRounds = quick ? 1 : 3;
    const rss = { bare: [], proto: [], generated: [], sea: [] };
    for (let i = 0; i < rssRounds; i++) {
      rss.bare.push(await bareIdleRss(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']));
      rss.proto.push(await pluginRss(peers.modernHost, [process.execPath, protoPlugin]));
      rss.generated.push(await pluginRss(peers.modernHost, [process.execPath, join(dir, 'generated-plugin.mjs')]));
      rss.sea.push(await pluginRss(peers.modernHost, [sea]));
    }
    const r = Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, median(v)]));
    console.log(`idle RSS, median of ${rssRounds}: bare idle node ${r.bare.toFixed(1)} MiB; plugin (.proto at run time) ${r.proto.toFixed(1)} MiB; generated ${r.generated.toFixed(1)} MiB; SEA ${r.sea.toFixed(1)} MiB`);
    ratio('idle RSS, .proto at run time / bare idle node', r.proto / r.bare, 1.2);
    ratio('idle RSS, generated definitions / bare idle node', r.generated / r.bare, 1.2);

    const cert = await certificateRound(quick ? 5 : 30);
    console.log(`certificate: generateCertificate() ${cert.ours.toFixed(2)} ms; node:crypto floor (P-521 key pair + one ECDSA-SHA512 signature) ${cert.floor.toFixed(2)} ms`);
    ratio('certificate / node:crypto floor', cert.ours / cert.floor, 1.2);

    const size = (f) => `${(statSync(f).size / 1024 / 1024).toFixed(1)} MiB`;
    console.log(`sizes: esbuild bundle ${(statSync(bundle).size / 1024).toFixed(0)} KiB; Node single executable ${size(sea)}; Bun executable ${size(bunExe)}`);
    return m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run({ quick: process.argv.includes('--quick') });
