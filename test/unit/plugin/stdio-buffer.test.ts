import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STDIO_CHUNK_BYTES, createStdioQueue, type StdioChannel } from '../../../src/plugin/serve/stdio-buffer.js';
import { seededRandom } from './random.js';

const random = seededRandom(0x57d10);
const text = (s: string) => new TextEncoder().encode(s);
const decode = (chunks: Array<{ channel: StdioChannel; data: Uint8Array }>) =>
  chunks.map(({ channel, data }) => [channel, new TextDecoder().decode(data)]);

describe('createStdioQueue: redirected output waiting for StreamStdio', () => {
  it('drains in order, joining adjacent writes to one channel', () => {
    const queue = createStdioQueue({ maxBytes: 4096 });
    queue.push('stdout', text('a'));
    queue.push('stdout', text('b'));
    queue.push('stderr', text('c'));
    queue.push('stdout', text('d'));
    assert.equal(queue.size, 4);
    assert.deepEqual(decode(queue.drain()), [['stdout', 'ab'], ['stderr', 'c'], ['stdout', 'd']]);
    assert.equal(queue.size, 0);
    assert.deepEqual(queue.drain(), []);
  });

  it('splits into chunks of at most 1024 bytes, as go-plugin sends them', () => {
    assert.equal(STDIO_CHUNK_BYTES, 1024);
    const queue = createStdioQueue({ maxBytes: 10_000 });
    const big = random.bytes(3000);
    queue.push('stdout', big.subarray(0, 1000));
    queue.push('stdout', big.subarray(1000));
    const chunks = queue.drain();
    assert.deepEqual(chunks.map((c) => c.data.length), [1024, 1024, 952]);
    assert.deepEqual(Buffer.concat(chunks.map((c) => c.data)), Buffer.from(big));
  });

  it('ignores empty writes', () => {
    const queue = createStdioQueue({ maxBytes: 10 });
    queue.push('stdout', new Uint8Array(0));
    assert.deepEqual(queue.drain(), []);
  });

  it('copies what it is given: the writer may reuse its buffer', () => {
    const queue = createStdioQueue({ maxBytes: 10 });
    const buffer = text('abc');
    queue.push('stdout', buffer);
    buffer.fill(0x7a);
    assert.deepEqual(decode(queue.drain()), [['stdout', 'abc']]);
  });

  it('drops the oldest bytes when full and counts them', () => {
    const queue = createStdioQueue({ maxBytes: 5 });
    queue.push('stdout', text('abc'));
    queue.push('stderr', text('de'));
    queue.push('stdout', text('fgh'));
    assert.equal(queue.dropped, 3);
    assert.deepEqual(decode(queue.drain()), [['stderr', 'de'], ['stdout', 'fgh']]);
    queue.push('stdout', text('0123456789'));
    assert.equal(queue.dropped, 8);
    assert.deepEqual(decode(queue.drain()), [['stdout', '56789']]);
  });

  it('keeps nothing with maxBytes 0, and refuses a bad bound', () => {
    const queue = createStdioQueue({ maxBytes: 0 });
    queue.push('stderr', text('lost'));
    assert.equal(queue.dropped, 4);
    assert.deepEqual(queue.drain(), []);
    for (const maxBytes of [-1, 1.5, Number.NaN]) assert.throws(() => createStdioQueue({ maxBytes }), /non-negative integer/);
  });

  it('always keeps exactly the newest bytes up to the bound (200 random runs)', () => {
    for (let run = 0; run < 200; run++) {
      const maxBytes = random.int(0, 3000);
      const queue = createStdioQueue({ maxBytes });
      const stream: Array<[StdioChannel, number]> = []; // every byte pushed, with its channel
      const drained: Array<[StdioChannel, number]> = [];
      for (let i = random.int(1, 30); i > 0; i--) {
        const channel = random.pick(['stdout', 'stderr'] as const);
        const bytes = random.bytes(random.int(0, 1500));
        queue.push(channel, bytes);
        for (const byte of bytes) stream.push([channel, byte]);
      }
      const chunks = queue.drain();
      for (const { channel, data } of chunks) {
        assert.ok(data.length > 0 && data.length <= STDIO_CHUNK_BYTES);
        for (const byte of data) drained.push([channel, byte]);
      }
      const kept = Math.min(maxBytes, stream.length);
      assert.deepEqual(drained, stream.slice(stream.length - kept));
      assert.equal(queue.dropped, stream.length - kept);
    }
  });
});
