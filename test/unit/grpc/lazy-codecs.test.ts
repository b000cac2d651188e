// loadProto's message types generate each codec at its first call (src/grpc/lazy-codecs.ts) instead of
// protobufjs's all-at-once setup: the same bytes and objects as protobufjs's own codecs, for every field
// shape, in either order of first use, and verify generated only when asked for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { loadProto } from '../../../src/grpc/proto.js';
import { DEFAULT_CONVERSION } from '../../../src/grpc/proto-codec.js';
import { samples } from '../../shipping/samples.ts';

const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
const EVERYTHING = fileURLToPath(new URL('../../fixtures/shipping/everything.proto', import.meta.url));
const TFPLUGIN6 = fileURLToPath(new URL('../../../proto/terraform/tfplugin6.proto', import.meta.url));

/** The message types of `file`, through loadProto, next to the same types in a plain protobufjs Root. */
function typesOf(file: string): Array<[protobuf.Type, protobuf.Type]> {
  const ours = Object.entries(loadProto(file)).filter((e): e is [string, protobuf.Type] => e[1] instanceof pb.Type);
  const plain = new pb.Root().loadSync(file);
  return ours.map(([name, type]) => [type, plain.lookupType(name)]);
}

describe('codecs generated on their first call', () => {
  for (const file of [EVERYTHING, TFPLUGIN6]) {
    it(`encode and decode every message of ${file.split('/').pop()} as protobufjs's own codecs do`, () => {
      const pairs = typesOf(file);
      assert.ok(pairs.length >= 5, `${pairs.length} message types`);
      for (const [index, [ours, plain]] of pairs.entries()) {
        for (const value of samples(plain)) {
          // Half the types are first used for decoding, half for encoding.
          const bytes = plain.encode(plain.fromObject(value)).finish();
          if (index % 2 === 0) assert.deepEqual(ours.toObject(ours.decode(bytes), DEFAULT_CONVERSION), plain.toObject(plain.decode(bytes), DEFAULT_CONVERSION), ours.fullName);
          assert.deepEqual(Buffer.from(ours.encode(ours.fromObject(value)).finish()), Buffer.from(bytes), ours.fullName);
          assert.deepEqual(ours.toObject(ours.decode(bytes), DEFAULT_CONVERSION), plain.toObject(plain.decode(bytes), DEFAULT_CONVERSION), ours.fullName);
        }
      }
    });
  }

  it('generates only the codecs used: a type that is only encoded never generates decode, toObject or verify', () => {
    const loaded = loadProto(EVERYTHING);
    const type = loaded['everything.v1.Scalars'] as protobuf.Type;
    const before = { decode: type.decode, toObject: type.toObject };
    const bytes = type.encode(type.fromObject({ fString: 'x', fInt64: 5n })).finish();
    assert.equal(type.decode, before.decode, 'decode is still the stub that generates it');
    assert.equal(type.toObject, before.toObject);
    assert.equal(Object.hasOwn(type, 'verify'), false, 'verify was generated');
    assert.equal(type.verify({ fString: 1 }), 'fString: string expected', 'verify still works, generated on demand');
    assert.deepEqual(type.toObject(type.decode(bytes), { longs: String }), { fString: 'x', fInt64: '5' });
  });
});
