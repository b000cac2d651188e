// A minimal protobuf wire codec for go-plugin's few internal messages (docs/protocol.md#internal-services), so a
// plugin starts without loading or parsing .proto files. Unknown fields are skipped, as protobuf requires.

export class WireWriter {
  #bytes: number[] = [];

  varint(field: number, value: number): this {
    if (value === 0) return this; // proto3: defaults are not written
    this.#tag(field, 0);
    this.#varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return value ? this.varint(field, 1) : this;
  }

  bytes(field: number, value: Uint8Array): this {
    if (value.length === 0) return this;
    this.#tag(field, 2);
    this.#varint(value.length);
    for (const b of value) this.#bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message, written even when empty (presence matters for message fields). */
  message(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(value.length);
    for (const b of value) this.#bytes.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  #tag(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType);
  }

  #varint(value: number): void {
    let v = value >>> 0 === value ? value : Math.max(0, Math.floor(value));
    while (v > 0x7f) {
      this.#bytes.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.#bytes.push(v);
  }
}

export type WireValue = { wireType: 0; value: number } | { wireType: 2; value: Uint8Array };

/** Calls `onField` for each varint and length-delimited field; skips 64- and 32-bit fields. */
export function readFields(bytes: Uint8Array, onField: (field: number, value: WireValue) => void): void {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= bytes.length) throw new Error('truncated varint');
      const b = bytes[at++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  };
  while (at < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 0) onField(field, { wireType, value: varint() });
    else if (wireType === 2) {
      const length = varint();
      if (at + length > bytes.length) throw new Error('truncated length-delimited field');
      onField(field, { wireType, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
    if (at > bytes.length) throw new Error('truncated field');
  }
}

export function decodeString(value: WireValue): string {
  return value.wireType === 2 ? new TextDecoder().decode(value.value) : '';
}
