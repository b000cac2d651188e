import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, frameHeader, FrameDecoder, type Frame } from '../../../src/grpc/framing.js';
import { GrpcError, Status } from '../../../src/grpc/status.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

function shown(frames: Frame[]): Array<[boolean, number[]]> {
  return frames.map((f) => [f.compressed, [...f.payload]]);
}

describe('encodeFrame / frameHeader: flag byte, 4-byte big-endian length, payload', () => {
  it('writes the prefix and copies the payload', () => {
    const frame = encodeFrame(Uint8Array.of(0xaa, 0xbb, 0xcc));
    assert.deepEqual([...frame], [0, 0, 0, 0, 3, 0xaa, 0xbb, 0xcc]);
    assert.deepEqual([...encodeFrame(Uint8Array.of(9), true)], [1, 0, 0, 0, 1, 9]);
  });

  it('encodes an empty message as five bytes (00 00 00 00 00)', () => {
    assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0, 0, 0, 0, 0]);
  });

  it('writes lengths above 2^24 and 2^31 big-endian', () => {
    assert.deepEqual([...frameHeader(0x01020304)], [0, 1, 2, 3, 4]);
    assert.deepEqual([...frameHeader(0xfffffffe, true)], [1, 0xff, 0xff, 0xff, 0xfe]);
  });
});

describe('FrameDecoder: message and chunk boundaries are unrelated (docs/node-http2.md#message-framing)', () => {
  const messages: Array<[boolean, Uint8Array]> = [
    [false, bytes(7, 1)],
    [false, new Uint8Array(0)],
    [true, bytes(3, 2)],
    [false, new Uint8Array(0)],
    [false, bytes(300, 3)],
  ];
  const stream = concat(messages.map(([c, p]) => encodeFrame(p, c)));
  const expected = messages.map(([c, p]) => [c, [...p]]);

  it('decodes the whole stream in one chunk', () => {
    const decoder = new FrameDecoder(1024);
    assert.deepEqual(shown(decoder.push(stream)), expected);
    assert.equal(decoder.hasPartial, false);
  });

  it('decodes the stream split at every single point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder(1024);
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      assert.deepEqual(shown(frames), expected, `split at ${cut}`);
      assert.equal(decoder.hasPartial, false);
    }
  });

  it('decodes the stream split at every pair of points', () => {
    // Two cuts cover a header split across three chunks and a body split twice.
    const small = stream.subarray(0, 40);
    const smallExpected = new FrameDecoder(1024).push(small);
    for (let a = 0; a <= small.length; a++) {
      for (let b = a; b <= small.length; b++) {
        const decoder = new FrameDecoder(1024);
        const frames = [...decoder.push(small.subarray(0, a)), ...decoder.push(small.subarray(a, b)), ...decoder.push(small.subarray(b))];
        assert.deepEqual(shown(frames), shown(smallExpected), `cuts at ${a}, ${b}`);
      }
    }
  });

  it('decodes the stream fed one byte at a time', () => {
    const decoder = new FrameDecoder(1024);
    const frames: Frame[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
    assert.deepEqual(shown(frames), expected);
  });

  it('returns a subarray of the chunk (no copy) when a message lies inside one chunk', () => {
    const chunk = concat([encodeFrame(bytes(10, 4)), encodeFrame(bytes(20, 5))]);
    const frames = new FrameDecoder(1024).push(chunk);
    assert.equal(frames.length, 2);
    for (const f of frames) assert.equal(f.payload.buffer, chunk.buffer);
    assert.equal(frames[0]!.payload.byteOffset, chunk.byteOffset + 5);
    assert.equal(frames[1]!.payload.byteOffset, chunk.byteOffset + 20);
  });

  it('copies only a message that straddles chunks', () => {
    const whole = encodeFrame(bytes(10, 6));
    const decoder = new FrameDecoder(1024);
    assert.deepEqual(decoder.push(whole.subarray(0, 8)), []);
    assert.equal(decoder.hasPartial, true);
    const [frame] = decoder.push(whole.subarray(8));
    assert.deepEqual([...frame!.payload], [...bytes(10, 6)]);
    assert.notEqual(frame!.payload.buffer, whole.buffer);
  });

  it('hasPartial is true with part of a header or body buffered, false between messages', () => {
    const frame = encodeFrame(bytes(4, 7));
    const decoder = new FrameDecoder(1024);
    assert.equal(decoder.hasPartial, false);
    decoder.push(frame.subarray(0, 2));
    assert.equal(decoder.hasPartial, true, 'inside the prefix');
    decoder.push(frame.subarray(2, 6));
    assert.equal(decoder.hasPartial, true, 'inside the body');
    decoder.push(frame.subarray(6));
    assert.equal(decoder.hasPartial, false);
  });
});

describe('FrameDecoder: limits and bad flags', () => {
  it('accepts a message of exactly the limit', () => {
    const [frame] = new FrameDecoder(16).push(encodeFrame(bytes(16, 8)));
    assert.equal(frame!.payload.length, 16);
  });

  it('rejects a length over the limit with RESOURCE_EXHAUSTED as soon as the prefix is read', () => {
    const decoder = new FrameDecoder(16);
    // Only the prefix of a 4 GiB message: rejecting it must not wait for (or allocate) the body.
    assert.throws(
      () => decoder.push(frameHeader(0xffffffff)),
      (err: unknown) => err instanceof GrpcError && err.code === Status.RESOURCE_EXHAUSTED && /4294967295 vs\. 16/.test(err.details),
    );
  });

  it('rejects an over-limit length whose prefix is split across chunks', () => {
    const decoder = new FrameDecoder(16);
    decoder.push(frameHeader(17).subarray(0, 3));
    assert.throws(() => decoder.push(frameHeader(17).subarray(3)), (err: unknown) => err instanceof GrpcError && err.code === Status.RESOURCE_EXHAUSTED);
  });

  it('rejects a flag byte other than 0 or 1 with INTERNAL', () => {
    for (const flag of [2, 0x80, 0xff]) {
      const frame = encodeFrame(bytes(2, 9));
      frame[0] = flag;
      assert.throws(() => new FrameDecoder(16).push(frame), (err: unknown) => err instanceof GrpcError && err.code === Status.INTERNAL, `flag ${flag}`);
      const split = new FrameDecoder(16);
      split.push(frame.subarray(0, 1));
      assert.throws(() => split.push(frame.subarray(1)), (err: unknown) => err instanceof GrpcError && err.code === Status.INTERNAL, `split, flag ${flag}`);
    }
  });
});
