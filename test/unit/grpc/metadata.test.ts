import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Metadata,
  METADATA_BUDGET_BYTES,
  base64Decode,
  base64Encode,
  isReservedKey,
  metadataFromHeaders,
  metadataSize,
  metadataToHeaders,
} from '../../../src/grpc/metadata.js';

const bin = (...b: number[]) => Uint8Array.from(b);

describe('Metadata: get, getAll, set, append, delete', () => {
  it('keeps values per key in order; get gives the first, getAll all', () => {
    const md = new Metadata();
    md.append('x-a', '1').append('x-a', '2').set('x-b', 'b');
    assert.equal(md.get('x-a'), '1');
    assert.deepEqual(md.getAll('x-a'), ['1', '2']);
    assert.equal(md.get('x-b'), 'b');
    assert.equal(md.get('x-missing'), undefined);
    assert.deepEqual(md.getAll('x-missing'), []);
    assert.deepEqual(md.keys(), ['x-a', 'x-b']);
    assert.deepEqual([...md], [['x-a', '1'], ['x-a', '2'], ['x-b', 'b']]);
    assert.equal(md.size, 2);
  });

  it('set replaces every value; delete removes the key', () => {
    const md = new Metadata({ 'x-a': ['1', '2'] });
    md.set('x-a', '3');
    assert.deepEqual(md.getAll('x-a'), ['3']);
    assert.equal(md.delete('x-a'), true);
    assert.equal(md.has('x-a'), false);
    assert.equal(md.delete('x-a'), false);
  });

  it('lower-cases keys on the way in and on lookup', () => {
    const md = new Metadata().set('X-Trace-ID', 'abc');
    assert.deepEqual(md.keys(), ['x-trace-id']);
    assert.equal(md.get('X-TRACE-ID'), 'abc');
  });

  it('getAll returns a copy that does not change the metadata', () => {
    const md = new Metadata({ 'x-a': 'v' });
    md.getAll('x-a').push('other');
    assert.deepEqual(md.getAll('x-a'), ['v']);
  });

  it('constructs from records, arrays and other Metadata; clone and merge copy entries', () => {
    const md = new Metadata({ 'x-a': ['1', '2'], 'x-bin': bin(1, 2) });
    const copy = md.clone();
    copy.append('x-a', '3');
    assert.deepEqual(md.getAll('x-a'), ['1', '2']);
    assert.deepEqual(copy.getAll('x-a'), ['1', '2', '3']);
    md.merge({ 'x-a': '9', 'x-c': 'c' });
    assert.deepEqual(md.getAll('x-a'), ['1', '2', '9']);
    assert.equal(md.get('x-c'), 'c');
    assert.deepEqual(md.toJSON(), { 'x-a': ['1', '2', '9'], 'x-bin': 'AQI', 'x-c': 'c' });
  });

  it('-bin keys take Uint8Array only; other keys take strings only', () => {
    const md = new Metadata();
    md.set('trace-bin', bin(0, 255));
    assert.deepEqual(md.get('trace-bin'), bin(0, 255));
    assert.throws(() => md.set('trace-bin', 'AAE' as unknown as Uint8Array), /ends in "-bin", so its value must be a Uint8Array/);
    assert.throws(() => md.set('trace', bin(1) as unknown as string), /takes a string value/);
  });

  it('reserved keys throw: grpc-*, pseudo-headers, content-type, te, user-agent, connection headers', () => {
    for (const key of ['grpc-status', 'grpc-timeout', 'Grpc-Message', ':path', ':authority', 'content-type', 'te', 'user-agent', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']) {
      assert.ok(isReservedKey(key.toLowerCase()), key);
      assert.throws(() => new Metadata().set(key, 'v'), TypeError, key);
      assert.throws(() => new Metadata().append(key, 'v'), TypeError, key);
    }
    assert.throws(() => new Metadata().set('grpc-trace-bin', bin(1)), /reserved for the gRPC protocol/);
    assert.equal(isReservedKey('x-grpc-like'), false);
  });

  it('invalid keys throw', () => {
    for (const key of ['', 'with space', 'x/y', 'ünï', 'a:b', 'x\n']) {
      assert.throws(() => new Metadata().set(key, 'v'), /invalid metadata key/, JSON.stringify(key));
    }
    // The allowed set: digits, lower-case letters, "_", ".", "-".
    assert.doesNotThrow(() => new Metadata().set('0-9_a.z-', 'v'));
  });

  it('non-printable or non-ASCII values throw for text keys', () => {
    for (const value of ['line\nbreak', 'tab\t', 'caf\u00e9', '\x7f', '\0']) {
      assert.throws(() => new Metadata().set('x-text', value), /printable ASCII/, JSON.stringify(value));
    }
    assert.doesNotThrow(() => new Metadata().set('x-text', ' !~ all printable '));
    assert.doesNotThrow(() => new Metadata().set('x-empty', ''));
  });
});

describe('metadataToHeaders', () => {
  it('writes -bin values as unpadded standard base64 and repeats as arrays', () => {
    const md = new Metadata().append('x-bin', bin(0)).append('x-bin', bin(2, 3)).append('x-bin', bin(0xfb, 0xff, 0xbf)).set('x-text', 'v');
    const headers = metadataToHeaders(md);
    assert.deepEqual(headers, { 'x-bin': ['AA', 'AgM', '+/+/'], 'x-text': 'v' });
    for (const v of headers['x-bin'] as string[]) assert.ok(!v.includes('='));
  });

  it('adds to an existing header object', () => {
    const into: Record<string, string | string[]> = { ':status': '200' };
    metadataToHeaders(new Metadata({ 'x-a': 'a' }), into);
    assert.deepEqual(into, { ':status': '200', 'x-a': 'a' });
  });
});

describe('metadataFromHeaders: drop what is reserved or invalid, never fail (docs/node-http2.md#received-metadata)', () => {
  it('drops pseudo-headers, reserved and HTTP/1 headers and keeps the rest', () => {
    const md = metadataFromHeaders({
      ':path': '/x.Y/Z',
      ':authority': 'localhost',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'grpc-go/1.0',
      'grpc-timeout': '1S',
      'grpc-accept-encoding': 'gzip',
      connection: 'close',
      'x-kept': 'yes',
    });
    assert.deepEqual(md.keys(), ['x-kept']);
  });

  it('drops invalid keys, non-ASCII values and undecodable -bin values silently', () => {
    const md = metadataFromHeaders({
      'x bad': 'v',
      'x-text': 'caf\u00e9',
      'x-bin': 'not base64!',
      'y-bin': 'A',
      'x-good': 'ok',
      'x-undefined': undefined,
    });
    assert.deepEqual(md.keys(), ['x-good']);
  });

  it('splits comma-joined -bin values (Node joins duplicates with ", "), padded or not', () => {
    const md = metadataFromHeaders({ 'x-bin': 'AAE, AgM=', 'y-bin': 'AQ==,AgM,AAEC' });
    assert.deepEqual(md.getAll('x-bin'), [bin(0, 1), bin(2, 3)]);
    assert.deepEqual(md.getAll('y-bin'), [bin(1), bin(2, 3), bin(0, 1, 2)]);
  });

  it('keeps text values with commas whole (only -bin values are split)', () => {
    assert.deepEqual(metadataFromHeaders({ 'x-list': 'a, b' }).getAll('x-list'), ['a, b']);
  });

  it('takes array values (set-cookie style) as separate entries', () => {
    assert.deepEqual(metadataFromHeaders({ 'x-a': ['1', '2'] }).getAll('x-a'), ['1', '2']);
  });

  it('with rawHeaders keeps every repeated field as its own value, ignoring the joined object', () => {
    const raw = [':path', '/x', 'x-text', 'a, b', 'x-text', 'c', 'X-Bin', 'AAE', 'x-bin', 'AgM=', 'grpc-status', '0'];
    const md = metadataFromHeaders({ 'x-text': 'a, b, c', 'x-bin': 'AAE, AgM=' }, raw);
    assert.deepEqual(md.getAll('x-text'), ['a, b', 'c']);
    assert.deepEqual(md.getAll('x-bin'), [bin(0, 1), bin(2, 3)]);
    assert.deepEqual(md.keys(), ['x-text', 'x-bin']);
  });

  it('round-trips through metadataToHeaders', () => {
    const md = new Metadata().append('x-bin', bin(1, 2, 3, 4)).append('x-bin', new Uint8Array(0)).append('x-bin', bin(250)).set('x-text', 'hello');
    const headers = metadataToHeaders(md);
    const joined = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    const back = metadataFromHeaders(joined);
    assert.deepEqual(back.getAll('x-bin'), [bin(1, 2, 3, 4), new Uint8Array(0), bin(250)]);
    assert.equal(back.get('x-text'), 'hello');
  });
});

describe('base64 for -bin values', () => {
  it('matches Buffer base64 (without padding) for every length 0-40', () => {
    for (let n = 0; n <= 40; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 0xff);
      const expected = Buffer.from(data).toString('base64');
      assert.equal(base64Encode(data), expected.replace(/=+$/, ''), `length ${n}`);
      assert.deepEqual(base64Decode(expected), data, `padded, length ${n}`);
      assert.deepEqual(base64Decode(expected.replace(/=+$/, '')), data, `unpadded, length ${n}`);
    }
  });

  it('rejects text that is not standard base64', () => {
    for (const bad of ['A', 'AB*D', 'ab-_', 'AAAAA', 'é']) assert.equal(base64Decode(bad), undefined, bad);
  });
});

describe('metadata size budget (docs/node-http2.md#reserved-headers-and-metadata-size)', () => {
  it('counts name + value + 32 per entry; -bin values by their base64 length', () => {
    const md = new Metadata().append('x-a', 'abc').append('x-a', 'de').set('k-bin', new Uint8Array(3));
    assert.equal(metadataSize(md), 3 + 3 + 32 + (3 + 2 + 32) + (5 + 4 + 32));
    assert.equal(metadataSize(new Metadata()), 0);
  });

  it('the budget is 8 KiB', () => {
    assert.equal(METADATA_BUDGET_BYTES, 8192);
  });
});
