import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { opensslBinary } from '../../helpers/tools.ts';
import {
  derBitString,
  derBoolean,
  derChildren,
  derExplicit,
  derGeneralizedTime,
  derIa5String,
  derImplicit,
  derInteger,
  derLength,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derRead,
  derSequence,
  derSet,
  derTime,
  derUtcTime,
  derUtf8String,
  isSingleDerSequence,
} from '../../../src/tls/asn1.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('INTEGER is minimal two\'s complement (X.690 §8.3)', () => {
  const cases: Array<[bigint | number, string]> = [
    [0, '020100'],
    [127, '02017f'],
    [128, '02020080'],
    [256, '02020100'],
    [-1, '0201ff'],
    [-128, '020180'],
    [-129, '0202ff7f'],
    [32767, '02027fff'],
    [32768, '0203008000'],
    [-32768, '02028000'],
    [-32769, '0203ff7fff'],
    [2n ** 64n, '0209010000000000000000'],
    [-(2n ** 63n), '02088000000000000000'],
  ];
  for (const [value, expected] of cases) {
    it(`${value} → ${expected}`, () => assert.equal(hex(derInteger(value)), expected));
  }

  it('reads a Uint8Array as an unsigned magnitude and adds 0x00 before a set top bit', () => {
    assert.equal(hex(derInteger(Uint8Array.of(0xff, 0x01))), '020300ff01');
    assert.equal(hex(derInteger(Uint8Array.of(0x00, 0x00, 0x7f))), '02017f');
    assert.equal(hex(derInteger(new Uint8Array(0))), '020100');
  });

  it('a 128-bit serial with the top bit set takes 17 content bytes', () => {
    const encoding = derInteger(2n ** 128n - 1n);
    assert.equal(encoding[1], 17);
    assert.equal(encoding[2], 0);
  });

  it('rejects unsafe numbers', () => {
    assert.throws(() => derInteger(2 ** 53), RangeError);
    assert.throws(() => derInteger(1.5), RangeError);
  });
});

describe('simple types', () => {
  it('BOOLEAN TRUE is FF, FALSE is 00; NULL is 05 00', () => {
    assert.equal(hex(derBoolean(true)), '0101ff');
    assert.equal(hex(derBoolean(false)), '010100');
    assert.equal(hex(derNull()), '0500');
  });

  it('OCTET STRING, UTF8String, IA5String', () => {
    assert.equal(hex(derOctetString(Uint8Array.of(1, 2))), '04020102');
    assert.equal(hex(derUtf8String('é')), '0c02c3a9');
    assert.equal(hex(derIa5String('localhost')), '16096c6f63616c686f7374');
    assert.throws(() => derIa5String('é'), TypeError);
  });

  it('PrintableString accepts its set and rejects anything else with a TypeError', () => {
    assert.equal(hex(derPrintableString("Aa0 '()+,-./:=?")), '130f' + Buffer.from("Aa0 '()+,-./:=?").toString('hex'));
    for (const bad of ['a@b', 'x_y', 'a*', 'ü', 'a&b', 'semi;colon']) {
      assert.throws(() => derPrintableString(bad), TypeError, bad);
    }
  });
});

describe('OBJECT IDENTIFIER (X.690 §8.19)', () => {
  const cases: Array<[string, string]> = [
    ['1.2.840.113549', '06062a864886f70d'],
    ['1.2.840.10045.4.3.4', '06082a8648ce3d040304'],
    ['1.3.132.0.35', '06052b81040023'],
    ['2.5.29.15', '0603551d0f'],
    ['2.999.3', '0603883703'],
    ['0.0', '060100'],
    ['1.3.6.1.4.1.18446744073709551615', '060f2b0601040181ffffffffffffffff7f'],
  ];
  for (const [oid, expected] of cases) {
    it(`${oid} → ${expected}`, () => assert.equal(hex(derOid(oid)), expected));
  }

  it('rejects malformed identifiers', () => {
    for (const bad of ['', '1', '1.', '3.1', '1.40', 'a.b', '1..2']) {
      assert.throws(() => derOid(bad), bad);
    }
  });
});

describe('lengths: short form below 128, long form after (X.690 §8.1.3)', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [127, '7f'],
    [128, '8180'],
    [255, '81ff'],
    [256, '820100'],
    [65535, '82ffff'],
    [65536, '83010000'],
  ];
  for (const [length, expected] of cases) {
    it(`${length} → ${expected}`, () => assert.equal(hex(derLength(length)), expected));
  }

  it('an OCTET STRING of 200 bytes carries 81 C8', () => {
    const encoding = derOctetString(new Uint8Array(200));
    assert.equal(hex(encoding.subarray(0, 3)), '0481c8');
    assert.equal(encoding.length, 203);
  });

  it('rejects negative and fractional lengths', () => {
    assert.throws(() => derLength(-1), RangeError);
    assert.throws(() => derLength(1.5), RangeError);
  });
});

