import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  HandshakeError,
  formatHandshake,
  parseHandshake,
  type HandshakeFields,
  type ParseHandshakeOptions,
} from '../../../src/plugin/handshake.js';
import { fakeCertDer, seededRandom } from './random.js';

const random = seededRandom(0x5eed);
const cert = (contentLength: number) => fakeCertDer(contentLength, random.bytes);
// Standard base64 with padding, computed independently of the module under test.
const paddedBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function parseError(line: string, options: ParseHandshakeOptions): HandshakeError {
  try {
    parseHandshake(line, options);
  } catch (err) {
    assert.ok(err instanceof HandshakeError, `expected a HandshakeError, got ${String(err)}`);
    assert.equal(err.line, line);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(line)} to be rejected`);
}

describe('formatHandshake: the line a plugin prints', () => {
  it('prints core version 1, the fields in order, the sixth separator and a newline', () => {
    assert.equal(
      formatHandshake({ appVersion: 2, network: 'tcp', address: '127.0.0.1:10000' }),
      '1|2|tcp|127.0.0.1:10000|grpc|\n',
    );
    assert.equal(
      formatHandshake({ appVersion: 6, network: 'unix', address: '/tmp/plugin123', protocol: 'grpc' }),
      '1|6|unix|/tmp/plugin123|grpc|\n',
    );
  });

  it('prints field 7 only as "true", never "|false" (pre-1.6 hosts glue it onto the certificate)', () => {
    const base = { appVersion: 1, network: 'unix', address: '/tmp/plugin88123' } as const;
    assert.equal(formatHandshake({ ...base, multiplex: true }), '1|1|unix|/tmp/plugin88123|grpc||true\n');
    assert.equal(formatHandshake({ ...base, multiplex: false }), '1|1|unix|/tmp/plugin88123|grpc|\n');
  });

  // docs/protocol.md#field-6-server-certificate: about 2 in 3 DER lengths need padding; a padded field 6 fails Go
  // hosts.
  for (const contentLength of [300, 301, 302]) {
    it(`prints the certificate as unpadded standard base64 (${contentLength + 4}-byte DER)`, () => {
      const der = cert(contentLength);
      const line = formatHandshake({ appVersion: 5, network: 'unix', address: '/s', serverCertDer: der });
      const field6 = line.trimEnd().split('|')[5]!;
      assert.doesNotMatch(field6, /=/);
      assert.equal(field6, paddedBase64(der).replace(/=+$/, ''));
      assert.ok(line.endsWith(`${field6}\n`));
    });
  }

  const bad: Array<[string, HandshakeFields, RegExp]> = [
    ['a "|" in the address', { appVersion: 1, network: 'unix', address: '/tmp/a|b' }, /"\|"/],
    ['a newline in the address', { appVersion: 1, network: 'unix', address: '/tmp/a\nb' }, /newline/],
    ['a carriage return in the address', { appVersion: 1, network: 'unix', address: '/tmp/a\rb' }, /carriage/],
    ['an empty address', { appVersion: 1, network: 'unix', address: '' }, /non-empty/],
    ['a fractional app version', { appVersion: 1.5, network: 'tcp', address: ':1' }, /integer/],
    ['a negative app version', { appVersion: -1, network: 'tcp', address: ':1' }, /non-negative/],
    ['an unknown network', { appVersion: 1, network: 'udp' as 'tcp', address: ':1' }, /unix" or "tcp/],
    ['netrpc', { appVersion: 1, network: 'tcp', address: ':1', protocol: 'netrpc' as 'grpc' }, /only the grpc/],
    ['a certificate hosts would ignore', { appVersion: 1, network: 'tcp', address: ':1', serverCertDer: cert(30) }, /too short/],
  ];
  for (const [name, fields, message] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => formatHandshake(fields), message));
  }
});

describe('parseHandshake: what a host accepts', () => {
  const offered = { offeredVersions: [5, 6] };

  it('parses a line without TLS', () => {
    assert.deepEqual(parseHandshake('1|6|unix|/tmp/plugin2851617041|grpc|\n', offered), {
      coreVersion: 1,
      appVersion: 6,
      network: 'unix',
      address: '/tmp/plugin2851617041',
      protocol: 'grpc',
      multiplex: false,
    });
  });

  it('trims whitespace and a trailing carriage return, as Go splits stdout lines', () => {
    for (const line of ['  1|5|tcp|127.0.0.1:10000|grpc|  ', '1|5|tcp|127.0.0.1:10000|grpc|\r', '\t1|5|tcp|127.0.0.1:10000|grpc|\r\n']) {
      const parsed = parseHandshake(line, offered);
      assert.equal(parsed.address, '127.0.0.1:10000');
      assert.equal(parsed.appVersion, 5);
    }
  });

  it('accepts five fields (no sixth separator) and ignores fields past the seventh', () => {
    assert.equal(parseHandshake('1|5|unix|/s|grpc', offered).protocol, 'grpc');
    assert.equal(parseHandshake('1|5|unix|/s|grpc||true|extra', offered).multiplex, false);
  });

  describe('field 1, core version: Go Atoi must give 1', () => {
    for (const core of ['1', '+1', '01', '+0001']) {
      it(`accepts ${JSON.stringify(core)}`, () => assert.equal(parseHandshake(`${core}|5|unix|/s|grpc|`, offered).coreVersion, 1));
    }
    for (const core of ['x', '1.0', '0x1', '1_0', '']) {
      it(`rejects ${JSON.stringify(core)} as unparsable`, () =>
        assert.match(parseError(`${core}|5|unix|/s|grpc|`, offered).message, /^error parsing core protocol version/));
    }
    for (const core of ['2', '0', '-1']) {
      it(`rejects ${core} as incompatible`, () =>
        assert.match(parseError(`${core}|5|unix|/s|grpc|`, offered).message, /^Incompatible core API version with plugin\. Plugin version: -?\d/));
    }
  });

  describe('field 2, app version: one the host offered', () => {
    it('accepts Go Atoi forms of an offered version', () => {
      assert.equal(parseHandshake('1|+6|unix|/s|grpc|', offered).appVersion, 6);
      assert.equal(parseHandshake('1|06|unix|/s|grpc|', offered).appVersion, 6);
    });
    it('rejects " 6": the line is trimmed, the fields are not', () =>
      assert.match(parseError('1| 6|unix|/s|grpc|', offered).message, /^Error parsing protocol version " 6"/));
    it('names the plugin version and the offered versions when they differ', () => {
      assert.equal(
        parseError('1|7|unix|/s|grpc|', { offeredVersions: [6, 5] }).message,
        'Incompatible API version with plugin. Plugin version: 7, Client versions: [5 6]',
      );
    });
  });

  describe('fields 3 and 4, network and address', () => {
    for (const address of ['127.0.0.1:10000', ':1234', '[::1]:1234', 'localhost:0']) {
      it(`accepts tcp ${address}`, () => assert.equal(parseHandshake(`1|5|tcp|${address}|grpc|`, offered).address, address));
    }
    for (const address of ['127.0.0.1', '127.0.0.1:70000', '::1:1234', '127.0.0.1:http']) {
      it(`rejects tcp ${address}`, () => assert.match(parseError(`1|5|tcp|${address}|grpc|`, offered).message, /not host:port/));
    }
    it('accepts any unix path, spaces included', () =>
      assert.equal(parseHandshake('1|5|unix|/tmp/my dir/plugin1|grpc|', offered).address, '/tmp/my dir/plugin1'));
    it('rejects an empty address', () => assert.match(parseError('1|5|unix||grpc|', offered).message, /empty unix address/));
    for (const network of ['udp', 'UNIX', 'npipe', '']) {
      it(`rejects network ${JSON.stringify(network)}`, () =>
        assert.match(parseError(`1|5|${network}|/s|grpc|`, offered).message, /^unknown address type: \/s/));
    }
  });

  describe('field 5, protocol', () => {
    it('treats a missing protocol as netrpc, which this host does not speak', () =>
      assert.match(parseError('1|5|unix|/s', offered).message, /speaks only grpc; the plugin offered netrpc/));
    for (const protocol of ['netrpc', 'GRPC', '']) {
      it(`rejects ${JSON.stringify(protocol)}`, () =>
        assert.match(parseError(`1|5|unix|/s|${protocol}|`, offered).message, /unsupported plugin protocol/));
    }
  });

  describe('field 6, the server certificate', () => {
    const der = cert(400);
    const unpadded = paddedBase64(der).replace(/=+$/, '');

    it('decodes unpadded base64 (what Go plugins print)', () => {
      assert.deepEqual(parseHandshake(`1|5|unix|/s|grpc|${unpadded}`, offered).serverCertDer, new Uint8Array(der));
    });
    it('also decodes padded base64 (what broken plugins print, docs/protocol.md#field-6-server-certificate)', () => {
      for (const length of [400, 401, 402]) {
        const bytes = cert(length);
        const parsed = parseHandshake(`1|5|unix|/s|grpc|${paddedBase64(bytes)}`, offered);
        assert.deepEqual(parsed.serverCertDer, new Uint8Array(bytes));
      }
    });
    it('ignores 50 characters or fewer, like go-plugin', () => {
      const parsed = parseHandshake(`1|5|unix|/s|grpc|${'A'.repeat(50)}`, offered);
      assert.equal(parsed.serverCertDer, undefined);
    });
    it('names the first bad byte of invalid base64', () => {
      const line = `1|5|unix|/s|grpc|${unpadded.slice(0, 60)}*${unpadded.slice(60)}`;
      assert.equal(parseError(line, offered).message, 'error parsing server cert: illegal base64 data at input byte 60');
    });
    it('rejects base64 that is not a DER certificate', () => {
      assert.match(parseError(`1|5|unix|/s|grpc|${'QUJD'.repeat(20)}`, offered).message, /^error parsing server cert: .*DER/);
    });
    it('requires a certificate when the host runs AutoMTLS', () => {
      const message = parseError('1|5|unix|/s|grpc|', { ...offered, expectCert: true }).message;
      assert.match(message, /ignored PLUGIN_CLIENT_CERT/);
    });
    it('refuses a certificate the host did not ask for (a Go host panics, docs/protocol.md#field-6-server-certificate)', () => {
      const message = parseError(`1|5|unix|/s|grpc|${unpadded}`, { ...offered, expectCert: false }).message;
      assert.match(message, /did not set PLUGIN_CLIENT_CERT/);
    });
    it('accepts either when expectCert is not given', () => {
      assert.ok(parseHandshake(`1|5|unix|/s|grpc|${unpadded}`, offered).serverCertDer);
      assert.equal(parseHandshake('1|5|unix|/s|grpc|', offered).serverCertDer, undefined);
    });
  });

  describe('field 7, multiplexing', () => {
    const requested = { ...offered, multiplexRequested: true };
    for (const value of ['true', '1', 't', 'T', 'TRUE', 'True']) {
      it(`accepts Go bool ${value} when requested`, () =>
        assert.equal(parseHandshake(`1|5|unix|/s|grpc||${value}`, requested).multiplex, true));
    }
    for (const value of ['false', '0', 'f', 'F', 'FALSE', 'False']) {
      it(`refuses Go bool ${value}: the plugin does not multiplex`, () =>
        assert.match(parseError(`1|5|unix|/s|grpc||${value}`, requested).message, /does not support gRPC broker multiplexing/));
    }
    for (const value of ['yes', 'tRUE', ' true', '']) {
      it(`rejects ${JSON.stringify(value)}, which is no Go bool`, () =>
        assert.match(parseError(`1|5|unix|/s|grpc||${value}`, requested).message, /as a boolean for gRPC broker multiplexing/));
    }
    it('refuses a line without field 7 when requested', () =>
      assert.match(parseError('1|5|unix|/s|grpc|', requested).message, /does not support gRPC broker multiplexing/));
    it('reports false when the host did not ask, whatever field 7 says', () =>
      assert.equal(parseHandshake('1|5|unix|/s|grpc||true', offered).multiplex, false));
  });

  describe('fewer than four fields: stdout noise before the handshake (docs/protocol.md#reading-the-line)', () => {
    for (const line of ['', 'Starting server on port 8080', '> my-plugin@1.0.0 start', '1|5|unix']) {
      it(`rejects ${JSON.stringify(line)} with go-plugin's message`, () => {
        const error = parseError(line, offered);
        assert.ok(error.message.startsWith(`Unrecognized remote plugin message: ${line.trim()}\n\n`));
        assert.match(error.message, /not compiled for this architecture/);
        assert.doesNotMatch(error.message, /Failed to read any lines/);
      });
    }
    it('adds that stdout ended when it did', () =>
      assert.match(parseError('', { ...offered, stdoutEnded: true }).message, /Failed to read any lines from plugin's stdout$/));
  });
});

