import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate, type Curve } from '../../../src/tls/index.ts';
import { derChildren, derRead } from '../../../src/tls/asn1.ts';

const HOUR_MS = 3_600_000;
const GO_PLUGIN_VALIDITY_HOURS = 262_980;

function openssl(args: string[], input?: string | Uint8Array): string {
  const result = spawnSync('openssl', args, { input, encoding: 'utf8' });
  assert.equal(result.error, undefined, 'openssl must be installed for these tests (apt-get install openssl)');
  assert.equal(result.status, 0, `openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** The TBSCertificate's children, to check what tools would not print (field order, string types). */
function tbsFields(der: Uint8Array) {
  const [tbs] = derChildren(derRead(der).contents);
  return derChildren(tbs!.contents);
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tls-x509-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the default certificate is go-plugin's AutoMTLS template (docs/protocol.md#certificate-template)", () => {
  let made: Awaited<ReturnType<typeof generateCertificate>>;
  let startedAt: number;
  let x509: X509Certificate;
  let certPath: string;

  before(async () => {
    startedAt = Date.now();
    made = await generateCertificate();
    x509 = new X509Certificate(made.certPem);
    certPath = join(dir, 'default.pem');
    writeFileSync(certPath, made.certPem);
  });

  it('PEM and DER describe the same certificate, PEM in 64-column lines with a trailing newline', () => {
    assert.deepEqual(new Uint8Array(x509.raw), made.certDer);
    assert.match(made.certPem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
    assert.match(made.keyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  });

  it('subject = issuer = O=HashiCorp, CN=localhost; SAN DNS:localhost only', () => {
    assert.equal(x509.subject, 'O=HashiCorp\nCN=localhost');
    assert.equal(x509.issuer, x509.subject);
    assert.equal(x509.subjectAltName, 'DNS:localhost');
    assert.equal(x509.checkHost('localhost'), 'localhost');
    assert.equal(x509.checkIP('127.0.0.1'), undefined);
  });

  it('names are PrintableStrings, as Go writes them', () => {
    const subject = tbsFields(made.certDer)[5]!;
    const stringTags = derChildren(subject.contents).map((rdn) => {
      const [attribute] = derChildren(rdn.contents);
      return derChildren(attribute!.contents)[1]!.tag;
    });
    assert.deepEqual(stringTags, [0x13, 0x13]);
  });

  it('notBefore ≈ now − 30 s and notAfter ≈ now + 262 980 h (~30 years)', () => {
    const notBefore = Date.parse(x509.validFrom);
    const notAfter = Date.parse(x509.validTo);
    // Whole seconds in the certificate, so allow a second either way.
    assert.ok(notBefore >= startedAt - 31_000 && notBefore <= Date.now() - 29_000, `notBefore ${x509.validFrom}`);
    const expectedAfter = startedAt + GO_PLUGIN_VALIDITY_HOURS * HOUR_MS;
    assert.ok(Math.abs(notAfter - expectedAfter) < 5_000, `notAfter ${x509.validTo}`);
    assert.ok(new Date(notAfter).getUTCFullYear() >= 2050);
  });

  it('notAfter past 2049 is a GeneralizedTime and notBefore a UTCTime (RFC 5280 §4.1.2.5)', () => {
    const validity = tbsFields(made.certDer)[4]!;
    assert.deepEqual(derChildren(validity.contents).map((time) => time.tag), [0x17, 0x18]);
  });

  it('serial is positive and at most 128 bits', () => {
    const serial = BigInt(`0x${x509.serialNumber}`);
    assert.ok(serial > 0n);
    assert.ok(serial < 1n << 128n);
    const encoded = tbsFields(made.certDer)[1]!;
    assert.equal(encoded.tag, 0x02);
    assert.ok(encoded.contents.length <= 17);
    assert.equal(encoded.contents[0]! & 0x80, 0, 'a positive INTEGER has its top bit clear');
  });

  it('is a CA, matches its key and verifies with its own public key', () => {
    assert.equal(x509.ca, true);
    assert.equal(x509.checkPrivateKey(createPrivateKey(made.keyPem)), true);
    assert.equal(x509.verify(x509.publicKey), true);
    assert.equal(x509.verify(createPublicKey(made.keyPem)), true);
  });

  it('the private key is P-521', () => {
    const key = createPrivateKey(made.keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'secp521r1');
  });

  it('openssl x509 -text shows every template field', () => {
    const text = openssl(['x509', '-in', certPath, '-noout', '-text']);
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.equal(text.match(/Signature Algorithm: ecdsa-with-SHA512/g)?.length, 2);
    assert.match(text, /Issuer: O ?= ?HashiCorp, CN ?= ?localhost/);
    assert.match(text, /Subject: O ?= ?HashiCorp, CN ?= ?localhost/);
    assert.match(text, /Public-Key: \(521 bit\)/);
    assert.match(text, /ASN1 OID: secp521r1/);
    assert.match(text, /NIST CURVE: P-521/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Key Agreement, Certificate Sign\n/);
    assert.match(text, /X509v3 Extended Key Usage: ?\n\s+TLS Web Client Authentication, TLS Web Server Authentication\n/);
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    assert.match(text, /X509v3 Subject Key Identifier: ?\n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}\n/);
    assert.match(text, /X509v3 Subject Alternative Name: ?\n\s+DNS:localhost\n/);
    assert.doesNotMatch(text, /Authority Key Identifier/);
    assert.doesNotMatch(text, /IP Address/);
  });

  it('extensions come in Go order: keyUsage, extKeyUsage, basicConstraints, SKI, SAN', () => {
    const extensions = tbsFields(made.certDer)[7]!;
    const [list] = derChildren(extensions.contents);
    const oids = derChildren(list!.contents).map((ext) => Buffer.from(derChildren(ext.contents)[0]!.contents).toString('hex'));
    assert.deepEqual(oids, ['551d0f', '551d25', '551d13', '551d0e', '551d11']);
  });

  it('subjectKeyIdentifier is the SHA-1 of the public key bits (RFC 5280 §4.2.1.2 method 1)', () => {
    const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
    const keyBits = derChildren(derRead(spki).contents)[1]!.contents.subarray(1);
    const expected = createHash('sha1').update(keyBits).digest('hex').toUpperCase().match(/../g)!.join(':');
    const text = openssl(['x509', '-in', certPath, '-noout', '-ext', 'subjectKeyIdentifier']);
    assert.match(text, new RegExp(expected));
  });

  it('openssl verify accepts it as its own trust anchor, for TLS client and server use', () => {
    assert.match(openssl(['verify', '-CAfile', certPath, certPath]), /: OK\n/);
    assert.match(openssl(['verify', '-purpose', 'sslserver', '-CAfile', certPath, certPath]), /: OK\n/);
    assert.match(openssl(['verify', '-purpose', 'sslclient', '-CAfile', certPath, certPath]), /: OK\n/);
  });

  it('openssl asn1parse -strictpem reads the whole PEM', () => {
    const help = spawnSync('openssl', ['asn1parse', '-help'], { encoding: 'utf8' });
    const strict = /-strictpem/.test(help.stdout + help.stderr) ? ['-strictpem'] : [];
    const out = openssl(['asn1parse', ...strict, '-in', certPath]);
    assert.match(out, /OBJECT\s+:ecdsa-with-SHA512/);
    assert.match(out, /OBJECT\s+:secp521r1/);
    assert.match(out, /GENERALIZEDTIME/);
  });

  it('serials with the top bit set get a 0x00 octet and stay positive', async () => {
    // Half of all random serials have bit 127 set; 16 certificates miss that case once in 65 536 runs.
    const serials = await Promise.all(Array.from({ length: 16 }, () => generateCertificate({ curve: 'P-256' })));
    const encodings = serials.map((made) => tbsFields(made.certDer)[1]!.contents);
    assert.ok(encodings.some((bytes) => bytes.length === 17 && bytes[0] === 0 && bytes[1]! >= 0x80));
    for (const made of serials) {
      const serial = BigInt(`0x${new X509Certificate(made.certPem).serialNumber}`);
      assert.ok(serial > 0n && serial < 1n << 128n);
    }
  });

  it('two certificates never share a key or a serial', async () => {
    const other = new X509Certificate((await generateCertificate()).certPem);
    assert.notEqual(other.serialNumber, x509.serialNumber);
    assert.notEqual(other.fingerprint256, x509.fingerprint256);
    assert.equal(other.verify(x509.publicKey), false);
  });
});

describe('each curve signs with the hash Go picks for it', () => {
  const cases: Array<[Curve, string, string, number]> = [
    ['P-256', 'prime256v1', 'ecdsa-with-SHA256', 256],
    ['P-384', 'secp384r1', 'ecdsa-with-SHA384', 384],
    ['P-521', 'secp521r1', 'ecdsa-with-SHA512', 521],
  ];
  for (const [curve, opensslName, algorithm, bits] of cases) {
    it(`${curve}: ${algorithm}, ${opensslName}`, async () => {
      const made = await generateCertificate({ curve });
      const path = join(dir, `${curve}.pem`);
      writeFileSync(path, made.certPem);
      const text = openssl(['x509', '-in', path, '-noout', '-text']);
      assert.equal(text.match(new RegExp(`Signature Algorithm: ${algorithm}`, 'g'))?.length, 2);
      assert.match(text, new RegExp(`Public-Key: \\(${bits} bit\\)`));
      assert.match(text, new RegExp(`ASN1 OID: ${opensslName}`));
      assert.match(text, new RegExp(`NIST CURVE: ${curve}`));
      assert.match(openssl(['verify', '-CAfile', path, path]), /: OK\n/);
      const x509 = new X509Certificate(made.certPem);
      assert.equal(x509.verify(x509.publicKey), true);
      assert.equal(x509.checkPrivateKey(createPrivateKey(made.keyPem)), true);
      assert.equal(createPrivateKey(made.keyPem).asymmetricKeyDetails?.namedCurve, opensslName);
    });
  }

  it('refuses an unknown curve with a clear error', async () => {
    await assert.rejects(generateCertificate({ curve: 'P-224' as Curve }), /curve must be P-256, P-384 or P-521/);
  });
});

describe('options', () => {
  it('commonName, dnsNames, validityHours and notBeforeSkewSeconds shape the certificate', async () => {
    const startedAt = Date.now();
    const made = await generateCertificate({ curve: 'P-256', commonName: 'plugin.test', dnsNames: ['a.test', 'b.test'], validityHours: 2, notBeforeSkewSeconds: 600 });
    const x509 = new X509Certificate(made.certPem);
    assert.equal(x509.subject, 'O=HashiCorp\nCN=plugin.test');
    assert.equal(x509.subjectAltName, 'DNS:a.test, DNS:b.test');
    assert.ok(Math.abs(Date.parse(x509.validFrom) - (startedAt - 600_000)) < 2_000, x509.validFrom);
    assert.ok(Math.abs(Date.parse(x509.validTo) - (startedAt + 2 * HOUR_MS)) < 2_000, x509.validTo);
    // Both before 2050: two UTCTimes.
    assert.deepEqual(derChildren(tbsFields(made.certDer)[4]!.contents).map((time) => time.tag), [0x17, 0x17]);
  });

  it('a common name outside PrintableString becomes a UTF8String, as in Go', async () => {
    const made = await generateCertificate({ curve: 'P-256', commonName: 'plug_in ü' });
    const x509 = new X509Certificate(made.certPem);
    assert.equal(x509.subject, 'O=HashiCorp\nCN=plug_in ü');
    const subject = tbsFields(made.certDer)[5]!;
    const cn = derChildren(derChildren(subject.contents)[1]!.contents)[0]!;
    assert.equal(derChildren(cn.contents)[1]!.tag, 0x0c);
  });

  it('no dnsNames means no subjectAltName extension', async () => {
    const made = await generateCertificate({ curve: 'P-256', dnsNames: [] });
    assert.equal(new X509Certificate(made.certPem).subjectAltName, undefined);
  });

  it('rejects a non-positive validity and a negative skew', async () => {
    await assert.rejects(generateCertificate({ validityHours: 0 }), RangeError);
    await assert.rejects(generateCertificate({ notBeforeSkewSeconds: -1 }), RangeError);
  });
});
