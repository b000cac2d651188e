// The go-plugin broker (docs/protocol.md#broker), the same on both sides: without multiplexing, the acceptor opens a new listener and announces it with ConnInfo on the StartStream stream; the dialer
// waits up to 5 s for that ConnInfo and connects with its side's TLS settings. Multiplexed, a knock
// on the same stream announces a yamux stream instead (multiplex.ts). The broker's state is one object
// the steps below take in turn: serve an id, dial an id, receive ConnInfo, close.
import { errorMessage } from '../errors.js';
import type { Env } from './env.js';
import { createChannel, type Channel } from '../http2/channel.js';
import type { TlsClientOptions, TlsServerOptions } from '../http2/tls-options.js';
import { createServer, type Server } from '../grpc/server.js';
import type { ConnInfo } from './internal-services.js';
import { listenForPlugin } from './plugin-listener.js';
import { grpcTarget, type Network } from './network.js';
import { createKnocks, type BrokerMuxer, type Knocks } from './multiplex.js';
import { createPendingConnInfo, type PendingConnInfo } from './broker-pending.js';
import { within } from './within.js';

export interface BrokerOptions {
  /** How the acceptor announces a listener: a message on the StartStream stream. */
  send(info: ConnInfo): void;
  /** TLS for broker listeners and dials; read when used, so it may be settled after creation. */
  tls?: () => { server?: TlsServerOptions; client?: TlsClientOptions };
  transport?: Network;
  env?: Env;
  maxReceiveMessageSize?: number;
  maxSendMessageSize?: number;
  /** Multiplexing (go-plugin >= 1.6): broker connections are yamux streams announced by knocks. */
  muxer?: BrokerMuxer;
}

export interface BrokerServer {
  readonly id: number;
  /** `unix` socket path or `127.0.0.1:PORT`; empty when multiplexed (the stream comes over yamux). */
  readonly address: string;
  close(graceMs?: number): Promise<void>;
}

export interface Broker {
  /** A fresh service id for acceptAndServe; ids are per side and start at 1. */
  nextId(): number;
  /**
   * Serves a new gRPC server for `id` on its own listener and announces it to the peer. `register`
   * adds the services (the same shape as a versioned plugin's register). Resolves once announced.
   */
  acceptAndServe(id: number, register: (server: Server) => void | Promise<void>): Promise<BrokerServer>;
  /** Waits up to `timeoutMs` (default 5000) for the peer's ConnInfo for `id` and connects to it. */
  dial(id: number, options?: { timeoutMs?: number }): Promise<Channel>;
  /** Called with every ConnInfo that arrives on the StartStream stream. */
  receive(info: ConnInfo): void;
  /** Stops every broker server and channel. */
  close(): Promise<void>;
}

export { MAX_PENDING_CONN_INFO } from './broker-pending.js';

const DIAL_TIMEOUT_MS = 5000;
const CHANNEL_CLOSE_WAIT_MS = 1000;

interface BrokerState {
  readonly options: BrokerOptions;
  lastId: number;
  closed: boolean;
  readonly servers: Set<BrokerServer>;
  readonly channels: Set<Channel>;
  /** ConnInfo for ids not yet dialled, and dials waiting for theirs (not multiplexed). */
  readonly pending: PendingConnInfo;
  /** Multiplexed: the muxer and the knocks that announce its streams. */
  readonly mux: { muxer: BrokerMuxer; knocks: Knocks } | undefined;
}

export function createBroker(options: BrokerOptions): Broker {
  const muxer = options.muxer;
  const state: BrokerState = {
    options,
    lastId: 0,
    closed: false,
    servers: new Set(),
    channels: new Set(),
    pending: createPendingConnInfo(),
    mux: muxer && { muxer, knocks: createKnocks(options.send, () => muxer) },
  };
  return {
    nextId() {
      state.lastId = (state.lastId + 1) >>> 0 || 1;
      return state.lastId;
    },
    acceptAndServe: (id, register) => acceptAndServe(state, id, register),
    dial: (id, dialOptions = {}) => dial(state, id, dialOptions),
    receive(info) {
      if (state.mux?.knocks.receive(info)) return;
      state.pending.deliver(info);
    },
    close: () => closeBroker(state),
  };
}

