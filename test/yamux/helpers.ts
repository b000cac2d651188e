// A yamux session of ours against the Go peer (test/go/yamux-peer) over a unix socket.
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { createYamuxSession as createSession, type YamuxSessionOptions as SessionOptions, type YamuxSession } from '../../src/yamux/index.js';
import { startGo, type GoProcess } from '../helpers/go-peers.js';
import { yamuxPeer } from './go-yamux-peer.js';

export interface GoPair {
  session: YamuxSession;
  peer: GoProcess;
  close(): Promise<void>;
}

/** Starts the Go peer in `scenario` with the other role and runs our session on its connection. */
export async function withGoPeer(
  ourRole: 'client' | 'server',
  scenario: string,
  args: string[] = [],
  options: Partial<SessionOptions> & { chop?: boolean } = {},
): Promise<GoPair> {
  const dir = mkdtempSync(join(tmpdir(), 'yamux-'));
  const path = join(dir, 's');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const goRole = ourRole === 'client' ? 'server' : 'client';
  const peer = startGo(yamuxPeer(), ['-addr', path, '-role', goRole, '-scenario', scenario, ...args], { timeoutMs: 90_000 });
  const conn = await connected;
  server.close();
  const session = createSession(options.chop ? chopped(conn) : conn, { role: ourRole, ...options });
  await peer.waitForStep('ready');
  return {
    session,
    peer,
    async close() {
      await session.close();
      peer.kill('SIGKILL');
      await peer.result;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** The bytes test/go/yamux-peer's pattern() makes. */
export function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = ((i * 31) & 0xff) ^ seed;
  return b;
}

/** Writes `data` in pieces of varying size, waiting on each callback; resolves with the bytes sent. */
export async function writeInPieces(stream: Duplex, data: Buffer, sizes: number[], onSent?: (total: number) => void): Promise<void> {
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const n = Math.min(sizes[i++ % sizes.length]!, data.length - at);
    const piece = data.subarray(at, at + n);
    at += n;
    await new Promise<void>((resolve, reject) => stream.write(piece, (err) => (err ? reject(err) : resolve())));
    onSent?.(at);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `conn` with what it reads re-cut into pieces of 1, 2, 3, ... 13 bytes, so every frame from the Go
 * peer is split at every kind of boundary: inside headers, between header and payload, inside payloads.
 */
export function chopped(conn: Duplex): Duplex {
  let size = 0;
  const wrapper: Duplex = new Duplex({
    read() {
      conn.resume();
    },
    write(chunk, _encoding, callback) {
      conn.write(chunk, callback);
    },
    final(callback) {
      conn.end(callback);
    },
    destroy(err, callback) {
      conn.destroy();
      callback(err);
    },
  });
  conn.on('data', (chunk: Buffer) => {
    let full = false;
    for (let at = 0; at < chunk.length; ) {
      size = (size % 13) + 1;
      full = !wrapper.push(chunk.subarray(at, at + size)) || full;
      at += size;
    }
    if (full) conn.pause();
  });
  conn.on('end', () => wrapper.push(null));
  conn.on('error', (err) => wrapper.destroy(err));
  conn.on('drain', () => wrapper.emit('drain'));
  return wrapper;
}
