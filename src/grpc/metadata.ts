// Call metadata (https://github.com/grpc/grpc/blob/010decebd96922114400a6490f397367840db2d1/doc/PROTOCOL-HTTP2.md
// "Custom-Metadata"; docs/node-http2.md#binary-metadata, #received-metadata, #reserved-headers-and-metadata-size). Keys
// are lower case
// [0-9a-z_.-]; `-bin` keys carry bytes (base64 on the wire, unpadded when sent, either when received),
// other keys carry printable ASCII. Reserved and HTTP/1 connection headers never cross this class.

import { decodeBase64, encodeBase64 } from '../encoding/base64.js';

export type MetadataValue = string | Uint8Array;
export type MetadataInit = Metadata | Record<string, MetadataValue | MetadataValue[]>;

/** The per-call budget the spec suggests servers enforce: name + value + 32 per entry. */
export const METADATA_BUDGET_BYTES = 8192;

const KEY = /^[0-9a-z_.-]+$/;
const ASCII_VALUE = /^[\x20-\x7e]*$/;
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);
const RESERVED = new Set(['content-type', 'te', 'user-agent', ...CONNECTION_HEADERS]);

/** True for keys applications may not set: pseudo-headers, `grpc-*`, content-type, te, user-agent, connection headers. */
export function isReservedKey(key: string): boolean {
  return key.startsWith(':') || key.startsWith('grpc-') || RESERVED.has(key);
}

export function isBinaryKey(key: string): boolean {
  return key.endsWith('-bin');
}

export class Metadata {
  readonly #map = new Map<string, MetadataValue[]>();

  constructor(init?: MetadataInit) {
    if (init === undefined) return;
    if (init instanceof Metadata) {
      for (const [k, v] of init.entries()) this.append(k, v);
      return;
    }
    for (const [k, v] of Object.entries(init)) {
      for (const one of Array.isArray(v) ? v : [v]) this.append(k, one);
    }
  }

  /** The first value, or undefined. */
  get(key: string): MetadataValue | undefined {
    return this.#map.get(key.toLowerCase())?.[0];
  }

  getAll(key: string): MetadataValue[] {
    return [...(this.#map.get(key.toLowerCase()) ?? [])];
  }

  has(key: string): boolean {
    return this.#map.has(key.toLowerCase());
  }

  set(key: string, value: MetadataValue): this {
    const k = checkEntry(key, value);
    this.#map.set(k, [value]);
    return this;
  }

  append(key: string, value: MetadataValue): this {
    const k = checkEntry(key, value);
    const list = this.#map.get(k);
    if (list) list.push(value);
    else this.#map.set(k, [value]);
    return this;
  }

  delete(key: string): boolean {
    return this.#map.delete(key.toLowerCase());
  }

  keys(): string[] {
    return [...this.#map.keys()];
  }

  /** Every key/value pair, repeated keys once per value. */
  *entries(): IterableIterator<[string, MetadataValue]> {
    for (const [k, list] of this.#map) for (const v of list) yield [k, v];
  }

  [Symbol.iterator](): IterableIterator<[string, MetadataValue]> {
    return this.entries();
  }

  get size(): number {
    return this.#map.size;
  }

  clone(): Metadata {
    return new Metadata(this);
  }

  /** Appends every entry of `other`. */
  merge(other: MetadataInit): this {
    for (const [k, v] of new Metadata(other).entries()) this.append(k, v);
    return this;
  }

  /** A plain object: first value per key (handy for logs and assertions). */
  toJSON(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, list] of this.#map) {
      const shown = list.map((v) => (typeof v === 'string' ? v : base64Encode(v)));
      out[k] = shown.length === 1 ? shown[0]! : shown;
    }
    return out;
  }
}

function checkEntry(key: string, value: MetadataValue): string {
  const k = key.toLowerCase();
  if (!KEY.test(k)) {
    throw new TypeError(`invalid metadata key "${key}": keys may contain only 0-9, a-z, "_", "." and "-"`);
  }
  if (isReservedKey(k)) {
    throw new TypeError(`metadata key "${key}" is reserved for the gRPC protocol and cannot be set by applications`);
  }
  if (isBinaryKey(k)) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`metadata key "${key}" ends in "-bin", so its value must be a Uint8Array`);
  } else if (typeof value !== 'string') {
    throw new TypeError(`metadata key "${key}" takes a string value; only keys ending in "-bin" take bytes`);
  } else if (!ASCII_VALUE.test(value)) {
    throw new TypeError(`metadata value for "${key}" must be printable ASCII (0x20-0x7E); use a "-bin" key for other bytes`);
  }
  return k;
}

/** Entry sizes as the spec's budget counts them. */
export function metadataSize(md: Metadata): number {
  let n = 0;
  for (const [k, v] of md.entries()) n += k.length + (typeof v === 'string' ? v.length : Math.ceil((v.length * 4) / 3)) + 32;
  return n;
}

/**
 * The size of a received header list's metadata, counted as metadataSize counts it (name + value + 32
 * per field), from Node's flat raw list; pseudo-headers are not metadata.
 */
export function rawHeadersSize(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) !== 58 /* ':' */) n += name.length + raw[i + 1]!.length + 32;
  }
  return n;
}

/** HTTP/2 header fields for `md`; repeated keys become arrays (sent as separate fields). */
export function metadataToHeaders(md: Metadata, into: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  for (const key of md.keys()) {
    const values = md.getAll(key).map((v) => (typeof v === 'string' ? v : base64Encode(v)));
    into[key] = values.length === 1 ? values[0]! : values;
  }
  return into;
}

type IncomingHeaders = Record<string, string | string[] | undefined>;

/**
 * Metadata from received headers: reserved, pseudo and invalid entries are dropped, never failing the
 * call (docs/node-http2.md#received-metadata). With `rawHeaders` (name/value pairs as received) repeated fields stay
 * separate;
 * otherwise Node's ", "-joined values are split for `-bin` keys (docs/node-http2.md#repeated-headers-are-joined).
 */
export function metadataFromHeaders(headers: IncomingHeaders, rawHeaders?: readonly string[]): Metadata {
  const md = new Metadata();
  const add = (key: string, value: string) => {
    const k = key.toLowerCase();
    if (!KEY.test(k) || isReservedKey(k)) return;
    if (isBinaryKey(k)) {
      for (const part of value.split(',')) {
        const bytes = base64Decode(part.trim());
        if (bytes) md.append(k, bytes);
      }
    } else if (ASCII_VALUE.test(value)) {
      md.append(k, value);
    }
  };
  if (rawHeaders) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) add(rawHeaders[i]!, rawHeaders[i + 1]!);
    return md;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) add(key, one);
  }
  return md;
}

/** Standard base64 without padding, as the spec prefers for `-bin` values. */
export function base64Encode(bytes: Uint8Array): string {
  return encodeBase64(bytes, { pad: false });
}

/** Padded or unpadded standard base64; undefined when the text is not base64 (dropped, never fatal). */
export function base64Decode(text: string): Uint8Array | undefined {
  try {
    return decodeBase64(text);
  } catch {
    return undefined;
  }
}
