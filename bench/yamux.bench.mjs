// go-plugin multiplexing (yamux) against plain per-connection sockets, in one run:
// - Broker connection set-up: our host (the built package) launching go-plugin v1.8.0's test plugin
//   under AutoMTLS, multiplexed and not, timing broker round trips: the host serves an id, the plugin
//   dials it (set-up 1) and calls it, serves its own id, and the host dials that (set-up 2) and calls
//   it. Median ms per round trip, the two kinds interleaved so machine drift hits both alike.
// - Stream MB/s: bytes through one yamux stream against the bare unix socket under it, and one gRPC
//   bidi stream echoing 64 KiB messages (two in flight: more trips a pre-existing stall of our own
//   client and server, see the issue notes) over a unix socket straight and over one yamux stream,
//   plain and with mutual TLS. Fixed byte counts, rounds alternate, best round shown (10^6 bytes/MB).
// Uses the built package: run `npm run build` first. Informational: nothing fails on speed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function goPeers() {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./test/helpers/go-peers.ts').then(async (m) => console.log(JSON.stringify(await m.goPeers())))"], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

async function brokerSetup(lib, peers, n) {
  const proto = lib.loadProto(join(root, 'test/fixtures/goplugin/test.proto'));
  const Test = lib.serviceOf(proto, 'grpctest.Test');
  const PingPong = lib.serviceOf(proto, 'grpctest.PingPong');
  const start = (multiplex) =>
    lib.startPlugin({ command: peers.modernPlugin, magicCookieKey: 'TEST_PLUGIN_MAGIC_COOKIE', magicCookieValue: 'test', versions: [1, 2], multiplex });
  const plugins = { plain: await start(false), yamux: await start(true) };
  const times = { plain: [], yamux: [] };
  try {
    for (let i = 0; i < n + 1; i++) {
      for (const kind of ['plain', 'yamux']) {
        const plugin = plugins[kind];
        const began = performance.now();
        const hostId = plugin.broker.nextId();
        await plugin.broker.acceptAndServe(hostId, (server) => server.addService(PingPong, { Ping: () => ({ msg: 'pong' }) }));
        const { id } = await plugin.client(Test).Bidirectional({ id: hostId }, { timeoutMs: 10_000 });
        const channel = await plugin.broker.dial(id);
        await lib.createClient(PingPong, channel).Ping({}, { timeoutMs: 10_000 });
        if (i > 0) times[kind].push(performance.now() - began); // the first round warms up
      }
    }
  } finally {
    await Promise.all(Object.values(plugins).map((p) => p.kill()));
  }
  return { plain: median(times.plain), yamux: median(times.yamux) };
}

