// Certificates made here (generateCertificate, go-plugin's AutoMTLS template) carry a real mutual-TLS
// gRPC call with grpc-go in both roles, over TCP and a unix socket, and a peer without the trusted
// certificate is refused both ways.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient, createServer, generateCertificate, hostClientTls, pluginServerTls, GrpcError, Status, type Certificate } from '../../src/index.js';
import { internalServices } from '../../src/plugin/internal-services.js';
import { goPeers, startGo, type GoPeers } from '../helpers/go-peers.js';

const run = promisify(execFile);
let peers: GoPeers;
let dir: string;
let ours: Certificate;
let theirs: Certificate;
let stranger: Certificate;
const files: Record<string, string> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mtls-'));
  peers = await goPeers();
  [ours, theirs, stranger] = await Promise.all([generateCertificate(), generateCertificate(), generateCertificate()]);
  for (const [name, cert] of Object.entries({ ours, theirs, stranger })) {
    writeFileSync((files[`${name}Cert`] = join(dir, `${name}.pem`)), cert.certPem);
    writeFileSync((files[`${name}Key`] = join(dir, `${name}.key`)), cert.keyPem);
  }
});
// dir is made before goPeers() can throw, so a failed before() leaves only its own error.
after(() => rmSync(dir, { recursive: true, force: true }));

async function ourServer(address: string) {
  const server = createServer();
  server.addService(internalServices().health, { Check: () => ({ status: 'SERVING' }) });
  const bound = await server.listen(address, { tls: pluginServerTls(ours, theirs.certPem) });
  return { server, bound };
}

describe('mutual TLS with grpc-go, certificates made here', () => {
  for (const transport of ['tcp', 'unix'] as const) {
    it(`grpc-go client → our server (${transport})`, async () => {
      const { server, bound } = await ourServer(transport === 'tcp' ? '127.0.0.1:0' : `unix:${join(dir, 'ours.sock')}`);
      try {
        const args = ['-mode', 'client', '-cert', files.theirsCert!, '-key', files.theirsKey!, '-peer', files.oursCert!, '-addr', bound];
        const { stdout } = await run(peers.mtlsPeer, args, { timeout: 30_000 });
        assert.deepEqual(JSON.parse(stdout), { status: 'SERVING' });
        // A client presenting a certificate the server does not trust is refused.
        const wrong = ['-mode', 'client', '-cert', files.strangerCert!, '-key', files.strangerKey!, '-peer', files.oursCert!, '-addr', bound];
        await assert.rejects(run(peers.mtlsPeer, wrong, { timeout: 30_000 }), (err: { stdout?: string }) => /error/.test(err.stdout ?? ''));
      } finally {
        await server.close(100);
      }
    });

    it(`our client → grpc-go server (${transport})`, async () => {
      const unix = transport === 'unix' ? ['-unix', join(dir, 'go.sock')] : [];
      const go = startGo(peers.mtlsPeer, ['-mode', 'server', '-cert', files.theirsCert!, '-key', files.theirsKey!, '-peer', files.oursCert!, ...unix]);
      try {
        const line = await go.waitForLine((l) => typeof l.address === 'string', 20_000);
        const target = transport === 'unix' ? `unix:${line.address}` : String(line.address);
        const health = createClient(internalServices().health, target, { tls: hostClientTls(ours, theirs.certPem) });
        assert.deepEqual(await health.Check({ service: '' }, { timeoutMs: 10_000 }), { status: 'SERVING' });
        await health.close();
        // Our client with a certificate the Go server does not trust: the handshake fails, UNAVAILABLE.
        const refused = createClient(internalServices().health, target, { tls: hostClientTls(stranger, theirs.certPem) });
        await assert.rejects(refused.Check({ service: '' }, { timeoutMs: 10_000 }), (err: unknown) => err instanceof GrpcError && err.code === Status.UNAVAILABLE);
        await refused.close();
      } finally {
        go.closeStdin();
        await go.result;
      }
    });
  }
});
