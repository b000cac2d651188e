// Peers that connect and never speak, or that broke the connection with a fatal GOAWAY, must not
// hold the server's descriptors: the handshake timeout closes them; honest idle clients stay.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createChannel, createClient, createServer, generateCertificate, type Server } from '../../src/index.js';
import { CallsService } from '../grpc/helpers.js';
import { delay, fdCount, h2Frame, PREFACE, until } from './helpers.js';

const TIMEOUT_MS = 400;
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

function connectRaw(address: string): Promise<net.Socket> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => resolve(socket));
    socket.on('error', reject);
  });
}

const closedBy = (socket: net.Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('silent and broken peers are disconnected by the server', () => {
  let server: Server;
  let address = '';
  before(async () => {
    server = createServer({ handshakeTimeoutMs: TIMEOUT_MS });
    server.addService(CallsService, { Unary: ({ n }: { n: number }) => ({ n }) });
    address = await server.listen('127.0.0.1:0');
  });
  after(() => server.forceClose());

  it('closes 100 connections that never send the preface, and still serves', async () => {
    const fds = fdCount();
    const sockets = await Promise.all(Array.from({ length: 100 }, () => connectRaw(address)));
    for (const s of sockets) s.on('data', () => {});
    const all = Promise.all(sockets.map(closedBy));
    const closed = await Promise.race([all.then(() => true), delay(TIMEOUT_MS * 10).then(() => false)]);
    const open = sockets.filter((s) => !s.destroyed).length;
    for (const s of sockets) s.destroy();
    assert.ok(closed, `${open} of 100 silent connections still open after ${TIMEOUT_MS * 10} ms`);
    const client = createClient(CallsService, address);
    assert.equal((await client.Unary({ n: 3 }, { timeoutMs: 5000 })).n, 3);
    await client.close();
    assert.ok(await until(() => fdCount() <= fds + 2, 2000), `descriptors: ${fds} before, ${fdCount()} after`);
  });

  it('closes connections after a fatal GOAWAY (garbage after the preface)', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connectRaw(address)));
    for (const s of sockets) {
      s.on('data', () => {});
      s.write(PREFACE);
      s.write(EMPTY_SETTINGS);
      s.write(Buffer.from('this is not an HTTP/2 frame, and the server must not keep the socket'));
    }
    const closed = await Promise.race([Promise.all(sockets.map(closedBy)).then(() => true), delay(TIMEOUT_MS * 10).then(() => false)]);
    const open = sockets.filter((s) => !s.destroyed).length;
    for (const s of sockets) s.destroy();
    assert.ok(closed, `${open} of 20 connections still open ${TIMEOUT_MS * 10} ms after a fatal GOAWAY`);
  });

  it('closes a connection after a rapid-reset GOAWAY (HEADERS + RST_STREAM x 1500 from a peer that ignores GOAWAY)', async () => {
    const socket = await connectRaw(address);
    let received = 0;
    socket.on('data', (d: Buffer) => (received += d.length));
    const frames: Buffer[] = [PREFACE, EMPTY_SETTINGS];
    // HEADERS with HPACK static-table entries only (:method POST, :scheme http, :path /), then CANCEL.
    for (let id = 1; id < 3000; id += 2) frames.push(h2Frame(1, 0x4, id, Buffer.from([0x83, 0x86, 0x84])), h2Frame(3, 0, id, Buffer.from([0, 0, 0, 8])));
    socket.write(Buffer.concat(frames));
    const closed = await Promise.race([closedBy(socket).then(() => true), delay(TIMEOUT_MS * 10).then(() => false)]);
    socket.destroy();
    assert.ok(received > 0, 'the server answered nothing');
    assert.ok(closed, `the connection was still open ${TIMEOUT_MS * 10} ms after the rapid reset`);
  });

  it('keeps an idle but healthy client connected (it answers the PING)', async () => {
    const channel = createChannel(address);
    const client = createClient(CallsService, channel);
    assert.equal((await client.Unary({ n: 1 }, { timeoutMs: 5000 })).n, 1);
    const first = await channel.session();
    let pings = 0;
    first.on('ping', () => pings++);
    // A ref'd timer: the session is unref'd while idle.
    await delay(TIMEOUT_MS * 4);
    assert.equal(first.destroyed, false, 'the server dropped an idle client that answers PINGs');
    // Checked again after every answer, not once per session: a later fatal GOAWAY is caught too.
    assert.ok(pings >= 2, `${pings} liveness PINGs in ${TIMEOUT_MS * 4} ms of silence`);
    assert.equal(await channel.session(), first);
    assert.equal((await client.Unary({ n: 2 }, { timeoutMs: 5000 })).n, 2);
    await channel.close();
  });
});

describe('silent peers on a TLS listener', () => {
  it('closes 20 connections that never send a ClientHello within handshakeTimeoutMs', async () => {
    const own = await generateCertificate();
    const server = createServer({ handshakeTimeoutMs: TIMEOUT_MS });
    server.addService(CallsService, { Unary: ({ n }: { n: number }) => ({ n }) });
    const address = await server.listen('127.0.0.1:0', { tls: { cert: own.certPem, key: own.keyPem } });
    try {
      const sockets = await Promise.all(Array.from({ length: 20 }, () => connectRaw(address)));
      for (const s of sockets) s.on('data', () => {});
      const closed = await Promise.race([Promise.all(sockets.map(closedBy)).then(() => true), delay(TIMEOUT_MS * 10).then(() => false)]);
      const open = sockets.filter((s) => !s.destroyed).length;
      for (const s of sockets) s.destroy();
      assert.ok(closed, `${open} of 20 silent TLS connections still open after ${TIMEOUT_MS * 10} ms`);
    } finally {
      await server.forceClose();
    }
  });
});
