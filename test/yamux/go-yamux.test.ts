// Our yamux against github.com/hashicorp/yamux v0.1.2 (test/go/yamux-peer), in both roles.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { YamuxStream } from '../../src/yamux/index.js';
import { delay, pattern, readAll, withGoPeer, writeInPieces } from './helpers.js';

describe('yamux with hashicorp/yamux: many streams and large writes', () => {
  it('40 streams we open, 70,001 to 109,001 bytes each in odd pieces, echoed by Go', async () => {
    const pair = await withGoPeer('client', 'echo');
    try {
      const results = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const stream = pair.session.open();
          assert.equal(stream.id % 2, 1, 'client stream ids are odd');
          const data = pattern(70_001 + i * 1000, i);
          const echoed = readAll(stream);
          await writeInPieces(stream, data, [1, 12, 13, 4095, 65_537, 11, 30_000]);
          stream.end();
          return { data, got: await echoed };
        }),
      );
      for (const { data, got } of results) assert.ok(got.equals(data), `echo of ${data.length} bytes differs (${got.length} back)`);
      const echoed = await pair.peer.waitForLine((l) => l.step === 'echoed' && pair.peer.lines.filter((x) => x.step === 'echoed').length === 40);
      assert.equal(echoed.step, 'echoed');
    } finally {
      await pair.close();
    }
  });

  it("every frame from Go cut into 1- to 13-byte reads: 8 streams of 70,001+ bytes still echo intact", async () => {
    const pair = await withGoPeer('client', 'echo', [], { chop: true });
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const stream = pair.session.open();
          const data = pattern(70_001 + i * 4099, i + 100);
          const echoed = readAll(stream);
          await writeInPieces(stream, data, [70_001, 3, 65_536]);
          stream.end();
          return { data, got: await echoed };
        }),
      );
      for (const { data, got } of results) assert.ok(got.equals(data), `echo of ${data.length} bytes differs (${got.length} back)`);
      assert.ok((await pair.session.ping()) >= 0);
    } finally {
      await pair.close();
    }
  });

  it('20 streams Go opens (even ids), 300,000 bytes each in 7,001-byte writes, echoed by us', async () => {
    const ids: number[] = [];
    const pair = await withGoPeer('server', 'open', ['-streams', '20', '-size', '300000'], {
      onStream(stream: YamuxStream) {
        ids.push(stream.id);
        stream.pipe(stream);
      },
    });
    try {
      const done = await pair.peer.waitForStep('open done', 60_000);
      assert.deepEqual({ streams: done.streams, bad: done.bad }, { streams: 20, bad: 0 });
      assert.equal(ids.length, 20);
      assert.ok(ids.every((id) => id % 2 === 1), 'Go as client opens odd ids');
    } finally {
      await pair.close();
    }
  });
});

describe('yamux with hashicorp/yamux: flow control', () => {
  it('a slow Go reader stops our writes at the 256 KiB window, then gets every byte', async () => {
    const pair = await withGoPeer('client', 'slow-read');
    try {
      const stream = pair.session.open();
      const data = pattern(1024 * 1024, 5);
      let sent = 0;
      let sentBeforeRead = -1;
      void pair.peer.waitForStep('reading').then(() => (sentBeforeRead = sent));
      await writeInPieces(stream, data, [16_384], (total) => (sent = total));
      stream.end();
      const read = await pair.peer.waitForStep('read', 30_000);
      assert.ok(sentBeforeRead >= 0);
      assert.ok(sentBeforeRead <= 256 * 1024, `${sentBeforeRead} bytes went out before Go read: more than its window`);
      assert.ok(sentBeforeRead >= 256 * 1024 - 16_384, `only ${sentBeforeRead} bytes went out: the window was not used`);
      assert.equal(read.bytes, data.length);
      assert.equal(read.sha256, createHash('sha256').update(data).digest('hex'));
      assert.equal(read.error, '<nil>');
    } finally {
      await pair.close();
    }
  });

  it('when we do not read, Go can write exactly our 256 KiB window, then the rest once we read', async () => {
    let accepted!: (s: YamuxStream) => void;
    const first = new Promise<YamuxStream>((resolve) => (accepted = resolve));
    const pair = await withGoPeer('server', 'slow-write', ['-size', String(1024 * 1024)], { onStream: (s) => accepted(s) });
    try {
      const stream = await first;
      const blocked = await pair.peer.waitForStep('blocked');
      assert.equal(blocked.written, 256 * 1024);
      const got = await readAll(stream);
      assert.ok(got.equals(pattern(1024 * 1024, 3)));
      const done = await pair.peer.waitForStep('write done');
      assert.equal(done.error, '<nil>');
    } finally {
      await pair.close();
    }
  });
});

