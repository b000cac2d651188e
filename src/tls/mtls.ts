// AutoMTLS as TLS options for src/http2 (docs/protocol.md#tls-settings): each side presents its own
// certificate and trusts only the other's, requires a client certificate as a server, and checks the
// name `localhost` as a client. One function per direction, so a caller cannot mix them up.
import { X509Certificate } from 'node:crypto';
import type { TlsClientOptions, TlsServerOptions } from '../http2/tls-options.js';
import { Base64Error, decodeBase64, encodeBase64 } from '../encoding/base64.js';
import { isSingleDerSequence } from './asn1.js';
import { isPem, toPem } from '../encoding/pem.js';

/** A side's own certificate and key, as generateCertificate returns them. */
export interface OwnCertificate {
  certPem: string;
  keyPem: string;
}

export interface ParsedCertificate {
  /** Normalised PEM: one CERTIFICATE block, 64-column lines, trailing newline. */
  pem: string;
  der: Uint8Array;
}

/**
 * go-plugin's peers check this name; the certificates carry SAN DNS:localhost and no IP SAN
 * (docs/protocol.md#tls-settings).
 */
export const AUTO_MTLS_SERVER_NAME = 'localhost';

/** The plugin's listeners: present our certificate, require the host's and nothing else. */
export function pluginServerTls(own: OwnCertificate, hostCertPem: string | Uint8Array): TlsServerOptions {
  return serverTls(own, peerPem(hostCertPem, "the host's certificate"));
}

/** The plugin dialing a host-side broker listener. */
export function pluginClientTls(own: OwnCertificate, hostCertPem: string | Uint8Array): TlsClientOptions {
  return clientTls(own, peerPem(hostCertPem, "the host's certificate"));
}

/** The host dialing the plugin: trust only the certificate from handshake field 6 (PEM or DER). */
export function hostClientTls(own: OwnCertificate, pluginCert: string | Uint8Array): TlsClientOptions {
  return clientTls(own, peerPem(pluginCert, "the plugin's certificate"));
}

/** The host's broker listeners, which plugins dial back to. */
export function hostServerTls(own: OwnCertificate, pluginCertPem: string | Uint8Array): TlsServerOptions {
  return serverTls(own, peerPem(pluginCertPem, "the plugin's certificate"));
}

function serverTls(own: OwnCertificate, peer: string): TlsServerOptions {
  // minVersion only: TLS 1.3 must stay possible, Node and Bun need it for P-521 client certificates
  // (docs/protocol.md#tls-settings).
  return { cert: own.certPem, key: own.keyPem, ca: peer, requireClientCert: true, minVersion: 'TLSv1.2' };
}

function clientTls(own: OwnCertificate, peer: string): TlsClientOptions {
  return { cert: own.certPem, key: own.keyPem, ca: peer, servername: AUTO_MTLS_SERVER_NAME, minVersion: 'TLSv1.2' };
}

function peerPem(value: string | Uint8Array, what: string): string {
  if (typeof value === 'string') return parseCertificatePem(value, what).pem;
  if (isPem(value)) return parseCertificatePem(new TextDecoder().decode(value), what).pem;
  return certificateFromDer(value, what).pem;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/g;

/**
 * Reads exactly one PEM CERTIFICATE (what a host puts in PLUGIN_CLIENT_CERT, docs/protocol.md#environment-variables)
 * and checks it is
 * X.509. `what` names the source in errors. Text around the block is ignored, as Go's pem.Decode does.
 */
export function parseCertificatePem(text: string, what = 'PLUGIN_CLIENT_CERT'): ParsedCertificate {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new TypeError(`${what} is empty; expected a PEM certificate ("-----BEGIN CERTIFICATE-----…")`);
  }
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) {
    throw new TypeError(`${what} is not PEM: no "-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----" block in ${describe(text)}`);
  }
  const certificates = blocks.filter((block) => block[1] === 'CERTIFICATE');
  if (certificates.length === 0) {
    const labels = [...new Set(blocks.map((block) => block[1]))].join(', ');
    throw new TypeError(`${what} holds a PEM ${labels}, not a CERTIFICATE; pass the certificate, never a private key`);
  }
  if (certificates.length > 1) {
    throw new TypeError(`${what} holds ${certificates.length} certificates; AutoMTLS trusts exactly one peer certificate`);
  }
  const [, label, body, endLabel] = certificates[0]!;
  if (endLabel !== label) throw new TypeError(`${what} has a PEM block that begins as ${label} and ends as ${endLabel}`);
  const base64 = body!.replace(/[\r\n\t ]/g, '');
  let der: Uint8Array | undefined;
  try {
    if (base64 !== '') der = decodeBase64(base64);
  } catch {
    der = undefined;
  }
  if (!der) throw new TypeError(`${what} has a CERTIFICATE block whose body is not base64`);
  return certificateFromDer(der, what);
}

/**
 * Handshake field 6: standard base64 of the plugin's DER certificate. go-plugin writes it without `=`
 * padding (docs/protocol.md#field-6-server-certificate); padded text is accepted too.
 */
export function certificateFromBase64Der(field: string, what = "the plugin's certificate (handshake field 6)"): ParsedCertificate {
  const text = field.trim();
  if (text === '') throw new TypeError(`${what} is empty; the plugin serves without TLS but the host asked for AutoMTLS`);
  let der: Uint8Array;
  try {
    der = decodeBase64(text);
  } catch (err) {
    const e = err as Base64Error;
    throw new TypeError(
      e.character !== undefined
        ? `${what} is not standard base64: illegal character ${JSON.stringify(e.character)} at byte ${e.position}`
        : `${what} is not standard base64: its length (${text.length}) is impossible for base64 text`,
    );
  }
  return certificateFromDer(der, what);
}

/**
 * Handshake field 6 as go-plugin writes it: standard base64 with the `=` padding stripped
 * (docs/protocol.md#field-6-server-certificate).
 */
export function certificateToBase64Der(der: Uint8Array): string {
  return encodeBase64(der, { pad: false });
}

/** A DER certificate (e.g. handshake field 6, already decoded), checked, with its PEM. */
export function certificateFromDer(der: Uint8Array, what = 'the certificate'): ParsedCertificate {
  // One element, nothing after it: node:crypto would ignore trailing bytes.
  if (!isSingleDerSequence(der)) throw new TypeError(`${what} is not a valid X.509 certificate (not a single DER SEQUENCE)`);
  try {
    new X509Certificate(der);
  } catch (err) {
    // node:crypto tries PEM first and reports "PEM routines::no start line" for any DER it cannot
    // read, which would send the reader looking for PEM text that was never there.
    throw new TypeError(`${what} is not a valid X.509 certificate: a DER SEQUENCE that node:crypto cannot read as one`, { cause: err });
  }
  return { pem: toPem('CERTIFICATE', der), der };
}

function describe(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 40 ? `"${trimmed.slice(0, 40)}…"` : JSON.stringify(trimmed);
}
