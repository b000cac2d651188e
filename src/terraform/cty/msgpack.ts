// The part of MessagePack (https://github.com/msgpack/msgpack/blob/8aa09e2/spec.md) that cty values
// use: nil, bool, integers, float64, str, bin, array, map and ext. A reader over one buffer and a
// growing writer; both throw MsgpackError on anything malformed or truncated.

export class MsgpackError extends Error {
  override name = 'MsgpackError';
}

/** What the next item is, without consuming it. */
export type MsgpackKind = 'nil' | 'bool' | 'int' | 'float' | 'str' | 'bin' | 'array' | 'map' | 'ext';

export class MsgpackReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  peek(): MsgpackKind {
    const b = this.byteAt(this.offset);
    if (b <= 0x7f || b >= 0xe0) return 'int';
    if (b <= 0x8f) return 'map';
    if (b <= 0x9f) return 'array';
    if (b <= 0xbf) return 'str';
    switch (b) {
      case 0xc0:
        return 'nil';
      case 0xc2:
      case 0xc3:
        return 'bool';
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return 'bin';
      case 0xc7:
      case 0xc8:
      case 0xc9:
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return 'ext';
      case 0xca:
      case 0xcb:
        return 'float';
      case 0xd9:
      case 0xda:
      case 0xdb:
        return 'str';
      case 0xdc:
      case 0xdd:
        return 'array';
      case 0xde:
      case 0xdf:
        return 'map';
    }
    if (b >= 0xcc && b <= 0xd3) return 'int';
    throw new MsgpackError(`unsupported msgpack type byte 0x${b.toString(16)} at offset ${this.offset}`);
  }

  readNil(): null {
    this.expect(0xc0, 'nil');
    return null;
  }

  readBool(): boolean {
    const b = this.byteAt(this.offset);
    if (b !== 0xc2 && b !== 0xc3) throw this.unexpected('a bool');
    this.offset++;
    return b === 0xc3;
  }

  /** An integer: a number when it is a safe integer, a bigint otherwise. */
  readInt(): number | bigint {
    const b = this.byteAt(this.offset);
    if (b <= 0x7f) return this.advance(1, () => b);
    if (b >= 0xe0) return this.advance(1, () => b - 0x100);
    const at = this.offset + 1;
    switch (b) {
      case 0xcc:
        return this.advance(2, () => this.view.getUint8(at));
      case 0xcd:
        return this.advance(3, () => this.view.getUint16(at));
      case 0xce:
        return this.advance(5, () => this.view.getUint32(at));
      case 0xcf:
        return this.advance(9, () => safe(this.view.getBigUint64(at)));
      case 0xd0:
        return this.advance(2, () => this.view.getInt8(at));
      case 0xd1:
        return this.advance(3, () => this.view.getInt16(at));
      case 0xd2:
        return this.advance(5, () => this.view.getInt32(at));
      case 0xd3:
        return this.advance(9, () => safe(this.view.getBigInt64(at)));
    }
    throw this.unexpected('an integer');
  }

  readFloat(): number {
    const b = this.byteAt(this.offset);
    const at = this.offset + 1;
    if (b === 0xca) return this.advance(5, () => this.view.getFloat32(at));
    if (b === 0xcb) return this.advance(9, () => this.view.getFloat64(at));
    throw this.unexpected('a float');
  }

  readString(): string {
    const b = this.byteAt(this.offset);
    let length: number;
    let header: number;
    if (b >= 0xa0 && b <= 0xbf) [length, header] = [b & 0x1f, 1];
    else if (b === 0xd9) [length, header] = [this.uint(1), 2];
    else if (b === 0xda) [length, header] = [this.uint(2), 3];
    else if (b === 0xdb) [length, header] = [this.uint(4), 5];
    else throw this.unexpected('a string');
    const body = this.slice(header, length);
    try {
      return utf8Decoder.decode(body);
    } catch {
      throw new MsgpackError(`string at offset ${this.offset - header - length} is not valid UTF-8`);
    }
  }

  /** bin, or str read as its bytes (cty accepts both for a dynamic value's type). */
  readBytes(): Uint8Array {
    const b = this.byteAt(this.offset);
    if (b === 0xc4) return this.slice(2, this.uint(1));
    if (b === 0xc5) return this.slice(3, this.uint(2));
    if (b === 0xc6) return this.slice(5, this.uint(4));
    if (this.peek() === 'str') return utf8Encoder.encode(this.readString());
    throw this.unexpected('bytes');
  }

  readArrayLength(): number {
    const b = this.byteAt(this.offset);
    if (b >= 0x90 && b <= 0x9f) return this.advance(1, () => b & 0x0f);
    if (b === 0xdc) return this.advance(3, () => this.uint(2));
    if (b === 0xdd) return this.advance(5, () => this.uint(4));
    throw this.unexpected('an array');
  }

  readMapLength(): number {
    const b = this.byteAt(this.offset);
    if (b >= 0x80 && b <= 0x8f) return this.advance(1, () => b & 0x0f);
    if (b === 0xde) return this.advance(3, () => this.uint(2));
    if (b === 0xdf) return this.advance(5, () => this.uint(4));
    throw this.unexpected('a map');
  }

  readExt(): { type: number; data: Uint8Array } {
    const b = this.byteAt(this.offset);
    const fixed: Record<number, number> = { 0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16 };
    let length: number;
    let header: number;
    if (fixed[b] !== undefined) [length, header] = [fixed[b]!, 2];
    else if (b === 0xc7) [length, header] = [this.uint(1), 3];
    else if (b === 0xc8) [length, header] = [this.uint(2), 4];
    else if (b === 0xc9) [length, header] = [this.uint(4), 6];
    else throw this.unexpected('an extension');
    const type = this.view.getInt8(this.offset + header - 1);
    return { type, data: this.slice(header, length) };
  }

  private byteAt(offset: number): number {
    if (offset >= this.bytes.length) throw new MsgpackError(`msgpack data ends early at offset ${offset}`);
    return this.bytes[offset]!;
  }

  /** A big-endian length of `size` bytes right after the type byte. */
  private uint(size: 1 | 2 | 4): number {
    this.need(1 + size);
    const at = this.offset + 1;
    return size === 1 ? this.view.getUint8(at) : size === 2 ? this.view.getUint16(at) : this.view.getUint32(at);
  }

  private slice(header: number, length: number): Uint8Array {
    this.need(header + length);
    const start = this.offset + header;
    this.offset = start + length;
    return this.bytes.subarray(start, start + length);
  }

  private advance<T>(size: number, read: () => T): T {
    this.need(size);
    const value = read();
    this.offset += size;
    return value;
  }

  private need(size: number): void {
    if (this.offset + size > this.bytes.length) throw new MsgpackError(`msgpack data ends early at offset ${this.bytes.length}`);
  }

  private expect(byte: number, what: string): void {
    if (this.byteAt(this.offset) !== byte) throw this.unexpected(what);
    this.offset++;
  }

  private unexpected(what: string): MsgpackError {
    return new MsgpackError(`expected ${what} at offset ${this.offset}, found msgpack ${this.peekName()}`);
  }

  private peekName(): string {
    try {
      return this.peek();
    } catch {
      return `byte 0x${this.bytes[this.offset]?.toString(16)}`;
    }
  }
}

