import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http2 from 'node:http2';
import type { ServerHttp2Stream } from 'node:http2';
import { listen } from '../../../src/http2/listener.js';
import { createChannel } from '../../../src/http2/channel.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'h2-listener-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function echo(stream: ServerHttp2Stream): void {
  stream.respond({ ':status': 200 });
  stream.pipe(stream);
}

function request(session: http2.ClientHttp2Session, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/echo' });
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve(text));
    stream.end(body);
  });
}

describe('listen: h2c on unix sockets and TCP', () => {
  it('binds port 0 to a free port and reports it', async () => {
    const listener = await listen('127.0.0.1:0', { onStream: echo });
    try {
      assert.equal(listener.address.kind, 'tcp');
      assert.ok(listener.address.kind === 'tcp' && listener.address.port > 0);
      const channel = createChannel(listener.address);
      assert.equal(await request(await channel.session(), 'over tcp'), 'over tcp');
      await channel.close();
    } finally {
      await listener.close(0);
    }
  });

  it('serves a unix socket and removes the socket file on close', async () => {
    const path = join(dir, 'echo.sock');
    const listener = await listen(`unix:${path}`, { onStream: echo });
    assert.ok(existsSync(path));
    const channel = createChannel(`unix:${path}`);
    assert.equal(await request(await channel.session(), 'over uds'), 'over uds');
    await channel.close();
    await listener.close(0);
    assert.equal(existsSync(path), false);
  });

  it('reports an address in use as a sentence naming the address', async () => {
    const first = await listen('127.0.0.1:0', { onStream: echo });
    try {
      const port = first.address.kind === 'tcp' ? first.address.port : 0;
      await assert.rejects(listen(`127.0.0.1:${port}`, { onStream: echo }), /cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
    } finally {
      await first.close(0);
    }
  });
});

describe('Http2Listener.close: finishes with idle peers (Node 20 server.close() never does)', () => {
  it('closes an idle connected session long before the grace period', async () => {
    const path = join(dir, 'idle.sock');
    const listener = await listen(`unix:${path}`, { onStream: echo });
    const channel = createChannel(`unix:${path}`);
    const session = await channel.session();
    assert.equal(await request(session, 'x'), 'x');
    assert.equal(listener.sessions, 1);
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
    const started = Date.now();
    await listener.close(60_000);
    assert.ok(Date.now() - started < 30_000, 'close waited for the grace period');
    assert.equal(listener.sessions, 0);
    assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
    await channel.close();
  });

  it('lets an in-flight stream finish before closing', async () => {
    const path = join(dir, 'inflight.sock');
    let arrived!: (answer: () => void) => void;
    const streamArrived = new Promise<() => void>((resolve) => (arrived = resolve));
    const listener = await listen(`unix:${path}`, {
      onStream(stream) {
        stream.respond({ ':status': 200 });
        stream.resume();
        arrived(() => stream.end('late answer'));
      },
    });
    const channel = createChannel(`unix:${path}`);
    const reply = request(await channel.session(), 'q');
    const answer = await streamArrived;
    let closed = false;
    const closing = listener.close(60_000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed, false, 'close() returned while a stream was still open');
    answer();
    assert.equal(await reply, 'late answer');
    await closing;
    await channel.close();
  });

  it('destroys sessions whose streams outlive the grace period', async () => {
    const path = join(dir, 'stuck.sock');
    const listener = await listen(`unix:${path}`, {
      onStream(stream) {
        stream.respond({ ':status': 200 });
        stream.resume();
      },
    });
    const channel = createChannel(`unix:${path}`);
    const session = await channel.session();
    const stream = session.request({ ':method': 'POST', ':path': '/never' });
    stream.on('error', () => {});
    stream.resume();
    const streamClosed = new Promise<void>((resolve) => stream.on('close', () => resolve()));
    await new Promise<void>((resolve) => stream.once('response', () => resolve()));
    await listener.close(100);
    await streamClosed;
    assert.equal(listener.sessions, 0);
    await channel.close();
  });
});
