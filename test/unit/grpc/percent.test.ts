import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGrpcMessage, decodeGrpcMessage } from '../../../src/grpc/percent.js';

describe('grpc-message percent encoding (docs/node-http2.md#grpc-message)', () => {
  it('leaves printable ASCII other than "%" as it is', () => {
    const text = 'unknown method Foo for service x.Y: a-z A-Z 0-9 ~!@#$^&*()_+{}|:"<>?`-=[]\\;\',./';
    assert.equal(encodeGrpcMessage(text), text);
  });

  it('encodes "%" itself', () => {
    assert.equal(encodeGrpcMessage('100%'), '100%25');
    assert.equal(decodeGrpcMessage('100%25'), '100%');
  });

  it('encodes every byte outside 0x20-0x7E as upper-case %XX of its UTF-8 bytes', () => {
    assert.equal(encodeGrpcMessage('a\nb\tc\x7f'), 'a%0Ab%09c%7F');
    assert.equal(encodeGrpcMessage('é'), '%C3%A9');
    assert.equal(encodeGrpcMessage('€'), '%E2%82%AC');
    assert.equal(encodeGrpcMessage('😀'), '%F0%9F%98%80');
  });

  it('gives only header-safe characters, and round-trips any text', () => {
    const samples = ['', 'plain', '100% sure', 'multi\nline\r\n', 'caf\u00e9 \u4e2d\u6587 \u0410', 'emoji 😀🎉 and \u{10ffff}', 'nul \0 byte', '%%%', '%2C is not a comma'];
    for (const s of samples) {
      const encoded = encodeGrpcMessage(s);
      assert.match(encoded, /^[\x20-\x7e]*$/, s);
      assert.equal(decodeGrpcMessage(encoded), s, s);
    }
  });

  it('does not throw on lone surrogates (encodeURI does); they become U+FFFD', () => {
    assert.throws(() => encodeURI('\ud800'));
    const encoded = encodeGrpcMessage('bad \ud800 and \udfff end');
    assert.equal(encoded, 'bad %EF%BF%BD and %EF%BF%BD end');
    assert.equal(decodeGrpcMessage(encoded), 'bad \ufffd and \ufffd end');
  });

  it('decodes lower-case escapes too', () => {
    assert.equal(decodeGrpcMessage('%c3%a9%2c'), 'é,');
  });
});

describe('decodeGrpcMessage never fails: malformed input comes back as received', () => {
  it('truncated UTF-8 (%E2%82) is returned raw', () => {
    assert.throws(() => decodeURIComponent('%E2%82'));
    assert.equal(decodeGrpcMessage('%E2%82'), '%E2%82');
    assert.equal(decodeGrpcMessage('price %E2%82'), 'price %E2%82');
  });

  it('a "%" not followed by two hex digits is kept as text', () => {
    assert.equal(decodeGrpcMessage('%zz'), '%zz');
    assert.equal(decodeGrpcMessage('50%'), '50%');
    assert.equal(decodeGrpcMessage('5%2'), '5%2');
    assert.equal(decodeGrpcMessage('a %zz and %41'), 'a %zz and A');
  });

  it('invalid UTF-8 bytes (%FF) give back the raw text', () => {
    assert.equal(decodeGrpcMessage('%FF%FE'), '%FF%FE');
  });

  it('text that was never encoded (raw non-ASCII) is returned unchanged', () => {
    assert.equal(decodeGrpcMessage('déjà vu'), 'déjà vu');
    assert.equal(decodeGrpcMessage('中文 %41'), '中文 %41');
  });
});
