// Standard base64 (RFC 4648 §4) without Buffer, so pure modules run unchanged on Node, Bun and Deno.
// One codec for the whole package: -bin metadata, the handshake's certificate field, PEM bodies, logs.

/** Where base64 text stops being base64; `character` is undefined when only the length is impossible. */
export class Base64Error extends Error {
  override name = 'Base64Error';
  constructor(
    readonly position: number,
    readonly character: string | undefined,
  ) {
    super(`illegal base64 data at input byte ${position}`);
  }
}

/** Standard alphabet; `pad: false` strips the `=` like Go's `base64.RawStdEncoding`. */
export function encodeBase64(bytes: Uint8Array, { pad = true }: { pad?: boolean } = {}): string {
  let binary = '';
  // Chunked so String.fromCharCode never gets more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  const text = btoa(binary);
  return pad ? text : text.replace(/=+$/, '');
}

/**
 * Decodes standard base64, padded or not. Unlike Node's Buffer (which skips bad characters), it
 * rejects anything Go's decoder would, with Go's wording: "illegal base64 data at input byte N".
 */
export function decodeBase64(text: string): Uint8Array {
  const body = text.replace(/={1,2}$/, '');
  const padding = text.length - body.length;
  const bad = body.search(/[^A-Za-z0-9+/]/);
  if (bad >= 0) throw new Base64Error(bad, body[bad]);
  if (body.length % 4 === 1) throw new Base64Error(body.length - 1, undefined);
  if (padding > 0 && (body.length + padding) % 4 !== 0) throw new Base64Error(body.length, undefined);
  const binary = atob(body);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
