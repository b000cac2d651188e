import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, type Http2Listener } from '../../../src/http2/listener.ts';
import { createChannel } from '../../../src/http2/channel.ts';
import { dial, echo, post, refused } from './peer.ts';
import type { TlsClientOptions } from '../../../src/http2/tls-options.ts';
import {
  certificateFromBase64Der,
  certificateToBase64Der,
  generateCertificate,
  hostClientTls,
  hostServerTls,
  parseCertificatePem,
  pluginClientTls,
  pluginServerTls,
  type Certificate,
} from '../../../src/tls/index.ts';

let host: Certificate;
let plugin: Certificate;
let stranger: Certificate;
let dir: string;

before(async () => {
  [host, plugin, stranger] = await Promise.all([generateCertificate(), generateCertificate(), generateCertificate()]);
  dir = mkdtempSync(join(tmpdir(), 'tls-mtls-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseCertificatePem reads the host certificate from PLUGIN_CLIENT_CERT', () => {
  it('returns normalised PEM and the DER', () => {
    const parsed = parseCertificatePem(host.certPem);
    assert.equal(parsed.pem, host.certPem);
    assert.deepEqual(parsed.der, host.certDer);
  });

  it('accepts CRLF lines, unwrapped base64 and text around the block, as Go does', () => {
    const body = Buffer.from(host.certDer).toString('base64');
    const crlf = host.certPem.replace(/\n/g, '\r\n');
    assert.equal(parseCertificatePem(crlf).pem, host.certPem);
    const oneLine = `comment\n-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\ntrailer`;
    assert.equal(parseCertificatePem(oneLine).pem, host.certPem);
  });

  it('refuses empty, garbage, a private key, broken base64 and non-certificate DER, with sentences', () => {
    assert.throws(() => parseCertificatePem(''), { name: 'TypeError', message: /^PLUGIN_CLIENT_CERT is empty; expected a PEM certificate/ });
    assert.throws(() => parseCertificatePem('  \n'), /PLUGIN_CLIENT_CERT is empty/);
    assert.throws(() => parseCertificatePem('hello world'), { name: 'TypeError', message: /PLUGIN_CLIENT_CERT is not PEM/ });
    assert.throws(() => parseCertificatePem(host.keyPem), { name: 'TypeError', message: /holds a PEM PRIVATE KEY, not a CERTIFICATE/ });
    assert.throws(() => parseCertificatePem('-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n'), /body is not base64/);
    const notX509 = `-----BEGIN CERTIFICATE-----\n${Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]).toString('base64')}\n-----END CERTIFICATE-----\n`;
    assert.throws(() => parseCertificatePem(notX509), { name: 'TypeError', message: /is not a valid X\.509 certificate/ });
    const truncated = `-----BEGIN CERTIFICATE-----\n${Buffer.from(host.certDer.subarray(0, 100)).toString('base64')}\n-----END CERTIFICATE-----\n`;
    assert.throws(() => parseCertificatePem(truncated), /is not a valid X\.509 certificate/);
    const trailing = `-----BEGIN CERTIFICATE-----\n${Buffer.concat([host.certDer, Buffer.from([0])]).toString('base64')}\n-----END CERTIFICATE-----\n`;
    assert.throws(() => parseCertificatePem(trailing), /is not a valid X\.509 certificate/);
  });

  it('refuses two certificates: AutoMTLS trusts exactly one', () => {
    assert.throws(() => parseCertificatePem(host.certPem + plugin.certPem), /holds 2 certificates/);
  });

  it('names the source it was given', () => {
    assert.throws(() => parseCertificatePem('', 'the reattach config'), /^TypeError: the reattach config is empty/);
  });
});

describe('handshake field 6: unpadded standard base64 of the DER (docs/protocol.md#field-6-server-certificate)', () => {
  it('writes no padding and reads both forms back', async () => {
    // Generate until each padding length has been seen; P-521 certificates vary in length.
    const seen = new Set<number>();
    for (let i = 0; i < 40 && seen.size < 3; i++) {
      const { certDer } = i === 0 ? plugin : await generateCertificate({ curve: 'P-256' });
      const field = certificateToBase64Der(certDer);
      assert.doesNotMatch(field, /[=\s]/);
      const padded = Buffer.from(certDer).toString('base64');
      seen.add(padded.length - field.length);
      assert.deepEqual(certificateFromBase64Der(field).der, new Uint8Array(certDer));
      assert.deepEqual(certificateFromBase64Der(padded).der, new Uint8Array(certDer));
      assert.equal(certificateFromBase64Der(field).pem, new X509Certificate(certDer).toString());
    }
    assert.deepEqual([...seen].sort(), [0, 1, 2]);
  });

  it('refuses empty, non-base64, impossible lengths and non-certificates, with sentences', () => {
    assert.throws(() => certificateFromBase64Der(''), /handshake field 6\) is empty/);
    const field = certificateToBase64Der(plugin.certDer);
    assert.throws(() => certificateFromBase64Der(field.replace(/[+/]/, '-')), /not standard base64: illegal character "-" at byte \d+/);
    assert.throws(() => certificateFromBase64Der('QUJD' + 'Q'), /not standard base64/);
    assert.throws(() => certificateFromBase64Der('QUI=='), /not standard base64/);
    assert.throws(() => certificateFromBase64Der('aGVsbG8gd29ybGQ'), /is not a valid X\.509 certificate/);
  });
});

describe('option builders follow the AutoMTLS rules (docs/protocol.md#tls-settings)', () => {
  it('servers require a client certificate and trust exactly the peer', () => {
    for (const options of [pluginServerTls(plugin, host.certPem), hostServerTls(host, plugin.certPem)]) {
      assert.equal(options.requireClientCert, true);
      assert.equal(options.minVersion, 'TLSv1.2');
    }
    assert.deepEqual(pluginServerTls(plugin, host.certPem), { cert: plugin.certPem, key: plugin.keyPem, ca: host.certPem, requireClientCert: true, minVersion: 'TLSv1.2' });
    assert.equal(hostServerTls(host, plugin.certPem).ca, plugin.certPem);
  });

  it('clients present their certificate, trust exactly the peer and check the name localhost', () => {
    assert.deepEqual(hostClientTls(host, plugin.certDer), { cert: host.certPem, key: host.keyPem, ca: plugin.certPem, servername: 'localhost', minVersion: 'TLSv1.2' });
    assert.equal(hostClientTls(host, plugin.certPem).ca, plugin.certPem);
    assert.equal(hostClientTls(host, new TextEncoder().encode(plugin.certPem)).ca, plugin.certPem);
    assert.deepEqual(pluginClientTls(plugin, host.certPem), { cert: plugin.certPem, key: plugin.keyPem, ca: host.certPem, servername: 'localhost', minVersion: 'TLSv1.2' });
  });

  it('refuse a peer certificate that is not one', () => {
    assert.throws(() => pluginServerTls(plugin, host.keyPem), /the host's certificate holds a PEM PRIVATE KEY/);
    assert.throws(() => hostClientTls(host, Uint8Array.of(1, 2, 3)), /the plugin's certificate is not a valid X\.509 certificate/);
  });
});

describe('mutual TLS between host and plugin with only these certificates', () => {
  let unixListener: Http2Listener;
  let tcpListener: Http2Listener;
  const seen: string[] = [];

  before(async () => {
    const tls = pluginServerTls(plugin, host.certPem);
    unixListener = await listen(`unix:${join(dir, 'plugin.sock')}`, { tls, onStream: echo(seen) });
    tcpListener = await listen('127.0.0.1:0', { tls, onStream: echo(seen) });
  });
  after(async () => {
    await Promise.all([unixListener.close(100), tcpListener.close(100)]);
  });

  const tcpTarget = () => `127.0.0.1:${(tcpListener.address as { port: number }).port}`;
  const unixTarget = () => `unix:${join(dir, 'plugin.sock')}`;

  for (const [name, target] of [['a unix socket', unixTarget], ['127.0.0.1', tcpTarget]] as const) {
    it(`the host's request succeeds over ${name}, on h2, and the plugin sees the host's certificate`, async () => {
      const channel = createChannel(target(), { tls: hostClientTls(host, certificateToBase64DerRoundTrip(plugin)) });
      try {
        assert.deepEqual(await post(channel, 'ping'), { status: 200, body: 'h2:ping' });
        assert.equal(seen.at(-1), new X509Certificate(host.certPem).fingerprint256);
      } finally {
        await channel.close();
      }
    });
  }

  const unixDial = () => ({ path: join(dir, 'plugin.sock') });
  const tcpDial = () => ({ host: '127.0.0.1', port: (tcpListener.address as { port: number }).port });

  it('the right client certificate is accepted at the TLS level (control for the refusals below)', async () => {
    assert.equal(await dial(unixDial(), hostClientTls(host, plugin.certPem)), 'accepted');
  });

  it('a client without a certificate is refused: TLS alert "certificate required"', async () => {
    const { cert: _cert, key: _key, ...noCert } = hostClientTls(host, plugin.certPem);
    const before = seen.length;
    assert.match(await dial(unixDial(), noCert), /^refused: .*certificate required/);
    assert.match(await dial(tcpDial(), noCert), /^refused: .*certificate required/);
    assert.equal(seen.length, before, 'no request reached the plugin');
  });

  it('a client with a different self-made certificate is refused (a Node server checks it after the handshake and drops the connection)', async () => {
    const before = seen.length;
    assert.match(await dial(unixDial(), hostClientTls(stranger, plugin.certPem)), /^refused: /);
    assert.match(await dial(tcpDial(), hostClientTls(stranger, plugin.certPem)), /^refused: /);
    assert.equal(seen.length, before, 'no request reached the plugin');
  });

  // Node 20: when the server refuses the client certificate after a TLS 1.3 handshake, the client
  // Http2Session is destroyed without 'error' or 'close', so channel.session() never settles.
  it('a channel with a refused client certificate fails instead of hanging', async () => {
    const { cert: _cert, key: _key, ...noCert } = hostClientTls(host, plugin.certPem);
    const channel = createChannel(unixTarget(), { tls: noCert, connectTimeoutMs: 1_000 });
    const hang = new Promise((_, reject) => setTimeout(() => reject(new Error('channel.session() did not settle within 2 s')), 2_000).unref());
    try {
      await assert.rejects(Promise.race([post(channel, 'x'), hang]), (err: Error) => !/did not settle/.test(err.message));
    } finally {
      void channel.close();
    }
  });

  it('a client trusting a different certificate refuses the server', async () => {
    await refused(createChannel(unixTarget(), { tls: hostClientTls(host, stranger.certPem) }));
  });

  it('over 127.0.0.1 the name localhost is what makes it verify: the certificate has no IP SAN', async () => {
    const { servername: _servername, ...byAddress }: TlsClientOptions = hostClientTls(host, plugin.certPem);
    await refused(createChannel(tcpTarget(), { tls: byAddress }));
  });

  it("the broker's reverse direction works too: plugin dials a host listener", async () => {
    const hostSeen: string[] = [];
    const broker = await listen(`unix:${join(dir, 'broker.sock')}`, { tls: hostServerTls(host, plugin.certPem), onStream: echo(hostSeen) });
    const channel = createChannel(`unix:${join(dir, 'broker.sock')}`, { tls: pluginClientTls(plugin, host.certPem) });
    try {
      assert.deepEqual(await post(channel, 'back'), { status: 200, body: 'h2:back' });
      assert.equal(hostSeen[0], new X509Certificate(plugin.certPem).fingerprint256);
      assert.match(await dial({ path: join(dir, 'broker.sock') }, pluginClientTls(stranger, host.certPem)), /^refused: /);
    } finally {
      await channel.close();
      await broker.close(100);
    }
  });
});

/** The host learns the plugin's certificate from handshake field 6, so go through that form. */
function certificateToBase64DerRoundTrip(cert: Certificate): Uint8Array {
  return certificateFromBase64Der(certificateToBase64Der(cert.certDer)).der;
}