async function streamMBs(lib, transport, tlsPair, totalMessages) {
  const Echo = lib.serviceOf(lib.parseProto('syntax = "proto3"; package b; message M { bytes data = 1; } service E { rpc Echo(stream M) returns (stream M); }'), 'b.E');
  const server = lib.createServer({ maxReceiveMessageSize: 1 << 20 });
  server.addService(Echo, {
    async *Echo(requests) {
      for await (const m of requests) yield m;
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'yamux-bench-'));
  const path = join(dir, 's');
  let channel;
  let closeTransport = async () => {};
  if (transport === 'plain') {
    await server.listen(`unix:${path}`, { tls: tlsPair?.server });
    channel = lib.createChannel(`unix:${path}`, tlsPair ? { tls: tlsPair.client } : {});
  } else {
    const raw = net.createServer((conn) => lib.createYamuxSession(conn, { role: 'server', onStream: (s) => server.serveConnection(s, { tls: tlsPair?.server }) }));
    await new Promise((resolve) => raw.listen(path, resolve));
    const session = lib.createYamuxSession(net.connect(path), { role: 'client' });
    channel = lib.createChannel(`unix:${path}`, { ...(tlsPair ? { tls: tlsPair.client } : {}), createConnection: () => session.open() });
    closeTransport = async () => {
      await session.close();
      raw.close();
    };
  }
  const client = lib.createClient(Echo, channel);
  const data = Buffer.alloc(64 * 1024, 1);
  let sent = 0;
  let inFlight = 0;
  let received = 0;
  let began = 0;
  let wake;
  async function* requests() {
    while (sent < totalMessages) {
      while (inFlight >= 2) await new Promise((resolve) => (wake = resolve));
      inFlight++;
      sent++;
      yield { data };
    }
  }
  for await (const m of client.Echo(requests())) {
    if (began === 0) began = performance.now();
    else received += m.data.length; // timed from the first reply, which carries the connection set-up
    inFlight--;
    wake?.();
  }
  const mbs = received / 1e6 / ((performance.now() - began) / 1000);
  await channel.close();
  await server.close(200);
  await closeTransport();
  rmSync(dir, { recursive: true, force: true });
  return mbs;
}

/** MB/s of `total` bytes written in 64 KiB chunks from `w` and read at `r`. */
async function pump(w, r, total) {
  const chunk = Buffer.alloc(64 * 1024, 1);
  let got = 0;
  const began = performance.now();
  const done = new Promise((resolve) =>
    r.on('data', (c) => {
      got += c.length;
      if (got >= total) resolve();
    }),
  );
  for (let sent = 0; sent < total; sent += chunk.length) if (!w.write(chunk)) await new Promise((resolve) => w.once('drain', resolve));
  await done;
  r.removeAllListeners('data');
  return total / 1e6 / ((performance.now() - began) / 1000);
}

async function rawMBs(lib, total) {
  const dir = mkdtempSync(join(tmpdir(), 'yamux-bench-'));
  const path = join(dir, 's');
  const accepted = new Promise((resolve) => {
    const server = net.createServer((conn) => {
      server.close();
      resolve(conn);
    });
    server.listen(path);
  });
  const a = net.connect(path);
  const b = await accepted;
  const socket = await pump(a, b, total);
  const client = lib.createYamuxSession(a, { role: 'client' });
  let onStream;
  const first = new Promise((resolve) => (onStream = resolve));
  lib.createYamuxSession(b, { role: 'server', onStream });
  const stream = client.open();
  stream.write('x');
  const other = await first;
  await new Promise((resolve) => other.once('data', resolve));
  const yamux = await pump(stream, other, total);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
  return { socket, yamux };
}

export async function run({ quick = false } = {}) {
  if (!existsSync(new URL('../dist/index.js', import.meta.url))) throw new Error('build first: npm run build');
  const lib = await import(new URL('../dist/index.js', import.meta.url).href);
  const peers = goPeers();
  const setup = await brokerSetup(lib, peers, quick ? 3 : 20);
  console.log('broker round trip (2 connection set-ups + 2 calls), our host → go-plugin v1.8.0 plugin, AutoMTLS, median');
  console.log(`  plain sockets ${setup.plain.toFixed(2)} ms   yamux ${setup.yamux.toFixed(2)} ms   ratio yamux/plain ${(setup.yamux / setup.plain).toFixed(2)}×`);

  const [host, plugin] = await Promise.all([lib.generateCertificate(), lib.generateCertificate()]);
  const tlsPair = { server: lib.pluginServerTls(plugin, host.certPem), client: lib.hostClientTls(host, plugin.certPem) };
  const rounds = quick ? 1 : 3;
  const rawBytes = (quick ? 8 : 128) * 1024 * 1024;
  const raw = { socket: 0, yamux: 0 };
  for (let round = 0; round < rounds; round++) {
    const r = await rawMBs(lib, rawBytes);
    raw.socket = Math.max(raw.socket, r.socket);
    raw.yamux = Math.max(raw.yamux, r.yamux);
  }
  console.log(`bytes through one stream, ${rawBytes / 1024 / 1024} MiB in 64 KiB writes, MB/s, best of ${rounds}`);
  console.log(`  unix socket ${raw.socket.toFixed(0)}   yamux stream on it ${raw.yamux.toFixed(0)}   ratio yamux/plain ${(raw.yamux / raw.socket).toFixed(2)}×`);
  const messages = quick ? 64 : 512;
  console.log(`gRPC bidi echo of ${messages} × 64 KiB, MB/s, best of ${rounds}`);
  for (const [label, tls] of [['plaintext', undefined], ['mutual TLS', tlsPair]]) {
    const best = { plain: 0, yamux: 0 };
    for (let round = 0; round < rounds; round++) {
      for (const transport of ['plain', 'yamux']) best[transport] = Math.max(best[transport], await streamMBs(lib, transport, tls, messages));
    }
    console.log(`  ${label.padEnd(11)} unix socket ${best.plain.toFixed(0)}   yamux stream ${best.yamux.toFixed(0)}   ratio yamux/plain ${(best.yamux / best.plain).toFixed(2)}×`);
  }
}
