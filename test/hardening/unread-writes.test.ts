// A client that grants huge windows, asks for a flood of responses and then stops reading leaves the
// server's writes pending on a full socket, and stops answering PINGs. The liveness check must then
// disconnect it — and not crash the process doing so (Node's session.socket refuses destroy() with
// ERR_HTTP2_NO_SOCKET_MANIPULATION while the session waits for its writes to drain).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createServer, generateCertificate, parseProto, serviceOf, type Server } from '../../src/index.js';
import { delay, h2Frame, PREFACE } from './helpers.js';

const TIMEOUT_MS = 300;

const Flood = serviceOf(
  parseProto(`
    syntax = "proto3";
    package unread;
    message Empty {}
    message Blob { bytes data = 1; }
    service Flood { rpc Pour(Empty) returns (stream Blob); }
  `),
  'unread.Flood',
);

/** HPACK literal header fields without indexing, new names (RFC 7541 §6.2.2); all short, so 7-bit lengths. */
function headerBlock(fields: [string, string][]): Buffer {
  return Buffer.concat(
    fields.map(([name, value]) => Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)])),
  );
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

for (const secure of [false, true]) describe(`a client that stops reading while the server writes (${secure ? 'TLS' : 'h2c'})`, () => {
  let server: Server;
  let port = 0;
  let poured = 0;
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);

  before(async () => {
    process.on('uncaughtException', onCrash);
    server = createServer({ handshakeTimeoutMs: TIMEOUT_MS });
    const blob = { data: new Uint8Array(64 * 1024) };
    server.addService(Flood, {
      async *Pour(_req: unknown, { signal }: { signal: AbortSignal }) {
        for (let i = 0; i < 2000 && !signal.aborted; i++) {
          poured++;
          yield blob;
        }
      },
    });
    const own = secure ? await generateCertificate() : undefined;
    const address = await server.listen('127.0.0.1:0', own && { tls: { cert: own.certPem, key: own.keyPem } });
    port = Number(address.slice(address.lastIndexOf(':') + 1));
  });
  after(async () => {
    process.off('uncaughtException', onCrash);
    await server.forceClose();
  });

  it('is disconnected by the liveness PING, and the process keeps running', async () => {
    const socket = secure
      ? tls.connect({ port, host: '127.0.0.1', ALPNProtocols: ['h2'], rejectUnauthorized: false })
      : net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once(secure ? 'secureConnect' : 'connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const request = headerBlock([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', '/unread.Flood/Pour'],
      [':authority', 'localhost'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ]);
    socket.write(
      Buffer.concat([
        PREFACE,
        // SETTINGS_INITIAL_WINDOW_SIZE (4) at its maximum, and the connection window grown as far.
        h2Frame(4, 0, 0, Buffer.concat([Buffer.from([0, 4]), u32(0x7fffffff)])),
        h2Frame(8, 0, 0, u32(0x7fffffff - 65535)),
        h2Frame(1, 0x4, 1, request),
        h2Frame(0, 0x1, 1, Buffer.from([0, 0, 0, 0, 0])),
      ]),
    );
    // No 'data' listener and no read(): the socket takes its buffer's worth and stops reading, so the
    // server's writes wait on a full socket and its PINGs go unanswered.
    socket.pause();
    // Two missed PINGs' worth and more; a paused socket would not see the server's close, so read again
    // only then: what the server had sent, and then its end.
    await delay(TIMEOUT_MS * 8);
    const pouredBeforeReading = poured;
    socket.on('data', () => {}).resume();
    const outcome = await Promise.race([closed.then(() => 'closed'), delay(TIMEOUT_MS * 10).then(() => 'open')]);
    socket.destroy();
    assert.deepEqual(crashes.map(String), []);
    assert.ok(pouredBeforeReading > 1, `the server wrote ${pouredBeforeReading} responses: the flood never started`);
    assert.equal(outcome, 'closed', 'the server kept the connection of a client that stopped reading');
    assert.ok(poured < 2000, 'the handler poured all its responses: the call was not cancelled');
  });
});