describe('formatHandshake → parseHandshake round trip', () => {
  const pathChars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._- é+=:[]@';
  it('returns every field over 500 random handshakes', () => {
    for (let i = 0; i < 500; i++) {
      const appVersion = random.int(0, 1_000_000);
      const network = random.pick(['unix', 'tcp'] as const);
      const address =
        network === 'unix'
          ? `/${random.string(pathChars, 1, 90)}`
          : `${random.pick(['127.0.0.1', '', '[::1]', 'localhost'])}:${random.int(0, 65535)}`;
      const serverCertDer = random.next() < 0.5 ? cert(random.int(40, 1200)) : undefined;
      const multiplex = random.next() < 0.5;
      const line = formatHandshake({ appVersion, network, address, serverCertDer, multiplex });
      assert.ok(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, 'exactly one line');

      const parsed = parseHandshake(line, {
        offeredVersions: random.shuffle([appVersion, appVersion + 1, random.int(0, 9)]),
        expectCert: serverCertDer !== undefined,
        multiplexRequested: multiplex,
      });
      const expected: Record<string, unknown> = { coreVersion: 1, appVersion, network, address, protocol: 'grpc', multiplex };
      if (serverCertDer) expected.serverCertDer = serverCertDer;
      assert.deepEqual(parsed, expected, line);
    }
  });
});