describe('BIT STRING', () => {
  it('prefixes the unused-bit count', () => {
    assert.equal(hex(derBitString(Uint8Array.of(0xab))), '030200ab');
    assert.equal(hex(derBitString(Uint8Array.of(0xa0), 5)), '030205a0');
    assert.equal(hex(derBitString(new Uint8Array(0))), '030100');
  });

  it('rejects non-zero padding bits and bad counts (X.690 §11.2.1)', () => {
    assert.throws(() => derBitString(Uint8Array.of(0xa1), 1), RangeError);
    assert.throws(() => derBitString(Uint8Array.of(0xa0), 8), RangeError);
    assert.throws(() => derBitString(new Uint8Array(0), 1), RangeError);
  });

  it('named bits drop trailing zeros: go-plugin keyUsage is 03 02 02 AC', () => {
    assert.equal(hex(derNamedBits([0, 2, 4, 5])), '030202ac');
    assert.equal(hex(derNamedBits([0])), '03020780');
    assert.equal(hex(derNamedBits([8])), '0303070080');
  });
});

describe('times: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
  const ascii = (bytes: Uint8Array) => Buffer.from(bytes.subarray(2)).toString('latin1');

  it('UTCTime is YYMMDDHHMMSSZ in whole UTC seconds', () => {
    const encoding = derUtcTime(new Date('2026-03-04T05:06:07.890Z'));
    assert.equal(encoding[0], 0x17);
    assert.equal(ascii(encoding), '260304050607Z');
  });

  it('GeneralizedTime is YYYYMMDDHHMMSSZ with no fraction', () => {
    const encoding = derGeneralizedTime(new Date('2056-12-31T23:59:59.999Z'));
    assert.equal(encoding[0], 0x18);
    assert.equal(ascii(encoding), '20561231235959Z');
  });

  it('derTime switches at the 2049/2050 boundary', () => {
    const last = derTime(new Date('2049-12-31T23:59:59Z'));
    const first = derTime(new Date('2050-01-01T00:00:00Z'));
    assert.equal(last[0], 0x17);
    assert.equal(ascii(last), '491231235959Z');
    assert.equal(first[0], 0x18);
    assert.equal(ascii(first), '20500101000000Z');
  });

  it('derTime uses GeneralizedTime before 1950 and UTCTime from 1950', () => {
    assert.equal(derTime(new Date('1949-12-31T23:59:59Z'))[0], 0x18);
    const from1950 = derTime(new Date('1950-01-01T00:00:00Z'));
    assert.equal(from1950[0], 0x17);
    assert.equal(ascii(from1950), '500101000000Z');
  });

  it('UTCTime refuses years it cannot hold, and invalid dates', () => {
    assert.throws(() => derUtcTime(new Date('2050-01-01T00:00:00Z')), RangeError);
    assert.throws(() => derUtcTime(new Date('1949-12-31T23:59:59Z')), RangeError);
    assert.throws(() => derTime(new Date('nope')), RangeError);
  });
});

describe('constructed types', () => {
  it('SEQUENCE keeps order', () => {
    assert.equal(hex(derSequence(derInteger(2), derInteger(1))), '3006020102020101');
    assert.equal(hex(derSequence()), '3000');
  });

  it('SET OF sorts the encodings (X.690 §11.6)', () => {
    assert.equal(hex(derSet(derInteger(2), derInteger(1))), '3106020101020102');
    // The second octet (the length) decides here: 04 01 FF before 04 02 00 00.
    assert.equal(hex(derSet(derOctetString(Uint8Array.of(0, 0)), derOctetString(Uint8Array.of(0xff)))), '31070401ff04020000');
    // Different types order by their tags.
    assert.equal(hex(derSet(derIa5String('a'), derUtf8String('b'), derPrintableString('z'))), '31090c016213017a160161');
  });

  it('SET OF compares a prefix as zero-padded', () => {
    const short = Uint8Array.of(0x04, 0x01, 0x00);
    const long = Uint8Array.of(0x04, 0x01, 0x00, 0x01);
    assert.equal(hex(derSet(long, short)), '3107' + hex(short) + hex(long));
  });

  it('[n] EXPLICIT wraps the whole inner encoding', () => {
    assert.equal(hex(derExplicit(0, derInteger(2))), 'a003020102');
    assert.equal(hex(derExplicit(3, derSequence())), 'a3023000');
    assert.equal(hex(derExplicit(31, derNull())), 'bf1f020500');
    assert.equal(hex(derExplicit(200, derNull())), 'bf8148020500');
  });

  it('[n] IMPLICIT replaces the tag and keeps the form unless told', () => {
    assert.equal(hex(derImplicit(2, derIa5String('a'))), '820161');
    assert.equal(hex(derImplicit(0, derSequence(derNull()))), 'a0020500');
    assert.equal(hex(derImplicit(1, derSequence(derNull()), false)), '81020500');
    assert.equal(hex(derImplicit(1, derNull(), true)), 'a100');
    assert.throws(() => derImplicit(1, Uint8Array.of(5, 0, 5, 0)), RangeError);
  });
});

