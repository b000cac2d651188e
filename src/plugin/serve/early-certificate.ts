// AutoMTLS's certificate, started when the package is evaluated if the host asked for TLS: its P-521
// key pair is made on libuv's thread pool while the main thread is still loading modules, parsing
// .proto files and registering services (see README, Shipping a plugin: start-up).
import { generateCertificate as newCertificate, type Certificate, type CertificateOptions } from '../../tls/x509.js';
import { PLUGIN_CLIENT_CERT } from '../env.js';

let early: Promise<Certificate> | undefined = process.env[PLUGIN_CLIENT_CERT] ? newCertificate() : undefined;
early?.catch(() => {}); // a failure surfaces where it is taken

/** generateCertificate(), handing out the certificate started at evaluation once, when no options differ. */
export function generateCertificate(options?: CertificateOptions): Promise<Certificate> {
  const taken = options === undefined ? early : undefined;
  if (taken) early = undefined;
  return taken ?? newCertificate(options);
}
