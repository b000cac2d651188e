// A DER writer (ITU-T X.690 §8 and §10–11), one function per type, enough for X.509 certificates.
// Every function returns a complete encoding (identifier, length, contents). Pure: no runtime imports,
// so it runs unchanged on Node, Bun and Deno and is tested with plain byte values.

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_IA5_STRING = 0x16;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;

const CLASS_CONTEXT = 0x80;
const CONSTRUCTED = 0x20;

/** The length octets: short form below 128, else long form with the fewest bytes (X.690 §8.1.3, §10.1). */
export function derLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`a DER length must be a non-negative integer, got ${length}`);
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** identifier + length + contents. */
function tlv(identifier: Uint8Array | number, contents: Uint8Array): Uint8Array {
  const id = typeof identifier === 'number' ? Uint8Array.of(identifier) : identifier;
  return concatBytes(id, derLength(contents.length), contents);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * INTEGER in the fewest two's-complement octets (X.690 §8.3). A `Uint8Array` is read as an unsigned
 * big-endian magnitude (e.g. a random serial number); a 0x00 is prefixed when its top bit is set.
 */
export function derInteger(value: bigint | number | Uint8Array): Uint8Array {
  let n: bigint;
  if (value instanceof Uint8Array) {
    n = 0n;
    for (const byte of value) n = (n << 8n) | BigInt(byte);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`derInteger needs a safe integer or a bigint, got ${value}`);
    n = BigInt(value);
  } else {
    n = value;
  }
  return tlv(TAG_INTEGER, twosComplement(n));
}

function twosComplement(n: bigint): Uint8Array {
  // The smallest L with -2^(8L-1) <= n < 2^(8L-1).
  let length = 1;
  while (n >= 1n << BigInt(8 * length - 1) || n < -(1n << BigInt(8 * length - 1))) length++;
  let rest = n < 0n ? (1n << BigInt(8 * length)) + n : n;
  const bytes = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** BOOLEAN: DER writes TRUE as 0xFF (X.690 §11.1). */
export function derBoolean(value: boolean): Uint8Array {
  return Uint8Array.of(TAG_BOOLEAN, 1, value ? 0xff : 0x00);
}

export function derNull(): Uint8Array {
  return Uint8Array.of(TAG_NULL, 0);
}

/** OBJECT IDENTIFIER from dotted text; the first two arcs share one subidentifier, 40·a + b (X.690 §8.19). */
export function derOid(dotted: string): Uint8Array {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw new TypeError(`"${dotted}" is not a dotted object identifier such as 1.2.840.10045.4.3.4`);
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const [first, second] = arcs as [bigint, bigint];
  if (first > 2n) throw new RangeError(`the first arc of an object identifier is 0, 1 or 2; "${dotted}" starts with ${first}`);
  if (first < 2n && second > 39n) throw new RangeError(`under arc ${first} the second arc is at most 39; "${dotted}" has ${second}`);
  const subidentifiers = [first * 40n + second, ...arcs.slice(2)];
  const contents: number[] = [];
  for (const sub of subidentifiers) contents.push(...base128(sub));
  return tlv(TAG_OID, Uint8Array.from(contents));
}

/** Base-128, most significant group first, bit 8 set on every byte but the last. */
function base128(value: bigint): number[] {
  const groups = [Number(value & 0x7fn)];
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) groups.unshift(Number(rest & 0x7fn) | 0x80);
  return groups;
}

/**
 * BIT STRING: `unusedBits` of the last byte are padding and must be zero in DER (X.690 §11.2.1).
 * A signature or a public key has none.
 */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) throw new RangeError(`a BIT STRING has 0 to 7 unused bits, got ${unusedBits}`);
  if (bytes.length === 0 && unusedBits !== 0) throw new RangeError('an empty BIT STRING has no unused bits');
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new RangeError(`DER needs the ${unusedBits} unused bits of a BIT STRING to be zero`);
  }
  return tlv(TAG_BIT_STRING, concatBytes(Uint8Array.of(unusedBits), bytes));
}

/**
 * A named-bit BIT STRING (keyUsage): bit 0 is the most significant bit of the first byte, and DER drops
 * trailing zero bits (X.690 §11.2.2), so digitalSignature|keyEncipherment|keyAgreement|keyCertSign is 03 02 02 AC.
 */
export function derNamedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return derBitString(new Uint8Array(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0) throw new RangeError(`a named bit is a non-negative integer, got ${bit}`);
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  return derBitString(bytes, 7 - (highest & 7));
}

export function derOctetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG_OCTET_STRING, bytes);
}

export function derUtf8String(text: string): Uint8Array {
  return tlv(TAG_UTF8_STRING, new TextEncoder().encode(text));
}

/** The PrintableString character set (X.680 §41.4). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function isPrintableString(text: string): boolean {
  return PRINTABLE.test(text);
}

export function derPrintableString(text: string): Uint8Array {
  if (!PRINTABLE.test(text)) {
    throw new TypeError(`"${text}" has characters a PrintableString cannot hold (only A-Z a-z 0-9 space ' ( ) + , - . / : = ?); use derUtf8String`);
  }
  return tlv(TAG_PRINTABLE_STRING, asciiBytes(text));
}

/** IA5String: 7-bit ASCII (dNSName in subjectAltName, RFC 5280 §4.2.1.6). */
export function derIa5String(text: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new TypeError(`"${text}" has non-ASCII characters, which an IA5String cannot hold`);
  return tlv(TAG_IA5_STRING, asciiBytes(text));
}

