// AutoMTLS's certificate, started when the package is evaluated if the host asked for TLS: its P-521
// key pair is made on libuv's thread pool while the main thread is still loading modules, parsing
// .proto files and registering services (see README, Shipping a plugin: start-up).
import { generateCertificate, type Certificate } from '../tls/x509.js';
import { PLUGIN_CLIENT_CERT } from './env.js';

let early: Promise<Certificate> | undefined = process.env[PLUGIN_CLIENT_CERT] ? generateCertificate() : undefined;
early?.catch(() => {}); // a failure surfaces where it is taken

/** The certificate started at evaluation, once, when serving with process.env as it was then. */
export function takeEarlyCertificate(env: Record<string, string | undefined>): Promise<Certificate> | undefined {
  if (env !== process.env) return undefined;
  const taken = early;
  early = undefined;
  return taken;
}
