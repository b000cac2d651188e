import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parseAddress, type Address } from '../../../src/http2/address.js';

describe('parseAddress: gRPC target names for listeners and channels', () => {
  const table: Array<[string, Address]> = [
    ['unix:/tmp/plugin.sock', { kind: 'unix', path: '/tmp/plugin.sock' }],
    ['unix:///tmp/plugin.sock', { kind: 'unix', path: '/tmp/plugin.sock' }],
    ['unix:run/plugin.sock', { kind: 'unix', path: 'run/plugin.sock' }],
    ['127.0.0.1:0', { kind: 'tcp', host: '127.0.0.1', port: 0 }],
    ['localhost:65535', { kind: 'tcp', host: 'localhost', port: 65535 }],
    ['[::1]:1234', { kind: 'tcp', host: '::1', port: 1234 }],
    [':8080', { kind: 'tcp', host: '', port: 8080 }],
  ];
  for (const [text, address] of table) {
    it(`${text} → ${JSON.stringify(address)}`, () => assert.deepEqual(parseAddress(text), address));
  }

  const invalid = ['unix:', 'unix://tmp/x', 'localhost', 'host:65536', 'host:-1', 'host:', 'host:12a', '::1:80', '[::1]80', '[::1'];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)} with a TypeError that quotes it`, () => {
      assert.throws(() => parseAddress(text), (err: Error) => err instanceof TypeError && err.message.includes(JSON.stringify(text)));
    });
  }
});

describe('formatAddress: the inverse of parseAddress', () => {
  const table: Array<[Address, string]> = [
    [{ kind: 'unix', path: '/tmp/a.sock' }, 'unix:/tmp/a.sock'],
    [{ kind: 'unix', path: 'rel.sock' }, 'unix:rel.sock'],
    [{ kind: 'tcp', host: '127.0.0.1', port: 5000 }, '127.0.0.1:5000'],
    [{ kind: 'tcp', host: '::1', port: 5000 }, '[::1]:5000'],
  ];
  for (const [address, text] of table) {
    it(`${JSON.stringify(address)} → ${text}, and back`, () => {
      assert.equal(formatAddress(address), text);
      assert.deepEqual(parseAddress(text), address);
    });
  }
});