function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** UTCTime YYMMDDHHMMSSZ, whole seconds in UTC (X.690 §11.8); only years 1950–2049 (RFC 5280 §4.1.2.5.1). */
export function derUtcTime(date: Date): Uint8Array {
  const year = utcYear(date);
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime holds the years 1950 to 2049, not ${year}; use derGeneralizedTime`);
  return tlv(TAG_UTC_TIME, asciiBytes(pad(year % 100, 2) + timeOfYear(date)));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, whole seconds in UTC, no fraction (RFC 5280 §4.1.2.5.2). */
export function derGeneralizedTime(date: Date): Uint8Array {
  const year = utcYear(date);
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime holds the years 0 to 9999, not ${year}`);
  return tlv(TAG_GENERALIZED_TIME, asciiBytes(pad(year, 4) + timeOfYear(date)));
}

/**
 * A certificate validity time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
 * go-plugin's notAfter (~30 years out) needs GeneralizedTime; as UTCTime "56…" would read as 1956.
 */
export function derTime(date: Date): Uint8Array {
  const year = utcYear(date);
  return year >= 1950 && year <= 2049 ? derUtcTime(date) : derGeneralizedTime(date);
}

function utcYear(date: Date): number {
  if (Number.isNaN(date.getTime())) throw new RangeError('cannot encode an invalid Date');
  return date.getUTCFullYear();
}

function timeOfYear(date: Date): string {
  return (
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) +
    'Z'
  );
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function derSequence(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG_SEQUENCE, concatBytes(...items));
}

/**
 * SET (OF): DER puts the element encodings in ascending order, compared as octet strings with the
 * shorter padded by trailing zero octets (X.690 §11.6).
 */
export function derSet(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG_SET, concatBytes(...[...items].sort(compareForSet)));
}

function compareForSet(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** A context-specific identifier, in high-tag-number form from 31 up (X.690 §8.1.2.4). */
function contextIdentifier(tagNumber: number, constructed: boolean): Uint8Array {
  if (!Number.isSafeInteger(tagNumber) || tagNumber < 0) throw new RangeError(`a tag number is a non-negative integer, got ${tagNumber}`);
  const first = CLASS_CONTEXT | (constructed ? CONSTRUCTED : 0);
  if (tagNumber < 31) return Uint8Array.of(first | tagNumber);
  return Uint8Array.of(first | 0x1f, ...base128(BigInt(tagNumber)));
}

/** `[n] EXPLICIT`: a constructed context tag around the whole inner encoding. */
export function derExplicit(tagNumber: number, inner: Uint8Array): Uint8Array {
  return tlv(contextIdentifier(tagNumber, true), inner);
}

/**
 * `[n] IMPLICIT`: the inner encoding with its identifier replaced by a context tag. `constructed`
 * defaults to the inner type's own form (a SEQUENCE stays constructed, an IA5String primitive).
 */
export function derImplicit(tagNumber: number, inner: Uint8Array, constructed?: boolean): Uint8Array {
  const element = derRead(inner);
  if (element.end !== inner.length) throw new RangeError('derImplicit takes exactly one complete DER element');
  return tlv(contextIdentifier(tagNumber, constructed ?? element.constructed), element.contents);
}

export interface DerElement {
  /** The first identifier octet (class, form and low tag number). */
  tag: number;
  constructed: boolean;
  contents: Uint8Array;
  /** Offset just past this element. */
  end: number;
}

/** Whether `bytes` is exactly one DER SEQUENCE, nothing before or after it (the outer shape of a certificate). */
export function isSingleDerSequence(bytes: Uint8Array): boolean {
  try {
    const outer = derRead(bytes);
    return outer.tag === TAG_SEQUENCE && outer.end === bytes.length;
  } catch {
    return false;
  }
}

/**
 * Reads one element at `offset` (definite lengths only, as DER requires). A small reader so callers can
 * take apart what they made or what node:crypto exported (e.g. the key bits inside an SPKI).
 */
export function derRead(bytes: Uint8Array, offset = 0): DerElement {
  let at = offset;
  const byte = (): number => {
    if (at >= bytes.length) throw new RangeError(`truncated DER: element at offset ${offset} runs past the end`);
    return bytes[at++]!;
  };
  const tag = byte();
  if ((tag & 0x1f) === 0x1f) {
    while (byte() & 0x80) {
      // Skip the high tag number's continuation bytes.
    }
  }
  let length = byte();
  if (length === 0x80) throw new RangeError(`indefinite length at offset ${offset} is not DER`);
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 6) throw new RangeError(`DER length of ${count} octets at offset ${offset} is too large`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byte();
  }
  const end = at + length;
  if (end > bytes.length) throw new RangeError(`truncated DER: element at offset ${offset} needs ${length} content bytes, ${bytes.length - at} remain`);
  return { tag, constructed: (tag & CONSTRUCTED) !== 0, contents: bytes.subarray(at, end), end };
}

/** The elements inside a constructed element's contents, in order. */
export function derChildren(contents: Uint8Array): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = 0; offset < contents.length; ) {
    const child = derRead(contents, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}
