// The cty codec against go-cty itself (test/go/cty-vectors, go-cty v1.18.1): every value go-cty
// encodes decodes here to the JavaScript value below, our encoding of that value is byte-for-byte
// go-cty's, and go-cty decodes our msgpack and JSON back to the value it started from.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cty,
  decodeJson,
  decodeMsgpack,
  encodeJson,
  encodeMsgpack,
  isUnknown,
  typeFromJson,
  typeToJson,
  Unknown,
  unknown,
  withType,
  CtyValueError,
  type CtyType,
} from '../../src/terraform/cty/index.js';
import { ctyVectorsBinary } from './go-tools.ts';

interface Vector {
  name: string;
  type: unknown;
  msgpack: string;
  json?: string;
}

// What each go-cty value is in JavaScript.
const expected: Record<string, () => unknown> = {
  string: () => 'hello',
  'string-unicode': () => 'héllo ☃ \u{1F600}',
  'string-long': () => '\0'.repeat(300),
  'string-null': () => null,
  'bool-true': () => true,
  'bool-false': () => false,
  'number-zero': () => 0,
  'number-small': () => 127,
  'number-negative': () => -33,
  'number-uint16': () => 65536,
  'number-2p53plus1': () => 9007199254740993n,
  'number-int64-max': () => 9223372036854775807n,
  'number-int64-min': () => -9223372036854775808n,
  'number-2p64': () => 18446744073709551616n,
  'number-1e30': () => 10n ** 30n,
  'number-half': () => 0.5,
  'number-minus-2.25': () => -2.25,
  'number-decimal-0.1': () => 0.1,
  'number-decimal-precise': () => '0.1000000000000000000001',
  'number-small-exponent': () => 1.5e-7,
  'number-infinity': () => Infinity,
  'unknown-string': () => unknown,
  'unknown-not-null': () => new Unknown({ notNull: true }),
  'unknown-prefix': () => new Unknown({ notNull: true, stringPrefix: 'ami-' }),
  'unknown-number-range': () => new Unknown({ notNull: true, numberMin: [0, true], numberMax: [10, false] }),
  'unknown-list-length': () => new Unknown({ lengthMin: 1, lengthMax: 3 }),
  'list-string': () => ['a', 'b'],
  'list-empty': () => [],
  'list-null': () => null,
  'set-number': () => [1, 2, 3],
  'map-string': () => ({ a: '1', b: '2' }),
  tuple: () => ['x', 2, true],
  object: () => ({ name: 'web', size: 3, tags: { env: 'prod' }, rules: [{ port: 443, open: true }] }),
  'object-partly-unknown': () => ({ name: 'web', size: unknown, tags: null, rules: [] }),
  'dynamic-string': () => 'hi',
  'dynamic-list': () => withType(['a'], cty.list(cty.string)),
  'dynamic-object': () => withType({ n: 1, s: [true] }, cty.object({ n: cty.number, s: cty.set(cty.bool) })),
  'dynamic-null': () => null,
  'dynamic-unknown': () => unknown,
  'object-with-dynamic': () => ({ any: ['a', 9007199254740993n] }),
  'object-optional-type': () => null,
};