function safe(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export class MsgpackWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  nil(): void {
    this.byte(0xc0);
  }

  bool(value: boolean): void {
    this.byte(value ? 0xc3 : 0xc2);
  }

  /** The shortest encoding, as the Go encoder with compact integers writes it. */
  int(value: number | bigint): void {
    const big = BigInt(value);
    if (big >= 0n) {
      if (big <= 0x7fn) return this.byte(Number(big));
      if (big <= 0xffn) return this.bytesOf(0xcc, 1, (at) => this.view.setUint8(at, Number(big)));
      if (big <= 0xffffn) return this.bytesOf(0xcd, 2, (at) => this.view.setUint16(at, Number(big)));
      if (big <= 0xffffffffn) return this.bytesOf(0xce, 4, (at) => this.view.setUint32(at, Number(big)));
      if (big <= 0xffffffffffffffffn) return this.bytesOf(0xcf, 8, (at) => this.view.setBigUint64(at, big));
    } else {
      if (big >= -32n) return this.byte(Number(big) + 0x100);
      if (big >= -0x80n) return this.bytesOf(0xd0, 1, (at) => this.view.setInt8(at, Number(big)));
      if (big >= -0x8000n) return this.bytesOf(0xd1, 2, (at) => this.view.setInt16(at, Number(big)));
      if (big >= -0x80000000n) return this.bytesOf(0xd2, 4, (at) => this.view.setInt32(at, Number(big)));
      if (big >= -0x8000000000000000n) return this.bytesOf(0xd3, 8, (at) => this.view.setBigInt64(at, big));
    }
    throw new MsgpackError(`${value} does not fit a 64-bit msgpack integer`);
  }

  float64(value: number): void {
    this.bytesOf(0xcb, 8, (at) => this.view.setFloat64(at, value));
  }

  string(value: string): void {
    const body = utf8Encoder.encode(value);
    const n = body.length;
    if (n <= 31) this.byte(0xa0 | n);
    else if (n <= 0xff) this.bytesOf(0xd9, 1, (at) => this.view.setUint8(at, n));
    else if (n <= 0xffff) this.bytesOf(0xda, 2, (at) => this.view.setUint16(at, n));
    else this.bytesOf(0xdb, 4, (at) => this.view.setUint32(at, n));
    this.raw(body);
  }

  bin(body: Uint8Array): void {
    const n = body.length;
    if (n <= 0xff) this.bytesOf(0xc4, 1, (at) => this.view.setUint8(at, n));
    else if (n <= 0xffff) this.bytesOf(0xc5, 2, (at) => this.view.setUint16(at, n));
    else this.bytesOf(0xc6, 4, (at) => this.view.setUint32(at, n));
    this.raw(body);
  }

  arrayLength(n: number): void {
    if (n <= 15) this.byte(0x90 | n);
    else if (n <= 0xffff) this.bytesOf(0xdc, 2, (at) => this.view.setUint16(at, n));
    else this.bytesOf(0xdd, 4, (at) => this.view.setUint32(at, n));
  }

  mapLength(n: number): void {
    if (n <= 15) this.byte(0x80 | n);
    else if (n <= 0xffff) this.bytesOf(0xde, 2, (at) => this.view.setUint16(at, n));
    else this.bytesOf(0xdf, 4, (at) => this.view.setUint32(at, n));
  }

  ext(type: number, data: Uint8Array): void {
    const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
    const n = data.length;
    if (fixed[n] !== undefined) this.byte(fixed[n]!);
    else if (n <= 0xff) this.bytesOf(0xc7, 1, (at) => this.view.setUint8(at, n));
    else if (n <= 0xffff) this.bytesOf(0xc8, 2, (at) => this.view.setUint16(at, n));
    else this.bytesOf(0xc9, 4, (at) => this.view.setUint32(at, n));
    this.byte(type & 0xff);
    this.raw(data);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  private bytesOf(type: number, size: number, write: (at: number) => void): void {
    this.reserve(1 + size);
    this.buffer[this.length] = type;
    write(this.length + 1);
    this.length += 1 + size;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}
