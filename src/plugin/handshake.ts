// The handshake line a plugin prints as its first stdout line (docs/protocol.md#handshake-line).
// One module for both sides: the plugin formats with it, the host parses with it.
//
//   1|6|unix|/tmp/plugin2851617041|grpc|MIICTzCCAbCg…      core|app|network|address|protocol|cert
//   1|1|unix|/tmp/plugin88123|grpc||true                   …|multiplexing (only when asked)

import { errorMessage } from '../errors.js';
import { CORE_PROTOCOL_VERSION, PLUGIN_CLIENT_CERT, PLUGIN_MULTIPLEX_GRPC } from './env.js';
import { decodeBase64, encodeBase64 } from '../encoding/base64.js';
import { parseGoBool, parseGoInt } from './go-strconv.js';

import type { Network } from './network.js';
import { isSingleDerSequence } from '../tls/asn1.js';

/** What a plugin announces. */
export interface HandshakeFields {
  /** The negotiated app protocol version (see negotiateVersion). */
  appVersion: number;
  network: Network;
  /** A socket path, or `127.0.0.1:PORT`. */
  address: string;
  /** Only gRPC is implemented; netrpc is Go-only. */
  protocol?: 'grpc';
  /**
   * The plugin's AutoMTLS certificate (DER). Only when the host set PLUGIN_CLIENT_CERT
   * (docs/protocol.md#field-6-server-certificate).
   */
  serverCertDer?: Uint8Array;
  /** Print field 7 `true`. Only when the host set PLUGIN_MULTIPLEX_GRPC and yamux is served. */
  multiplex?: boolean;
}

/** What a host learns from the line. */
export interface Handshake {
  coreVersion: number;
  appVersion: number;
  network: Network;
  address: string;
  protocol: 'grpc';
  /** Present when field 6 held a certificate (longer than 50 characters). */
  serverCertDer?: Uint8Array;
  /** True only when the host asked for multiplexing and the plugin agreed. */
  multiplex: boolean;
}

export interface ParseHandshakeOptions {
  /** The app protocol versions this host offered in PLUGIN_PROTOCOL_VERSIONS. */
  offeredVersions: readonly number[];
  /**
   * true: the host runs AutoMTLS, so a certificate is required. false: the host did not set
   * PLUGIN_CLIENT_CERT, so a certificate is refused (a Go host would panic on it,
   * docs/protocol.md#field-6-server-certificate). Undefined:
   * either is accepted.
   */
  expectCert?: boolean;
  /** The host set PLUGIN_MULTIPLEX_GRPC; field 7 must then say true (docs/protocol.md#field-7-multiplexing). */
  multiplexRequested?: boolean;
  /** stdout reached EOF before this line; adds go-plugin's "Failed to read any lines" note. */
  stdoutEnded?: boolean;
}

/** Any handshake line a host cannot use. `line` is the line as received. */
export class HandshakeError extends Error {
  override name = 'HandshakeError';
  constructor(
    message: string,
    readonly line: string,
  ) {
    super(message);
  }
}

// go-plugin ignores field 6 up to this length: older implementations put unrelated data there.
const CERT_FIELD_MIN_CHARS = 50;

/** The handshake line, `\n`-terminated, to be written to stdout in one write. */
export function formatHandshake(fields: HandshakeFields): string {
  const { appVersion, network, address, protocol = 'grpc', serverCertDer, multiplex = false } = fields;
  if (!Number.isSafeInteger(appVersion) || appVersion < 0) {
    throw new Error(`the app protocol version must be a non-negative integer, got ${String(appVersion)}`);
  }
  if (network !== 'unix' && network !== 'tcp') {
    throw new Error(`the handshake network must be "unix" or "tcp", got ${JSON.stringify(network)}`);
  }
  if (address === '' || /[|\r\n]/.test(address)) {
    throw new Error(
      `the listener address ${JSON.stringify(address)} cannot go into a handshake line: ` +
        'it must be non-empty and contain no "|", carriage return or newline; choose another socket directory',
    );
  }
  if (protocol !== 'grpc') {
    throw new Error(`only the grpc protocol is supported, got ${JSON.stringify(protocol)}`);
  }
  let cert = '';
  if (serverCertDer !== undefined) {
    // Go hosts decode with RawStdEncoding: padding fails ~2 in 3 certificates
    // (docs/protocol.md#field-6-server-certificate).
    cert = encodeBase64(serverCertDer, { pad: false });
    if (cert.length <= CERT_FIELD_MIN_CHARS) {
      throw new Error(
        `a ${serverCertDer.length}-byte server certificate is too short to be one; hosts ignore field 6 up to ${CERT_FIELD_MIN_CHARS} characters`,
      );
    }
  }
  // Go always prints the sixth separator; field 7 only when true, never `|false`: pre-1.6 hosts
  // glue it onto the certificate (docs/protocol.md#field-7-multiplexing).
  const parts = [String(CORE_PROTOCOL_VERSION), String(appVersion), network, address, protocol, cert];
  if (multiplex) parts.push('true');
  return parts.join('|') + '\n';
}

const UNRECOGNIZED_HINT =
  'This usually means the plugin was not compiled for this architecture, the plugin is missing ' +
  'dynamic-link libraries necessary to run, the plugin is not executable by this process due to ' +
  'permissions, or the plugin failed to negotiate the initial go-plugin protocol handshake ' +
  '(anything printed to stdout before the handshake line breaks it).';

/**
 * Parses and checks a plugin's first stdout line the way a newest go-plugin host does
 * (docs/protocol.md#handshake-line).
 */
