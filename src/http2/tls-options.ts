// TLS settings for listeners and channels. Values are PEM text or PEM/DER bytes. ALPN is always `h2`
// and TLS is at least 1.2 and never capped (docs/node-http2.md#tls-and-alpn, #differences-that-matter).

export interface TlsServerOptions {
  cert: string | Uint8Array;
  key: string | Uint8Array;
  /** Certificates that client certificates must chain to. */
  ca?: string | Uint8Array;
  /** Ask for a client certificate and refuse the connection without a valid one (mutual TLS). */
  requireClientCert?: boolean;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface TlsClientOptions {
  /** Client certificate and key for mutual TLS. */
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  /** Certificates that the server certificate must chain to (default: the system roots). */
  ca?: string | Uint8Array;
  /** SNI name and the name the server certificate is checked against. */
  servername?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}
