// go-plugin's gRPC broker multiplexing (go-plugin >= 1.6, PLUGIN_MULTIPLEX_GRPC; see docs/protocol.md#multiplexing):
// one raw connection to the plugin's socket carries a yamux session, the host as yamux
// client. Every gRPC connection, main or brokered, is one yamux stream with TLS, when on, inside it.
// A stream for broker id N is announced by a knock on the broker stream: the dialer sends
// ConnInfo{knock}, the acceptor points "the next stream the peer opens" at N and answers with an ack,
// and only then is the stream opened. Learned from go-plugin v1.8.0 internal/grpcmux and
// grpc_broker.go (https://github.com/hashicorp/go-plugin/blob/v1.8.0/grpc_broker.go).
import { noop } from '../noop.js';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { createYamuxSession as createSession, type YamuxSession, type YamuxStream } from '../yamux/index.js';
import type { ConnInfo } from './internal-services.js';
import type { Network } from './network.js';

/** What the broker needs from the yamux session to dial and accept broker connections. */
export interface BrokerMuxer {
  /** Opens a stream whose SYN waits for `after` (the knock's ack). */
  open(after: Promise<unknown>): Duplex;
  /** Points the next stream the peer opens at `id`. */
  expect(id: number): void;
  /** Where the streams for `id` go; undefined removes it. */
  route(id: number, serve: ((stream: Duplex) => void) | undefined): void;
  readonly routed: (id: number) => boolean;
}

/** Routes accepted streams: knocked ids first come, first served; an unknocked stream goes to `fallback`. */
export function createStreamRouter(fallback: (stream: YamuxStream) => void) {
  const knocked: number[] = [];
  const routes = new Map<number, (stream: Duplex) => void>();
  return {
    expect(id: number) {
      knocked.push(id);
    },
    route(id: number, serve: ((stream: Duplex) => void) | undefined) {
      if (serve) routes.set(id, serve);
      else routes.delete(id);
    },
    routed: (id: number) => routes.has(id),
    accept(stream: YamuxStream) {
      // A reset stream reports through 'close' to whoever serves it; an 'error' nobody listens to
      // would end the process.
      stream.on('error', noop);
      const id = knocked.shift();
      const serve = id === undefined ? undefined : routes.get(id);
      if (serve) serve(stream);
      else fallback(stream);
    },
  };
}

const KNOCK_TIMEOUT_MS = 5000;

export interface Knocks {
  /** Handles a knock or an ack; false when `info` is not part of the knock protocol. */
  receive(info: ConnInfo): boolean;
  /** An id is now accepted: answer a knock that came first. */
  accepted(id: number): void;
  /**
   * Knocks for `id` and opens the stream once acknowledged. Dials are serialised, as go-plugin's
   * dialMutex does: a second knock waits until the first one's stream is open.
   */
  dial(id: number): Duplex;
  close(): void;
}

interface KnockState {
  readonly send: (info: ConnInfo) => void;
  readonly muxer: () => BrokerMuxer;
  /** Our knocks waiting for the peer's ack, by id. */
  readonly acks: Map<number, { resolve: () => void; reject: (err: Error) => void }>;
  /** The peer's knocks for ids not accepted yet, each dropped after KNOCK_TIMEOUT_MS. */
  readonly unanswered: Map<number, NodeJS.Timeout>;
  /** Settles once the last dial's knock is answered (or failed). */
  dialing: Promise<unknown>;
}

/**
 * The knock protocol over the broker stream, both roles. Knocks for an id nobody accepts yet wait
 * (one per id, as go-plugin buffers them) until acceptAndServe registers it or the dialer gives up.
 */
export function createKnocks(send: (info: ConnInfo) => void, muxer: () => BrokerMuxer): Knocks {
  const state: KnockState = { send, muxer, acks: new Map(), unanswered: new Map(), dialing: Promise.resolve() };
  return {
    receive: (info) => receiveKnock(state, info),
    accepted(id) {
      const timer = state.unanswered.get(id);
      if (timer === undefined) return;
      clearTimeout(timer);
      state.unanswered.delete(id);
      answerKnock(state, id);
    },
    dial(id) {
      const acked = state.dialing.then(() => sendKnock(state, id));
      const stream = muxer().open(acked);
      state.dialing = acked.catch(() => {});
      return stream;
    },
    close() {
      for (const timer of state.unanswered.values()) clearTimeout(timer);
      state.unanswered.clear();
      for (const waiter of state.acks.values()) waiter.reject(new Error('the broker is closed'));
      state.acks.clear();
    },
  };
}