describe('reader', () => {
  it('reads back long-form lengths and children', () => {
    const big = derOctetString(new Uint8Array(70000));
    const seq = derSequence(derInteger(1), big, derNull());
    const outer = derRead(seq);
    assert.equal(outer.tag, 0x30);
    assert.equal(outer.end, seq.length);
    const children = derChildren(outer.contents);
    assert.deepEqual(children.map((c) => c.tag), [0x02, 0x04, 0x05]);
    assert.equal(children[1]!.contents.length, 70000);
  });

  it('refuses truncated and indefinite-length input', () => {
    assert.throws(() => derRead(Uint8Array.of(0x30, 0x05, 0x01)), RangeError);
    assert.throws(() => derRead(Uint8Array.of(0x30, 0x80, 0x00, 0x00)), RangeError);
    assert.throws(() => derRead(new Uint8Array(0)), RangeError);
  });
});

describe('openssl reads what we write', () => {
  it('asn1parse shows every type of a mixed structure with the right values', () => {
    const der = derSequence(
      derExplicit(0, derInteger(2)),
      derInteger(-129),
      derInteger(2n ** 127n),
      derBoolean(true),
      derNull(),
      derOid('1.2.840.10045.4.3.4'),
      derBitString(Uint8Array.of(0xde, 0xad)),
      derOctetString(new Uint8Array(300).fill(7)),
      derPrintableString('HashiCorp'),
      derUtf8String('grüße'),
      derIa5String('localhost'),
      derTime(new Date('2049-12-31T23:59:59Z')),
      derTime(new Date('2056-01-02T03:04:05Z')),
      derSet(derInteger(3), derInteger(1)),
      derImplicit(2, derIa5String('localhost')),
    );
    const result = spawnSync(opensslBinary(), ['asn1parse', '-inform', 'DER', '-i'], { input: der, encoding: 'utf8' });
    assert.equal(result.error, undefined, `openssl did not run: ${result.error?.message}`);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').map((line) => line.replace(/^\s*\d+:d=\d+\s+hl=\d+\s+l=\s*\d+\s+/, '').replace(/\s+/g, ' ').trim());
    assert.deepEqual(lines, [
      'cons: SEQUENCE',
      'cons: cont [ 0 ]',
      'prim: INTEGER :02',
      'prim: INTEGER :-81',
      'prim: INTEGER :80000000000000000000000000000000',
      'prim: BOOLEAN :255',
      'prim: NULL',
      'prim: OBJECT :ecdsa-with-SHA512',
      'prim: BIT STRING',
      'prim: OCTET STRING [HEX DUMP]:' + '07'.repeat(300),
      'prim: PRINTABLESTRING :HashiCorp',
      'prim: UTF8STRING :grüße',
      'prim: IA5STRING :localhost',
      'prim: UTCTIME :491231235959Z',
      'prim: GENERALIZEDTIME :20560102030405Z',
      'cons: SET',
      'prim: INTEGER :01',
      'prim: INTEGER :03',
      'prim: cont [ 2 ]',
    ]);
  });
});

describe('isSingleDerSequence: the outer shape of a certificate (handshake field 6, certificateFromDer)', () => {
  it('accepts exactly one SEQUENCE, short and long length forms', () => {
    assert.equal(isSingleDerSequence(derSequence(derInteger(1n))), true);
    assert.equal(isSingleDerSequence(derSequence(derOctetString(new Uint8Array(300)))), true);
  });
  it('refuses another tag, trailing or missing bytes, and an indefinite length', () => {
    const seq = derSequence(derInteger(1n));
    assert.equal(isSingleDerSequence(derSet(derInteger(1n))), false);
    assert.equal(isSingleDerSequence(new Uint8Array([...seq, 0])), false);
    assert.equal(isSingleDerSequence(seq.subarray(0, seq.length - 1)), false);
    assert.equal(isSingleDerSequence(new Uint8Array([0x30, 0x80, 0, 0])), false);
    assert.equal(isSingleDerSequence(new Uint8Array([])), false);
  });
});
