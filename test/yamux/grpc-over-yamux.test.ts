// gRPC on yamux streams, as go-plugin multiplexes: the server takes a stream as its connection, the
// client dials through one; with AutoMTLS the TLS handshake runs inside each stream.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createServer } from '../../src/grpc/server.js';
import { createClient } from '../../src/grpc/client.js';
import { createChannel } from '../../src/http2/channel.js';
import { createYamuxSession as createSession } from '../../src/yamux/index.js';
import { generateCertificate, hostClientTls, pluginServerTls } from '../../src/tls/index.js';
import type { TlsClientOptions, TlsServerOptions } from '../../src/http2/tls-options.js';
import { CallsService } from '../grpc/helpers.js';

type Num = { n: number; data: Uint8Array };

async function pair(): Promise<[net.Socket, net.Socket]> {
  return new Promise((resolve) => {
    const server = net.createServer((b) => {
      server.close();
      resolve([a, b]);
    });
    let a: net.Socket;
    server.listen(0, '127.0.0.1', () => (a = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')));
  });
}

async function run(tls?: { server: TlsServerOptions; client: TlsClientOptions }) {
  const [a, b] = await pair();
  const server = createServer({ maxReceiveMessageSize: 16 << 20 });
  server.addService(CallsService, {
    Unary: (req: Num) => ({ n: req.n + 1, data: req.data }),
    async *Count(req: Num) {
      for (let i = 0; i < req.n; i++) yield { n: i };
    },
    async Sum(requests: AsyncIterable<Num>) {
      let n = 0;
      for await (const r of requests) n += r.n;
      return { n };
    },
    async *Echo(requests: AsyncIterable<Num>) {
      for await (const r of requests) yield r;
    },
  });
  const served = createSession(b, { role: 'server', onStream: (s) => server.serveConnection(s, { tls: tls?.server }) });
  const muxed = createSession(a, { role: 'client' });
  let dials = 0;
  const channel = createChannel('unix:/plugin.sock', {
    ...(tls ? { tls: tls.client } : {}),
    createConnection: () => {
      dials++;
      return muxed.open();
    },
  });
  const client = createClient(CallsService, channel, { maxReceiveMessageSize: 16 << 20 });
  return {
    client,
    channel,
    dials: () => dials,
    served,
    async close() {
      await channel.close();
      await server.close(500);
      await muxed.close();
    },
  };
}

for (const mode of ['plain', 'mutual TLS inside each stream'] as const) {
  describe(`gRPC over yamux streams (${mode})`, () => {
    it('every call kind, a 5 MB message, two channels on one session', async () => {
      let tls: { server: TlsServerOptions; client: TlsClientOptions } | undefined;
      if (mode !== 'plain') {
        const [host, plugin] = await Promise.all([generateCertificate(), generateCertificate()]);
        tls = { server: pluginServerTls(plugin, host.certPem), client: hostClientTls(host, plugin.certPem) };
      }
      const t = await run(tls);
      try {
        assert.equal(((await t.client.Unary({ n: 41 })) as Num).n, 42);
        const counted: number[] = [];
        for await (const m of t.client.Count({ n: 5 })) counted.push((m as Num).n);
        assert.deepEqual(counted, [0, 1, 2, 3, 4]);
        assert.equal(((await t.client.Sum((async function* () { for (let i = 1; i <= 10; i++) yield { n: i }; })())) as Num).n, 55);
        const echoed: number[] = [];
        for await (const m of t.client.Echo((async function* () { yield { n: 1 }; yield { n: 2 }; })())) echoed.push((m as Num).n);
        assert.deepEqual(echoed, [1, 2]);
        const big = Buffer.alloc(5_000_000, 7);
        big[4_999_999] = 1;
        const reply = (await t.client.Unary({ n: 0, data: big })) as Num;
        assert.ok(Buffer.from(reply.data).equals(big));
        assert.equal(t.dials(), 1, 'one yamux stream carries the channel');
        assert.equal(t.served.streams, 1);
      } finally {
        await t.close();
      }
    });
  });
}