function receiveKnock(state: KnockState, info: ConnInfo): boolean {
  const knock = info.knock;
  if (!knock?.knock) return false;
  const id = info.serviceId;
  if (!knock.ack) {
    if (state.muxer().routed(id)) answerKnock(state, id);
    else {
      clearTimeout(state.unanswered.get(id));
      const timer = setTimeout(() => state.unanswered.delete(id), KNOCK_TIMEOUT_MS);
      timer.unref?.();
      state.unanswered.set(id, timer);
    }
    return true;
  }
  const waiter = state.acks.get(id);
  state.acks.delete(id);
  if (knock.error) waiter?.reject(new Error(`failed to knock for broker id ${id}: ${knock.error}`));
  else waiter?.resolve();
  return true;
}

/** The peer knocked for an id we serve: its next stream goes there, and it may open it now. */
function answerKnock(state: KnockState, id: number): void {
  state.muxer().expect(id);
  state.send({ serviceId: id, network: '', address: '', knock: { knock: true, ack: true, error: '' } });
}

/** Sends our knock for `id`; resolves on the peer's ack. */
function sendKnock(state: KnockState, id: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      state.acks.delete(id);
      reject(new Error(`timeout waiting for multiplexing knock handshake on broker id ${id} (${KNOCK_TIMEOUT_MS} ms); the peer never called acceptAndServe for it`));
    }, KNOCK_TIMEOUT_MS);
    state.acks.set(id, {
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
      reject: (err) => {
        clearTimeout(timer);
        reject(err);
      },
    });
    state.send({ serviceId: id, network: '', address: '', knock: { knock: true, ack: false, error: '' } });
  });
}

/** The plugin's side: the first connection to its socket becomes the yamux session (yamux server). */
export interface PluginMuxer extends BrokerMuxer {
  /** A `listen` for listenForPlugin: a raw socket instead of the gRPC server's own. */
  listen(address: string): Promise<string>;
  close(): Promise<void>;
}

export function createPluginMuxer(serveMain: (stream: Duplex) => void): PluginMuxer {
  let session: YamuxSession | undefined;
  let server: net.Server | undefined;
  const router = createStreamRouter(serveMain);
  return {
    expect: router.expect,
    route: router.route,
    routed: router.routed,
    open(after) {
      if (!session) throw new Error('the host has not connected to the plugin yet: no yamux session to open a broker stream on');
      return session.open({ after }).on('error', noop);
    },
    listen(address) {
      return new Promise((resolve, reject) => {
        const raw = net.createServer((conn) => {
          // go-plugin's muxer takes exactly one connection (grpcmux.GRPCServerMuxer); others are refused.
          if (session) {
            conn.destroy();
            return;
          }
          conn.on('error', () => {});
          session = createSession(conn, { role: 'server', onStream: (stream) => router.accept(stream) });
        });
        server = raw;
        raw.once('error', (err) => reject(Object.assign(new Error(`cannot listen on ${address}: ${err.message}`, { cause: err }), { code: (err as NodeJS.ErrnoException).code })));
        const onListening = () => {
          const bound = raw.address();
          resolve(typeof bound === 'string' || bound === null ? address : `${bound.address}:${bound.port}`);
        };
        if (address.startsWith('unix:')) raw.listen(address.slice('unix:'.length), onListening);
        else {
          const colon = address.lastIndexOf(':');
          raw.listen(Number(address.slice(colon + 1)), address.slice(0, colon), onListening);
        }
      });
    },
    async close() {
      server?.close();
      await session?.close();
    },
  };
}

/** The host's side: one raw connection to the plugin, yamux client; the main channel's streams are unknocked. */
export interface HostMuxer extends BrokerMuxer {
  /** A stream for the main gRPC connection (channel createConnection). */
  openMain(): Duplex;
  readonly session: YamuxSession;
  close(): Promise<void>;
}

export async function connectHostMuxer(network: Network, address: string, timeoutMs = 20_000): Promise<HostMuxer> {
  const conn = await new Promise<net.Socket>((resolve, reject) => {
    let where: net.NetConnectOpts;
    if (network === 'unix') where = { path: address };
    else {
      const colon = address.lastIndexOf(':');
      where = { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
    }
    const socket = net.connect(where);
    const timer = setTimeout(() => socket.destroy(new Error(`connecting took longer than ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      if (network === 'tcp') socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  conn.on('error', () => {});
  // Streams the plugin opens are only taken for an id the host accepted and the plugin knocked for.
  const router = createStreamRouter((stream) => stream.destroy());
  const session = createSession(conn, { role: 'client', onStream: (stream) => router.accept(stream) });
  return {
    session,
    expect: router.expect,
    route: router.route,
    routed: router.routed,
    open: (after) => session.open({ after }).on('error', noop),
    openMain: () => session.open().on('error', noop),
    close: () => session.close(),
  };
}