describe('yamux with hashicorp/yamux: ping, GoAway, RST, backlog, a dying peer', () => {
  it('Ping both ways', async () => {
    const pair = await withGoPeer('client', 'ping');
    try {
      const rtt = await pair.session.ping();
      assert.ok(rtt >= 0 && Number.isFinite(rtt));
      const line = await pair.peer.waitForStep('ping');
      assert.equal(line.ok, true);
    } finally {
      await pair.close();
    }
  });

  it('our keepalive Pings (every 50 ms here, 30 s by default) are answered by Go: the session stays up', async () => {
    const pair = await withGoPeer('client', 'echo', [], { keepAliveIntervalMs: 50, pingTimeoutMs: 1000 });
    try {
      await delay(600);
      assert.equal(pair.session.closed, false);
      const stream = pair.session.open();
      const echoed = readAll(stream);
      stream.end('alive');
      assert.equal((await echoed).toString(), 'alive');
    } finally {
      await pair.close();
    }
  });

  it("Go's GoAway: no new streams from us, the session stays", async () => {
    const pair = await withGoPeer('client', 'goaway');
    try {
      const stream = pair.session.open();
      stream.end('x');
      await pair.peer.waitForStep('goaway sent');
      await delay(50);
      assert.throws(() => pair.session.open(), /GoAway/);
      assert.equal(pair.session.closed, false);
      assert.ok((await pair.session.ping()) >= 0);
    } finally {
      await pair.close();
    }
  });

  it('our RST mid-stream: Go reads "connection reset", and the session carries on', async () => {
    let opened!: (s: YamuxStream) => void;
    const back = new Promise<YamuxStream>((resolve) => (opened = resolve));
    const pair = await withGoPeer('client', 'accept-reset', [], { onStream: (s) => opened(s) });
    try {
      const stream = pair.session.open();
      await writeInPieces(stream, pattern(100_000, 1), [10_000]);
      stream.reset();
      const line = await pair.peer.waitForStep('read');
      assert.match(String(line.error), /connection reset/);
      assert.ok((line.bytes as number) <= 100_000);
      assert.equal((await readAll(await back)).toString(), 'still here');
    } finally {
      await pair.close();
    }
  });

  it("Go's RST: a stream beyond Go's accept backlog of 2 is reset, the others are not", async () => {
    const pair = await withGoPeer('client', 'backlog', ['-backlog', '2']);
    try {
      const streams = [pair.session.open(), pair.session.open(), pair.session.open()];
      const errors = streams.map((s) => new Promise<Error | undefined>((resolve) => {
        s.once('error', resolve);
        setTimeout(() => resolve(undefined), 1500);
      }));
      for (const s of streams) s.write('hello');
      const [a, b, c] = await Promise.all(errors);
      assert.equal(a, undefined);
      assert.equal(b, undefined);
      assert.equal((c as NodeJS.ErrnoException | undefined)?.code, 'ECONNRESET');
      assert.ok((await pair.session.ping()) >= 0);
    } finally {
      await pair.close();
    }
  });

  it('a Go peer killed mid-stream ends the session and its streams, nothing left hanging', async () => {
    let accepted!: (s: YamuxStream) => void;
    const first = new Promise<YamuxStream>((resolve) => (accepted = resolve));
    const pair = await withGoPeer('server', 'hold', [], { onStream: (s) => accepted(s) });
    try {
      const stream = await first;
      stream.on('error', () => {});
      const closed = new Promise<void>((resolve) => stream.once('close', resolve));
      await pair.peer.waitForStep('holding');
      pair.peer.kill('SIGKILL');
      await pair.session.done;
      await closed;
      assert.equal(pair.session.closed, true);
      assert.equal(pair.session.streams, 0);
      assert.throws(() => pair.session.open(), /closed/);
    } finally {
      await pair.close();
    }
  });
});
