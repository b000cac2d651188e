// Shared by the mutual-TLS tests: one POST over a channel, an echoing stream handler, and a raw TLS dial
// that reports whether a server accepted the client certificate.
import assert from 'node:assert/strict';
import type { ServerHttp2Stream } from 'node:http2';
import tls, { type TLSSocket } from 'node:tls';
import type { Channel } from '../../../src/http2/channel.ts';
import { nodeTlsClientOptions } from '../../../src/http2/node-tls.ts';
import type { TlsClientOptions } from '../../../src/http2/tls-options.ts';

/** One POST: resolves with the status and the echoed body, rejects if TLS or HTTP/2 fails. */
export async function post(channel: Channel, body: string): Promise<{ status: number; body: string }> {
  const session = await channel.session();
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/echo' });
    channel.track(stream);
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
    stream.on('error', reject);
    stream.on('close', () => {
      if (stream.rstCode) reject(new Error(`stream reset with code ${stream.rstCode}`));
    });
    stream.end(body);
  });
}

export function echo(seen: string[]) {
  return (stream: ServerHttp2Stream) => {
    const peer = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate();
    seen.push(peer?.fingerprint256 ?? '');
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end(`${stream.session?.alpnProtocol}:${Buffer.concat(chunks).toString()}`);
    });
  };
}

export async function refused(channel: Channel): Promise<void> {
  try {
    await assert.rejects(post(channel, 'x'));
  } finally {
    await channel.close();
  }
}

/** HTTP/2 connection preface and an empty SETTINGS frame: a server that accepted the client answers with its SETTINGS. */
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/**
 * Dials with the same node:tls options a channel uses and reports whether the server spoke HTTP/2 or
 * what refused the connection. Under TLS 1.3 the client's handshake completes before the server
 * checks the client certificate, so the refusal is an alert read after 'secureConnect'.
 */
export function dial(where: { path: string } | { host: string; port: number }, options: TlsClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ ...where, ...nodeTlsClientOptions(options, 'localhost') });
    const done = (outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('no answer within 5 s'), 5_000);
    socket.once('secureConnect', () => socket.write(PREFACE));
    socket.once('data', () => done('accepted'));
    socket.once('error', (err) => done(`refused: ${err.message}`));
    socket.once('end', () => done('refused: the server closed the connection'));
  });
}

