// Metadata within the 8 KiB budget passes in both directions, however many entries it has (Node's
// default of 128 header fields reset calls with ~120 small entries); over the budget the server
// answers a trailers-only RESOURCE_EXHAUSTED that names the limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createClient, createServer, Metadata, Status, type Server, type ServerCallContext } from '../../src/index.js';
import { CallsService } from '../grpc/helpers.js';

const ENTRIES = 200; // 200 x (4 + 1 + 32) bytes: inside the 8192-byte budget.

describe('metadata entries up to the 8 KiB budget', () => {
  let server: Server;
  let address = '';
  before(async () => {
    server = createServer();
    server.addService(CallsService, {
      Unary: (_req: unknown, ctx: ServerCallContext) => {
        const keys = [...ctx.metadata.keys()].filter((k) => k.startsWith('k'));
        for (let i = 0; i < ENTRIES; i++) ctx.responseTrailer.set(`t${i}`, 'v');
        return { n: keys.length };
      },
    });
    address = await server.listen('127.0.0.1:0');
  });
  after(() => server.forceClose());

  it(`${ENTRIES} request entries reach the handler and ${ENTRIES} trailer entries reach the client`, async () => {
    const client = createClient(CallsService, address);
    const metadata = new Metadata();
    for (let i = 0; i < ENTRIES; i++) metadata.set(`k${i}`, 'v');
    let trailers: Metadata | undefined;
    const reply = await client.Unary({}, { metadata, timeoutMs: 5000, onTrailer: (t: Metadata) => (trailers = t) });
    assert.equal(reply.n, ENTRIES);
    assert.equal([...trailers!.keys()].filter((k) => k.startsWith('t')).length, ENTRIES);
    await client.close();
  });

  it('over the budget: trailers-only RESOURCE_EXHAUSTED whose message names the limit', async () => {
    const session = http2.connect(`http://${address}`, { maxHeaderListPairs: 4000 });
    session.on('error', () => {});
    const headers: Record<string, string> = { ':method': 'POST', ':path': '/behave.Calls/Unary', 'content-type': 'application/grpc', te: 'trailers' };
    for (let i = 0; i < 300; i++) headers[`k${i}`] = 'v';
    const stream = session.request(headers, { endStream: true });
    const response = await new Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader>((resolve, reject) => {
      stream.on('response', resolve);
      stream.on('error', reject);
    });
    assert.equal(response['grpc-status'], String(Status.RESOURCE_EXHAUSTED));
    assert.match(decodeURIComponent(String(response['grpc-message'])), /8192-byte metadata limit/);
    session.destroy();
  });

  it("more fields than Node's hard limit: RESOURCE_EXHAUSTED on the client, with ENHANCE_YOUR_CALM named", async () => {
    const session = http2.connect(`http://${address}`, { maxHeaderListPairs: 4000 });
    session.on('error', () => {});
    const headers: Record<string, string> = { ':method': 'POST', ':path': '/behave.Calls/Unary', 'content-type': 'application/grpc', te: 'trailers' };
    for (let i = 0; i < 1500; i++) headers[`k${i}`] = '';
    const stream = session.request(headers, { endStream: true });
    stream.on('error', () => {});
    const code = await new Promise<number>((resolve) => stream.on('close', () => resolve(stream.rstCode)));
    assert.equal(code, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
    const client = createClient(CallsService, address);
    assert.equal((await client.Unary({}, { timeoutMs: 5000 })).n, 0, 'the server still serves');
    await client.close();
  });
});
