// Our certificates against Go's own crypto/x509 and crypto/tls, the code every go-plugin host and
// plugin runs: a standard-library Go peer (go-tls-peer/main.go) in both roles.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen, type Http2Listener } from '../../../src/http2/listener.ts';
import { createChannel } from '../../../src/http2/channel.ts';
import { generateCertificate, hostClientTls, pluginServerTls, type Certificate } from '../../../src/tls/index.ts';
import { dial, echo, post } from './peer.ts';
import { goBinary, goBuildEnv } from '../../helpers/tools.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const PEER = join(root, 'test/go/bin/tlspeer');

/** Builds the peer from source every run (cached by Go), into the gitignored test/go/bin. */
function buildPeer(): void {
  const go = goBinary();
  mkdirSync(join(root, 'test/go/bin'), { recursive: true });
  const result = spawnSync(go, ['build', '-o', PEER, '.'], {
    cwd: join(root, 'test/unit/tls/go-tls-peer'),
    encoding: 'utf8',
    env: goBuildEnv(),
  });
  assert.equal(result.status, 0, `building the Go TLS peer failed: ${result.error?.message ?? ''}${result.stderr}`);
}

/** Hex SHA-256 as the peer prints it (no colons). */
const fingerprint = (cert: Certificate) => new X509Certificate(cert.certPem).fingerprint256.replace(/:/g, '');

let dir: string;
let ours: Certificate;
let go: Certificate;
let stranger: Certificate;
const file = (name: string) => join(dir, name);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tls-go-')); // first: after() removes it even when the build fails
  buildPeer();
  [ours, go, stranger] = await Promise.all([generateCertificate(), generateCertificate(), generateCertificate()]);
  for (const [name, cert] of [['ours', ours], ['go', go], ['stranger', stranger]] as const) {
    writeFileSync(file(`${name}.pem`), cert.certPem);
    writeFileSync(file(`${name}.key`), cert.keyPem);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface GoServer {
  address: string;
  process: ChildProcessWithoutNullStreams;
}

function startGoServer(listenAt: string, trust: string): Promise<GoServer> {
  const child = spawn(PEER, ['-mode', 'server', '-cert', file('go.pem'), '-key', file('go.key'), '-peer', file(`${trust}.pem`), '-listen', listenAt]);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = /^LISTENING (\S+)\n/m.exec(stdout);
      if (line) resolve({ address: line[1]!, process: child });
    });
    child.once('exit', (code) => reject(new Error(`the Go TLS server exited (${code}) before listening: ${stderr}`)));
  });
}

function stopGoServer(server: GoServer): Promise<void> {
  return new Promise((resolve) => {
    if (server.process.exitCode !== null) return resolve();
    const timer = setTimeout(() => server.process.kill('SIGKILL'), 3_000);
    server.process.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // The peer exits when its stdin closes.
    server.process.stdin.end();
  });
}

/** Runs the Go client to completion (async: our listener lives in this process). */
function runGoClient(address: string, as: string, trust: string, body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(PEER, ['-mode', 'client', '-cert', file(`${as}.pem`), '-key', file(`${as}.key`), '-peer', file(`${trust}.pem`), '-addr', address, '-body', body]);
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const toDial = (address: string) => {
  if (address.startsWith('unix:')) return { path: address.slice('unix:'.length) };
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
};

describe('a Go crypto/tls server (as a Go plugin) accepts our host certificate and is trusted by it', () => {
  const servers: GoServer[] = [];
  after(async () => {
    await Promise.all(servers.map(stopGoServer));
  });

  for (const where of ['unix', 'tcp'] as const) {
    it(`our HTTP/2 client completes a POST over ${where === 'unix' ? 'a unix socket' : '127.0.0.1'}, and Go sees our certificate`, async () => {
      const server = await startGoServer(where === 'unix' ? `unix:${file('go.sock')}` : '127.0.0.1:0', 'ours');
      servers.push(server);
      const channel = createChannel(server.address, { tls: hostClientTls(ours, go.certDer) });
      try {
        assert.deepEqual(await post(channel, 'ping'), { status: 200, body: `go:HTTP/2.0:${fingerprint(ours)}:ping` });
      } finally {
        await channel.close();
      }
      assert.equal(await dial(toDial(server.address), hostClientTls(ours, go.certPem)), 'accepted');
    });
  }

  it('Go refuses a different self-made client certificate, and no certificate at all', async () => {
    const server = await startGoServer(`unix:${file('go-refuse.sock')}`, 'ours');
    servers.push(server);
    assert.equal(await dial(toDial(server.address), hostClientTls(ours, go.certPem)), 'accepted');
    assert.match(await dial(toDial(server.address), hostClientTls(stranger, go.certPem)), /^refused: .*alert unknown ca/);
    const { cert: _cert, key: _key, ...noCert } = hostClientTls(ours, go.certPem);
    assert.match(await dial(toDial(server.address), noCert), /^refused: .*alert certificate required/);
  });

  it('our client refuses a Go server whose certificate is not the one it trusts', async () => {
    const server = await startGoServer(`unix:${file('go-wrong.sock')}`, 'ours');
    servers.push(server);
    const channel = createChannel(server.address, { tls: hostClientTls(ours, stranger.certPem) });
    try {
      await assert.rejects(post(channel, 'x'), /cannot connect to unix:.*: self-signed certificate$/);
    } finally {
      await channel.close();
    }
  });
});

describe('a Go crypto/tls client (as a Go host) accepts our plugin certificate and is trusted by it', () => {
  let unixListener: Http2Listener;
  let tcpListener: Http2Listener;
  const seen: string[] = [];

  before(async () => {
    const tls = pluginServerTls(ours, go.certPem);
    unixListener = await listen(`unix:${file('ours.sock')}`, { tls, onStream: echo(seen) });
    tcpListener = await listen('127.0.0.1:0', { tls, onStream: echo(seen) });
  });
  after(async () => {
    await Promise.all([unixListener.close(100), tcpListener.close(100)]);
  });

  const unixAddress = () => `unix:${file('ours.sock')}`;
  const tcpAddress = () => `127.0.0.1:${(tcpListener.address as { port: number }).port}`;

  for (const where of ['unix', 'tcp'] as const) {
    it(`Go's HTTP/2 POST succeeds over ${where === 'unix' ? 'a unix socket' : '127.0.0.1'} with server name localhost, and we see Go's certificate`, async () => {
      const result = await runGoClient(where === 'unix' ? unixAddress() : tcpAddress(), 'go', 'ours', 'hello');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '200 HTTP/2.0 h2:hello\n');
      assert.equal(seen.at(-1), new X509Certificate(go.certPem).fingerprint256);
    });
  }

  it('we refuse a Go client presenting a different self-made certificate', async () => {
    const before = seen.length;
    const result = await runGoClient(unixAddress(), 'stranger', 'ours', 'x');
    assert.equal(result.code, 1);
    // A Node server checks the client certificate after the handshake and drops the connection.
    assert.match(result.stderr, /tlspeer: POST: .*(connection reset by peer|EOF|broken pipe|remote error: tls)/);
    assert.equal(seen.length, before, 'no request reached our handler');
  });

  it('Go refuses our server when it trusts a different certificate', async () => {
    const result = await runGoClient(tcpAddress(), 'go', 'stranger', 'x');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /certificate signed by unknown authority/);
  });
});