export function parseHandshake(line: string, options: ParseHandshakeOptions): Handshake {
  const { offeredVersions, expectCert, multiplexRequested = false, stdoutEnded = false } = options;
  const fail: (message: string) => never = (message) => {
    throw new HandshakeError(message, line);
  };
  const text = line.replace(/\r$/, '').trim();
  const parts = text.split('|');

  if (parts.length < 4) {
    let message = `Unrecognized remote plugin message: ${text}\n\n${UNRECOGNIZED_HINT}`;
    if (stdoutEnded) message += "\nFailed to read any lines from plugin's stdout";
    fail(message);
  }
  const [core, app, network, address, protocol, cert, mux] = parts as [string, string, string, string, ...string[]];

  const coreVersion = parseGoInt(core);
  if (coreVersion === undefined) {
    fail(`error parsing core protocol version: ${JSON.stringify(core)} is not a decimal integer`);
  }
  if (coreVersion !== CORE_PROTOCOL_VERSION) {
    fail(
      `Incompatible core API version with plugin. Plugin version: ${core}, Core version: ${CORE_PROTOCOL_VERSION}\n\n` +
        'To fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author.',
    );
  }

  const appVersion = parseGoInt(app);
  if (appVersion === undefined) {
    fail(`Error parsing protocol version ${JSON.stringify(app)}: it is not a decimal integer`);
  }
  if (!offeredVersions.includes(appVersion)) {
    const offered = [...offeredVersions].sort((a, b) => a - b).join(' ');
    fail(`Incompatible API version with plugin. Plugin version: ${app}, Client versions: [${offered}]`);
  }

  if (network !== 'unix' && network !== 'tcp') {
    fail(`unknown address type: ${address} (network ${JSON.stringify(network)}; expected unix or tcp)`);
  }
  checkAddress(network, address, fail);

  if (protocol === undefined) {
    fail('this host speaks only grpc; the plugin offered netrpc (its handshake line has no protocol field)');
  }
  if (protocol !== 'grpc') {
    fail(`unsupported plugin protocol ${JSON.stringify(protocol)}; this host speaks only grpc`);
  }

  const serverCertDer = parseServerCert(cert, expectCert, fail);
  const multiplex = multiplexRequested ? parseMultiplex(mux, fail) : false;

  const handshake: Handshake = {
    coreVersion,
    appVersion,
    network,
    address,
    protocol: 'grpc',
    multiplex,
  };
  if (serverCertDer !== undefined) handshake.serverCertDer = serverCertDer;
  return handshake;
}

/** Field 6: the plugin's DER certificate, checked against whether this host asked for AutoMTLS. */
function parseServerCert(cert: string | undefined, expectCert: boolean | undefined, fail: (message: string) => never): Uint8Array | undefined {
  let serverCertDer: Uint8Array | undefined;
  if (cert !== undefined && cert.length > CERT_FIELD_MIN_CHARS) {
    // Go accepts only unpadded base64 here; we also take padded (docs/protocol.md#field-6-server-certificate).
    try {
      serverCertDer = decodeBase64(cert);
    } catch (err) {
      fail(`error parsing server cert: ${errorMessage(err)}`);
    }
    if (!isSingleDerSequence(serverCertDer)) {
      fail('error parsing server cert: field 6 does not decode to a DER certificate (one ASN.1 SEQUENCE)');
    }
  }
  if (expectCert === true && serverCertDer === undefined) {
    fail(
      `the plugin sent no server certificate (handshake field 6) although this host set ${PLUGIN_CLIENT_CERT} ` +
        `for AutoMTLS: the plugin ignored ${PLUGIN_CLIENT_CERT} and serves without TLS. ` +
        'Update the plugin to support AutoMTLS, or turn AutoMTLS off for it.',
    );
  }
  if (expectCert === false && serverCertDer !== undefined) {
    fail(
      `the plugin sent a server certificate (handshake field 6) although this host did not set ${PLUGIN_CLIENT_CERT}: ` +
        'it serves TLS this host is not configured for. Turn AutoMTLS on for this plugin, ' +
        `or fix the plugin to send a certificate only when ${PLUGIN_CLIENT_CERT} is set.`,
    );
  }
  return serverCertDer;
}

/** Field 7, when this host asked for multiplexing: the plugin must answer true (go-plugin >= 1.6). */
function parseMultiplex(mux: string | undefined, fail: (message: string) => never): true {
  const notSupported =
    `the plugin does not support gRPC broker multiplexing, which this host requested with ${PLUGIN_MULTIPLEX_GRPC}; ` +
    'for Go plugins, update github.com/hashicorp/go-plugin to 1.6.0 or later and recompile, or turn multiplexing off';
  if (mux === undefined) fail(notSupported);
  const supported = parseGoBool(mux);
  if (supported === undefined) {
    fail(`error parsing ${JSON.stringify(mux)} as a boolean for gRPC broker multiplexing support`);
  }
  if (!supported) fail(notSupported);
  return true;
}

// Go resolves the address before dialing: any unix path, or host:port for TCP (`:1234` and
// `[::1]:1234` pass). We check the shape only; we never resolve names.
function checkAddress(network: Network, address: string, fail: (message: string) => never): void {
  if (address === '') fail(`the plugin's handshake has an empty ${network} address`);
  if (network === 'unix') return;
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):([0-9]+)$/.exec(address);
  if (match === null || Number(match[3]) > 65535) {
    fail(`the plugin's TCP address ${JSON.stringify(address)} is not host:port with a port from 0 to 65535`);
  }
}

