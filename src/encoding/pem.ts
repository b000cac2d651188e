// PEM as Go's encoding/pem writes it, and the test whether bytes or text are PEM at all. Below every
// layer: http2 turns DER options into PEM for node:tls, tls writes its certificates and keys with it.
import { encodeBase64 } from './base64.js';

/** A PEM block: 64-column base64 lines and a trailing newline. */
export function toPem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${encodeBase64(der).replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** Whether `value` (text, or bytes of which the first 64 are looked at) starts with a PEM header. */
export function isPem(value: string | Uint8Array): boolean {
  const text = typeof value === 'string' ? value : new TextDecoder().decode(value.subarray(0, 64));
  return text.trimStart().startsWith('-----BEGIN');
}
