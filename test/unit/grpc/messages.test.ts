import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { MessageReader, encodeMessage } from '../../../src/grpc/messages.js';
import { encodeFrame } from '../../../src/grpc/framing.js';
import { GrpcError, Status } from '../../../src/grpc/status.js';

const text = (b: Uint8Array) => Buffer.from(b).toString();
const bytes = (s: string) => Buffer.from(s);

function collect(reader: MessageReader<string>, ...chunks: Uint8Array[]): Array<[string, boolean]> {
  const out: Array<[string, boolean]> = [];
  const sink = { message: (v: string, compressed: boolean) => out.push([v, compressed]) };
  for (const c of chunks) reader.push(c, sink);
  return out;
}

describe('MessageReader: frames -> decompress -> deserialize', () => {
  it('decodes messages across chunk boundaries and reports compression per message', () => {
    const reader = new MessageReader(text, 1024, 'request', 'gzip');
    const wire = Buffer.concat([encodeFrame(bytes('one')), encodeFrame(gzipSync(bytes('two')), true)]);
    assert.deepEqual(collect(reader, wire.subarray(0, 6), wire.subarray(6, 9)), [['one', false]]);
    assert.equal(reader.hasPartial, true);
    assert.deepEqual(collect(reader, wire.subarray(9)), [['two', true]]);
    assert.equal(reader.hasPartial, false);
  });

  it('a chunk of exactly one message and the chunks after it decode the same way', () => {
    const reader = new MessageReader(text, 1024, 'request');
    const split = encodeFrame(bytes('split'));
    assert.deepEqual(collect(reader, encodeFrame(bytes('whole')), split.subarray(0, 3), split.subarray(3), encodeFrame(bytes('again'))), [
      ['whole', false],
      ['split', false],
      ['again', false],
    ]);
    assert.deepEqual(collect(reader, encodeFrame(new Uint8Array(0))), [['', false]]);
  });

  it('one whole message over the limit or with a bad flag fails as the decoder says', () => {
    assert.throws(
      () => collect(new MessageReader(text, 10, 'request'), encodeFrame(new Uint8Array(11))),
      (e: unknown) => e instanceof GrpcError && e.code === Status.RESOURCE_EXHAUSTED && /11 vs\. 10/.test(e.details),
    );
    const flagged = encodeFrame(bytes('x'));
    flagged[0] = 2;
    assert.throws(() => collect(new MessageReader(text, 10, 'request'), flagged), (e: unknown) => e instanceof GrpcError && e.code === Status.INTERNAL && /invalid message flag 2/.test(e.details));
  });

  it('a claimed length over the limit fails before anything is buffered', () => {
    const reader = new MessageReader(text, 10, 'request');
    assert.throws(
      () => collect(reader, encodeFrame(new Uint8Array(11)).subarray(0, 5)),
      (e: unknown) => e instanceof GrpcError && e.code === Status.RESOURCE_EXHAUSTED,
    );
  });

  it('a deserializer failure is INTERNAL and names the side', () => {
    const reader = new MessageReader<string>(() => { throw new Error('bad wire type'); }, 1024, 'response');
    assert.throws(
      () => collect(reader, encodeFrame(bytes('x'))),
      (e: unknown) => e instanceof GrpcError && e.code === Status.INTERNAL && e.details === 'cannot decode the response message: bad wire type',
    );
  });

  it('a compressed message on a stream without grpc-encoding is INTERNAL', () => {
    const reader = new MessageReader(text, 1024, 'request');
    assert.throws(() => collect(reader, encodeFrame(gzipSync(bytes('x')), true)), (e: unknown) => e instanceof GrpcError && e.code === Status.INTERNAL);
  });
});

describe('encodeMessage: serialize -> limit -> compress', () => {
  it('compresses only at or over the threshold, and only with an encoding', () => {
    const big = 'a'.repeat(2000);
    assert.equal(encodeMessage(bytes, 'small', Infinity, 'gzip', 'response').compressed, false);
    const c = encodeMessage(bytes, big, Infinity, 'gzip', 'response');
    assert.equal(c.compressed, true);
    assert.ok(c.payload.length < 2000);
    assert.equal(encodeMessage(bytes, big, Infinity, undefined, 'response').compressed, false);
    assert.equal(encodeMessage(bytes, big, Infinity, 'identity', 'response').compressed, false);
  });

  it('over the send limit is RESOURCE_EXHAUSTED; a serializer failure is INTERNAL', () => {
    assert.throws(() => encodeMessage(bytes, 'too long', 3, undefined, 'request'), (e: unknown) => e instanceof GrpcError && e.code === Status.RESOURCE_EXHAUSTED && /8 vs\. 3/.test(e.details));
    assert.throws(
      () => encodeMessage(() => { throw new Error('no'); }, 'x', Infinity, undefined, 'request'),
      (e: unknown) => e instanceof GrpcError && e.code === Status.INTERNAL && e.details === 'cannot encode the request message: no',
    );
  });
});