async function acceptAndServe(state: BrokerState, id: number, register: (server: Server) => void | Promise<void>): Promise<BrokerServer> {
  if (state.closed) throw new Error('the broker is closed');
  checkId(id);
  const { options } = state;
  const server = createServer({
    maxReceiveMessageSize: options.maxReceiveMessageSize,
    maxSendMessageSize: options.maxSendMessageSize,
  });
  await register(server);
  return state.mux ? serveMultiplexed(state, state.mux, id, server) : serveOnListener(state, id, server);
}

/** A listener of its own, announced with its address. */
async function serveOnListener(state: BrokerState, id: number, server: Server): Promise<BrokerServer> {
  const { options, servers } = state;
  let listener;
  try {
    listener = await listenForPlugin(server, { transport: options.transport, env: options.env, tls: options.tls?.().server });
  } catch (err) {
    await server.forceClose();
    throw err;
  }
  const handle: BrokerServer = {
    id,
    address: listener.address,
    async close(graceMs = 2000) {
      servers.delete(handle);
      await server.close(graceMs);
      listener.cleanup();
    },
  };
  servers.add(handle);
  options.send({ serviceId: id, network: listener.network, address: listener.address });
  return handle;
}

/** Multiplexed: the streams the peer opens after knocking for `id` are served; a knock that came first is answered now. */
function serveMultiplexed(state: BrokerState, mux: NonNullable<BrokerState['mux']>, id: number, server: Server): BrokerServer {
  const { options, servers } = state;
  mux.muxer.route(id, (stream) => server.serveConnection(stream, { tls: options.tls?.().server }));
  const handle: BrokerServer = {
    id,
    address: '',
    async close(graceMs = 2000) {
      servers.delete(handle);
      mux.muxer.route(id, undefined);
      await server.close(graceMs);
    },
  };
  servers.add(handle);
  mux.knocks.accepted(id);
  return handle;
}

function dial(state: BrokerState, id: number, dialOptions: { timeoutMs?: number }): Promise<Channel> {
  if (state.closed) return Promise.reject(new Error('the broker is closed'));
  checkId(id);
  if (state.mux) return dialMultiplexed(state, state.mux.knocks, id);
  const timeoutMs = dialOptions.timeoutMs ?? DIAL_TIMEOUT_MS;
  return state.pending.take(id, timeoutMs).then((info) => dialAnnounced(state, id, info));
}

/** The channel to the address in the peer's ConnInfo for `id`. */
function dialAnnounced(state: BrokerState, id: number, info: ConnInfo): Channel {
  if (info.knock?.error) throw new Error(`the peer refused broker id ${id}: ${info.knock.error}`);
  if (info.network !== 'unix' && info.network !== 'tcp') {
    throw new Error(`broker id ${id}: unknown network "${info.network}" in ConnInfo`);
  }
  const target = grpcTarget(info.network, info.address);
  const clientTls = state.options.tls?.().client;
  const channel = createChannel(target, clientTls ? { tls: clientTls } : {});
  state.channels.add(channel);
  return channel;
}

async function dialMultiplexed(state: BrokerState, knocks: Knocks, id: number): Promise<Channel> {
  const clientTls = state.options.tls?.().client;
  // Each (re)connect knocks again, as go-plugin's dialer does; the address only names the authority.
  const channel = createChannel('unix:yamux', { ...(clientTls ? { tls: clientTls } : {}), createConnection: () => knocks.dial(id) });
  state.channels.add(channel);
  try {
    await channel.session();
  } catch (err) {
    state.channels.delete(channel);
    await channel.close();
    throw new Error(`broker id ${id}: ${errorMessage(err)}`, { cause: err });
  }
  return channel;
}

async function closeBroker(state: BrokerState): Promise<void> {
  state.closed = true;
  state.mux?.knocks.close();
  state.pending.clear();
  await Promise.all([...state.servers].map((s) => s.close(1000)));
  // Bounded: a channel closes only once its calls end, and a call the peer never finishes must
  // not hold up the host's kill() or the plugin's shutdown.
  await Promise.all([...state.channels].map((c) => within(c.close(), CHANNEL_CLOSE_WAIT_MS)));
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`a broker id is an integer from 1 to 4294967295, got ${id}`);
}
