// Maps our TLS options onto node:tls. Certificates and keys may be PEM text or PEM/DER bytes; node:tls
// wants PEM, so DER is converted here.
import { createPrivateKey } from 'node:crypto';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { isPem, toPem } from '../encoding/pem.js';
import type { TlsClientOptions, TlsServerOptions } from './tls-options.js';

export function nodeTlsServerOptions(tls: TlsServerOptions): TlsOptions {
  return {
    cert: certPem(tls.cert, 'cert'),
    key: keyPem(tls.key),
    ...(tls.ca !== undefined ? { ca: certPem(tls.ca, 'ca') } : {}),
    // Never a maxVersion: Go peers negotiate TLS 1.3, and Bun/Deno clients fail TLS 1.2 with P-521
    // (docs/node-http2.md#differences-that-matter).
    minVersion: tls.minVersion ?? 'TLSv1.2',
    requestCert: tls.requireClientCert === true,
    rejectUnauthorized: true,
    ALPNProtocols: ['h2'],
  };
}

export function nodeTlsClientOptions(tls: TlsClientOptions, defaultServername: string | undefined): ConnectionOptions {
  const servername = tls.servername ?? defaultServername;
  return {
    ...(tls.cert !== undefined ? { cert: certPem(tls.cert, 'cert') } : {}),
    ...(tls.key !== undefined ? { key: keyPem(tls.key) } : {}),
    ...(tls.ca !== undefined ? { ca: certPem(tls.ca, 'ca') } : {}),
    ...(servername !== undefined ? { servername } : {}),
    minVersion: tls.minVersion ?? 'TLSv1.2',
    rejectUnauthorized: true,
    ALPNProtocols: ['h2'],
  };
}

function certPem(value: string | Uint8Array, what: string): string {
  if (typeof value === 'string') {
    if (!isPem(value)) throw new TypeError(`the TLS ${what} must be a PEM certificate ("-----BEGIN CERTIFICATE-----…") or DER bytes`);
    return value;
  }
  if (isPem(value)) return new TextDecoder().decode(value);
  return toPem('CERTIFICATE', value);
}

function keyPem(value: string | Uint8Array): string {
  if (typeof value === 'string') {
    if (!isPem(value)) throw new TypeError('the TLS key must be a PEM private key ("-----BEGIN PRIVATE KEY-----…") or DER bytes');
    return value;
  }
  if (isPem(value)) return new TextDecoder().decode(value);
  const der = Buffer.from(value);
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type }).export({ format: 'pem', type: 'pkcs8' }) as string;
    } catch {
      // Try the next DER layout.
    }
  }
  throw new TypeError('the TLS key bytes are neither PEM nor a DER private key (PKCS#8, SEC1 or PKCS#1)');
}
