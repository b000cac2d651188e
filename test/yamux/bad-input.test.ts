// A peer that breaks the yamux rules: the session answers GoAway(protocol error) and closes, while
// other sessions in the same process, and new connections, go on working.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createYamuxSession as createSession, type YamuxSession } from '../../src/yamux/index.js';
import { decodeHeader, encodeHeader, Flag, FrameType, GoAwayCode } from '../../src/yamux/frame.js';
import { readAll } from './helpers.js';

describe('yamux bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yamux-bad-'));
  const path = join(dir, 's');
  const sessions: YamuxSession[] = [];
  const server = net.createServer((conn) => {
    // An echo server: every stream a client opens is echoed.
    sessions.push(createSession(conn, { role: 'server', onStream: (s) => s.pipe(s) }));
  });
  let healthy: YamuxSession;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(path, resolve));
    healthy = createSession(net.connect(path), { role: 'client' });
  });
  after(async () => {
    await healthy.close();
    for (const s of sessions) await s.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends raw bytes on a new connection; resolves with what came back until the server closed it. */
  function sendRaw(bytes: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path, () => socket.write(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('the server did not close the connection within 5 s')), 5000).unref();
    });
  }

  function lastGoAway(reply: Buffer): number | undefined {
    let code: number | undefined;
    for (let at = 0; at + 12 <= reply.length; ) {
      const h = decodeHeader(reply, at);
      if (h.type === FrameType.GoAway) code = h.length;
      at += 12 + (h.type === FrameType.Data ? h.length : 0);
    }
    return code;
  }

  async function stillServing(): Promise<void> {
    const stream = healthy.open();
    const echoed = readAll(stream);
    stream.end(Buffer.alloc(300_000, 1));
    assert.equal((await echoed).length, 300_000);
    const fresh = createSession(net.connect(path), { role: 'client' });
    assert.ok((await fresh.ping()) >= 0);
    await fresh.close();
  }

  const cases: Array<[string, Buffer]> = [
    ['an unknown version', Buffer.from([1, FrameType.Ping, 0, Flag.SYN, 0, 0, 0, 0, 0, 0, 0, 1])],
    ['an unknown frame type', Buffer.from([0, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])],
    [
      'a data frame beyond the 256 KiB window',
      Buffer.concat([encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeHeader(FrameType.Data, 0, 1, 256 * 1024 + 1), Buffer.alloc(256 * 1024 + 1)]),
    ],
    ['a window update past 2^32-1', Buffer.concat([encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeHeader(FrameType.WindowUpdate, 0, 1, 0xffffffff)])],
    ['a stream id reused while open', Buffer.concat([encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0)])],
    ['a client opening an even (server) stream id', encodeHeader(FrameType.WindowUpdate, Flag.SYN, 2, 0)],
    ['a second FIN', Buffer.concat([encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeHeader(FrameType.WindowUpdate, Flag.FIN, 1, 0), encodeHeader(FrameType.WindowUpdate, Flag.FIN, 1, 0)])],
  ];
  for (const [what, bytes] of cases) {
    it(`${what}: GoAway(protocol error), connection closed, the process keeps serving`, async () => {
      const reply = await sendRaw(bytes);
      assert.equal(lastGoAway(reply), GoAwayCode.ProtocolError, `reply ${reply.toString('hex')}`);
      await stillServing();
    });
  }

  it('a header cut into single bytes, slowly, is still read', async () => {
    const socket = net.connect(path);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const ping = encodeHeader(FrameType.Ping, Flag.SYN, 0, 77);
    for (const byte of ping) {
      socket.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 5));
    }
    const reply = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    assert.deepEqual(decodeHeader(reply), { version: 0, type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: 77 });
    socket.destroy();
  });
});

describe('yamux peers that stop answering', () => {
  it('a peer that never answers our keepalive Ping: the session ends with a keepalive error', async () => {
    const [a, b] = await socketPair();
    b.on('data', () => {}); // reads everything, answers nothing
    const session = createSession(a, { role: 'client', keepAliveIntervalMs: 50, pingTimeoutMs: 100 });
    const reason = await session.done;
    assert.match(String(reason?.message), /keepalive failed/);
    assert.equal(session.closed, true);
    b.destroy();
  });

  it('a peer that never acknowledges a stream we open: the session ends after the open timeout', async () => {
    const [a, b] = await socketPair();
    b.on('data', () => {});
    const session = createSession(a, { role: 'client', keepAliveIntervalMs: false, streamOpenTimeoutMs: 150 });
    const stream = session.open();
    stream.on('error', () => {});
    const reason = await session.done;
    assert.match(String(reason?.message), /did not acknowledge yamux stream 1 within 150 ms/);
    b.destroy();
  });
});

describe('yamux between two of our sessions', () => {
  it('half-close: our FIN ends the peer reader while it can still answer; GoAway refuses new streams with RST', async () => {
    const [a, b] = await socketPair();
    let accept!: (s: import('../../src/yamux/index.js').YamuxStream) => void;
    const accepted = new Promise<import('../../src/yamux/index.js').YamuxStream>((r) => (accept = r));
    const client = createSession(a, { role: 'client' });
    const server = createSession(b, { role: 'server', onStream: (s) => accept(s) });
    const stream = client.open();
    stream.end('question');
    const other = await accepted;
    assert.equal((await readAll(other)).toString(), 'question');
    other.end('answer');
    assert.equal((await readAll(stream)).toString(), 'answer');
    server.goAway();
    await client.ping();
    assert.throws(() => client.open(), /GoAway/);
    await client.close();
    assert.equal(await server.done, undefined);
  });

  it('streams beyond the accept backlog are reset; accept() takes the queued ones in order', async () => {
    const [a, b] = await socketPair();
    const client = createSession(a, { role: 'client' });
    const server = createSession(b, { role: 'server', acceptBacklog: 2 });
    const streams = [client.open(), client.open(), client.open()];
    const third = new Promise<NodeJS.ErrnoException>((r) => streams[2]!.once('error', r));
    assert.equal((await third).code, 'ECONNRESET');
    assert.equal((await server.accept()).id, 1);
    assert.equal((await server.accept()).id, 3);
    await client.close();
    await assert.rejects(server.accept());
  });
});

function socketPair(): Promise<[net.Socket, net.Socket]> {
  return new Promise((resolve) => {
    const server = net.createServer((b) => {
      server.close();
      resolve([a, b]);
    });
    let a: net.Socket;
    server.listen(0, '127.0.0.1', () => {
      a = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    });
  });
}