function normalise(value: unknown): unknown {
  if (isUnknown(value)) return { unknown: value.refinement };
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

describe('cty values against go-cty v1.18.1 (msgpack and json packages)', () => {
  let binary: string;
  let vectors: Vector[];
  before(async () => {
    binary = await ctyVectorsBinary();
    const out = spawnSync(binary, [], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(out.status, 0, out.stderr);
    vectors = out.stdout.trim().split('\n').map((line) => JSON.parse(line) as Vector);
  });

  it('has a JavaScript value for every go-cty case', () => {
    assert.deepEqual(vectors.map((v) => v.name).sort(), Object.keys(expected).sort());
  });

  it('decodes go-cty msgpack to the expected values, never rounding numbers', () => {
    for (const v of vectors) {
      const type = typeFromJson(v.type);
      const decoded = decodeMsgpack(Buffer.from(v.msgpack, 'hex'), type);
      assert.deepEqual(normalise(decoded), normalise(expected[v.name]!()), v.name);
    }
  });

  it('encodes the values to the exact bytes go-cty writes', () => {
    for (const v of vectors) {
      const bytes = encodeMsgpack(expected[v.name]!(), typeFromJson(v.type));
      assert.equal(Buffer.from(bytes).toString('hex'), v.msgpack, v.name);
    }
  });

  it('decodes go-cty JSON and writes the same JSON', () => {
    for (const v of vectors.filter((v) => v.json !== undefined)) {
      const type = typeFromJson(v.type);
      assert.deepEqual(normalise(decodeJson(v.json!, type)), normalise(expected[v.name]!()), v.name);
      assert.equal(encodeJson(expected[v.name]!(), type), v.json, v.name);
    }
  });

  it('writes types as go-cty does (object attributes sorted, optional attributes listed)', () => {
    for (const v of vectors) assert.deepEqual(typeToJson(typeFromJson(v.type)), v.type, v.name);
  });

  it('go-cty decodes what we encode to the value it started from', () => {
    const lines = vectors.map((v) => {
      const type = typeFromJson(v.type);
      const value = expected[v.name]!();
      const json = v.json === undefined ? undefined : encodeJson(value, type);
      return JSON.stringify({ name: v.name, msgpack: Buffer.from(encodeMsgpack(value, type)).toString('hex'), json });
    });
    // A set given with repeats and in another order is still go-cty's set {1, 2, 3}.
    lines.push(JSON.stringify({ name: 'set-number', msgpack: Buffer.from(encodeMsgpack([3, 1, 2, 1, 3n], cty.set(cty.number))).toString('hex') }));
    const out = spawnSync(binary, ['-check'], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 60_000 });
    assert.equal(out.status, 0, out.stderr);
    const results = out.stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; ok: boolean; error?: string });
    assert.equal(results.length, vectors.length + 1);
    for (const r of results) assert.ok(r.ok, `${r.name}: ${r.error}`);
  });
});

describe('cty values: what the codec refuses', () => {
  const person: CtyType = cty.object({ name: cty.string, age: cty.number });

  it('names the attribute path of a value of the wrong type', () => {
    assert.throws(
      () => encodeMsgpack({ name: 'a', age: 'old' }, person),
      (err: unknown) => err instanceof CtyValueError && err.message === 'age: number is required, got the string "old"' && err.path.length === 1,
    );
    assert.throws(() => encodeMsgpack({ name: 'a', age: 1, extra: true }, person), /unsupported attribute "extra"/);
    assert.throws(() => encodeMsgpack([1, 'x'], cty.list(cty.number)), /^CtyValueError: \[1\]: number is required/);
  });

  it('rejects truncated and malformed msgpack with a clear error', () => {
    assert.throws(() => decodeMsgpack(Buffer.from('a568656c', 'hex'), cty.string), /ends early/);
    assert.throws(() => decodeMsgpack(Buffer.from('c3', 'hex'), cty.string), /a string is required, got msgpack bool/);
    assert.throws(() => decodeMsgpack(Buffer.from('a1610a', 'hex'), cty.string), /extra bytes/);
    assert.throws(() => decodeMsgpack(Buffer.from('81a178c3', 'hex'), person), /an object with 2 attributes is required, got 1/);
    assert.throws(() => decodeMsgpack(Buffer.from('c7030581 01c2'.replace(' ', ''), 'hex'), cty.string), /unsupported msgpack extension 5/);
  });

  it('refuses NaN and unknowns in JSON', () => {
    assert.throws(() => encodeMsgpack(NaN, cty.number), /number is required/);
    assert.throws(() => encodeJson({ name: unknown, age: 1 }, person), /name: unknown values cannot be written as JSON/);
  });

  it('reads state JSON written by an older schema when asked to drop unknown attributes', () => {
    const json = '{"name":"a","age":12345678901234567890,"removed":true}';
    assert.throws(() => decodeJson(json, person), /unsupported attribute "removed"/);
    assert.deepEqual(decodeJson(json, person, { ignoreUndefinedAttributes: true }), { name: 'a', age: 12345678901234567890n });
    assert.deepEqual(decodeJson('{"name":"a"}', person), { name: 'a', age: null });
  });

  it('keeps "__proto__" as an ordinary map key', () => {
    const decoded = decodeMsgpack(encodeMsgpack(JSON.parse('{"__proto__":"x"}'), cty.map(cty.string)), cty.map(cty.string)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(decoded), ['__proto__']);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  });
});
