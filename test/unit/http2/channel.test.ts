import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { ClientHttp2Session, ServerHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { listen } from '../../../src/http2/listener.js';
import { createChannel } from '../../../src/http2/channel.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'h2-channel-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Answers with the :authority it received, so tests can see what the channel sent. */
function authorityEcho(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  stream.respond({ ':status': 200 });
  stream.resume();
  stream.end(String(headers[':authority']));
}

/** Node would send `localhost:80` on its own; callers (the gRPC client) send the channel's authority. */
function get(session: ClientHttp2Session, authority?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/', ...(authority ? { ':authority': authority } : {}) });
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve(text));
    stream.end();
  });
}

describe('createChannel: one shared session per target', () => {
  it('hands every caller the same session and sends :authority localhost on unix sockets', async () => {
    const path = join(dir, 'shared.sock');
    const listener = await listen(`unix:${path}`, { onStream: authorityEcho });
    const channel = createChannel(`unix:${path}`);
    const [a, b] = await Promise.all([channel.session(), channel.session()]);
    assert.equal(a, b);
    assert.equal(await channel.session(), a);
    assert.equal(channel.authority, 'localhost');
    assert.equal(await get(a, channel.authority), 'localhost');
    assert.equal(listener.sessions, 1);
    await channel.close();
    assert.equal(channel.closed, true);
    await assert.rejects(channel.session(), /channel to unix:.* is closed/);
    await listener.close(0);
  });

  it('reconnects after the server sends GOAWAY and restarts on the same address', async () => {
    const path = join(dir, 'restart.sock');
    const first = await listen(`unix:${path}`, { onStream: authorityEcho });
    const channel = createChannel(`unix:${path}`);
    const old = await channel.session();
    assert.equal(await get(old, channel.authority), 'localhost');
    await first.close(1000);
    const second = await listen(`unix:${path}`, { onStream: authorityEcho });
    const fresh = await channel.session();
    assert.notEqual(fresh, old);
    assert.equal(await get(fresh, channel.authority), 'localhost');
    assert.equal(second.sessions, 1);
    await channel.close();
    await second.close(0);
  });

  it('reconnects after retire() and when the session was destroyed', async () => {
    const listener = await listen('127.0.0.1:0', { onStream: authorityEcho });
    const channel = createChannel(listener.address);
    const first = await channel.session();
    channel.retire(first);
    const second = await channel.session();
    assert.notEqual(second, first);
    second.destroy();
    const third = await channel.session();
    assert.notEqual(third, second);
    assert.match(await get(third), /^127\.0\.0\.1:\d+$/);
    await channel.close();
    await listener.close(0);
  });

  it('rejects with a sentence naming the target when nothing listens', async () => {
    const channel = createChannel(`unix:${join(dir, 'nobody.sock')}`);
    await assert.rejects(channel.session(), /cannot connect to unix:.*nobody\.sock: .*ENOENT/);
    await channel.close();
  });

  it('does not keep the process alive while idle: a CLI exits without closing its channel', async () => {
    const path = join(dir, 'cli.sock');
    const listener = await listen(`unix:${path}`, { onStream: authorityEcho });
    const channelModule = new URL('../../../src/http2/channel.ts', import.meta.url).href;
    const script = `
      import { createChannel } from ${JSON.stringify(channelModule)};
      const channel = createChannel(${JSON.stringify(`unix:${path}`)});
      const session = await channel.session();
      const stream = session.request({ ':method': 'POST', ':path': '/', ':authority': channel.authority });
      channel.track(stream);
      stream.setEncoding('utf8');
      let text = '';
      stream.on('data', (c) => (text += c));
      stream.on('close', () => console.log('answer:' + text));
      stream.end();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const timer = setTimeout(() => child.kill(), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 0, 'the process did not exit on its own');
    assert.match(out, /answer:localhost/);
    await listener.close(0);
  });
});
