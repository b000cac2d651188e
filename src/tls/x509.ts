// Self-signed X.509 v3 certificates without openssl: go-plugin's AutoMTLS template by default
// (docs/protocol.md#certificate-template, after go-plugin's mtls.go), DER written by ./asn1.ts, key and
// signature from node:crypto.
import { createHash, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { toPem } from '../encoding/pem.js';
import {
  derBitString,
  derBoolean,
  derChildren,
  derExplicit,
  derIa5String,
  derImplicit,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derPrintableString,
  derRead,
  derSequence,
  derSet,
  derTime,
  derUtf8String,
  isPrintableString,
} from './asn1.js';

export type Curve = 'P-256' | 'P-384' | 'P-521';

export interface CertificateOptions {
  /** Default P-521, as go-plugin. */
  curve?: Curve;
  /** How long after now the certificate stays valid. Default 262 980 h (~30 years), as go-plugin. */
  validityHours?: number;
  /** notBefore lies this far in the past, for peers whose clocks run behind. Default 30 s, as go-plugin. */
  notBeforeSkewSeconds?: number;
  /** Default `localhost`. */
  commonName?: string;
  /** subjectAltName DNS names. Default `['localhost']`: go-plugin's peers verify the name `localhost`. */
  dnsNames?: string[];
}

export interface Certificate {
  /** PEM `CERTIFICATE`, 64-column lines, trailing newline (what go-plugin puts in PLUGIN_CLIENT_CERT). */
  certPem: string;
  /** PKCS#8 PEM `PRIVATE KEY`. Never leaves the process (docs/protocol.md#certificate-template). */
  keyPem: string;
  certDer: Uint8Array;
}

export const AUTO_MTLS_VALIDITY_HOURS = 262_980;
export const AUTO_MTLS_SKEW_SECONDS = 30;
const ORGANIZATION = 'HashiCorp';

/**
 * Go's crypto/x509 picks the hash from the curve (P-521: SHA-512, docs/protocol.md#certificate-template); parameters
 * stay absent (RFC 5758 §3.2).
 */
const SIGNATURE: Record<Curve, { hash: string; oid: string }> = {
  'P-256': { hash: 'sha256', oid: '1.2.840.10045.4.3.2' },
  'P-384': { hash: 'sha384', oid: '1.2.840.10045.4.3.3' },
  'P-521': { hash: 'sha512', oid: '1.2.840.10045.4.3.4' },
};

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyIdentifier: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5 } as const;

const generateKeyPairAsync = promisify(generateKeyPair);

export async function generateCertificate(options: CertificateOptions = {}): Promise<Certificate> {
  const curve = options.curve ?? 'P-521';
  const signature = SIGNATURE[curve];
  if (!signature) throw new TypeError(`curve must be P-256, P-384 or P-521, got ${String(curve)}`);
  const validityHours = options.validityHours ?? AUTO_MTLS_VALIDITY_HOURS;
  const skewSeconds = options.notBeforeSkewSeconds ?? AUTO_MTLS_SKEW_SECONDS;
  if (!(validityHours > 0)) throw new RangeError(`validityHours must be positive, got ${validityHours}`);
  if (!(skewSeconds >= 0)) throw new RangeError(`notBeforeSkewSeconds must be zero or more, got ${skewSeconds}`);
  const commonName = options.commonName ?? 'localhost';
  const dnsNames = options.dnsNames ?? ['localhost'];

  const { publicKey, privateKey } = await generateKeyPairAsync('ec', { namedCurve: curve });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  // As go-plugin: notBefore = now − 30 s, notAfter = now + 262 980 h (both from now, not from notBefore).
  const now = Date.now();
  const name = distinguishedName(commonName);
  const algorithm = derSequence(derOid(signature.oid));
  const tbs = derSequence(
    derExplicit(0, derInteger(2)), // v3
    derInteger(serialNumber()),
    algorithm,
    name, // issuer = subject: self-signed
    derSequence(derTime(new Date(now - skewSeconds * 1000)), derTime(new Date(now + validityHours * 3_600_000))),
    name,
    spki,
    derExplicit(3, derSequence(...extensions(spki, dnsNames))),
  );
  const signatureDer = sign(signature.hash, tbs, { key: privateKey, dsaEncoding: 'der' });
  const certDer = derSequence(tbs, algorithm, derBitString(signatureDer));
  return { certPem: toPem('CERTIFICATE', certDer), keyPem: pkcs8Pem(privateKey), certDer };
}

/**
 * 128 random bits as go-plugin, kept positive (RFC 5280 §4.1.2.2): never zero, and derInteger adds the
 * 0x00 octet when the top bit is set.
 */
function serialNumber(): bigint {
  for (;;) {
    const serial = BigInt(`0x${randomBytes(16).toString('hex')}`);
    if (serial !== 0n) return serial;
  }
}

/** O=HashiCorp, CN=<name>: two RDNs, O first, in Go's pkix.Name order. */
function distinguishedName(commonName: string): Uint8Array {
  return derSequence(attribute(OID.organization, ORGANIZATION), attribute(OID.commonName, commonName));
}

/** Go's encoding/asn1 writes a PrintableString when it can, else a UTF8String. */
function attribute(oid: string, value: string): Uint8Array {
  const text = isPrintableString(value) ? derPrintableString(value) : derUtf8String(value);
  return derSet(derSequence(derOid(oid), text));
}

/** In the order Go's crypto/x509 emits them; no authorityKeyIdentifier, which Go omits when self-signed. */
function extensions(spki: Uint8Array, dnsNames: string[]): Uint8Array[] {
  const list = [
    extension(
      OID.keyUsage,
      true,
      derNamedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment, KEY_USAGE.keyAgreement, KEY_USAGE.keyCertSign]),
    ),
    extension(OID.extKeyUsage, false, derSequence(derOid(OID.clientAuth), derOid(OID.serverAuth))),
    // CA:TRUE and no pathLenConstraint; Go marks basicConstraints critical.
    extension(OID.basicConstraints, true, derSequence(derBoolean(true))),
    extension(OID.subjectKeyIdentifier, false, derOctetString(subjectKeyIdentifier(spki))),
  ];
  if (dnsNames.length > 0) {
    // GeneralName dNSName is [2] IMPLICIT IA5String (RFC 5280 §4.2.1.6). Not critical: the subject is not empty.
    list.push(extension(OID.subjectAltName, false, derSequence(...dnsNames.map((dns) => derImplicit(2, derIa5String(dns))))));
  }
  return list;
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  // DER leaves out a BOOLEAN that equals its DEFAULT FALSE (X.690 §11.5).
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
}

/**
 * RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value (no tag, length or
 * unused-bits octet), as Go before 1.25 and go-plugin's doc. Go 1.25+ takes the first 160 bits of
 * SHA-256 instead (RFC 7093); verifiers only compare it, so either works.
 */
function subjectKeyIdentifier(spki: Uint8Array): Uint8Array {
  const [, keyBits] = derChildren(derRead(spki).contents);
  if (!keyBits || keyBits.tag !== 0x03) throw new Error('the exported SubjectPublicKeyInfo has no public key BIT STRING');
  return createHash('sha1').update(keyBits.contents.subarray(1)).digest();
}

function pkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}
