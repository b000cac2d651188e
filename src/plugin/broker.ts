// The go-plugin broker without multiplexing (docs/protocol.md#broker), the same on both sides:
// the acceptor opens a new listener and announces it with ConnInfo on the StartStream stream; the dialer
// waits up to 5 s for that ConnInfo and connects with its side's TLS settings.
import { errorMessage } from '../errors.js';
import type { Env } from './env.js';
import { createChannel, type Channel } from '../http2/channel.js';
import type { TlsClientOptions, TlsServerOptions } from '../http2/tls-options.js';
import { createServer, type Server } from '../grpc/server.js';
import type { ConnInfo } from './internal-services.js';
import { listenForPlugin } from './plugin-listener.js';
import { grpcTarget, type Network } from './network.js';
import { createKnocks, type BrokerMuxer } from './multiplex.js';
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

/** An unclaimed ConnInfo is dropped after this long, as go-plugin does. */
const CONN_INFO_TTL_MS = 5000;
/**
 * Unclaimed ConnInfo kept at most; the oldest goes first. Only the authenticated peer sends them, but
 * 638 000 in 3 s grew a plugin to 372 MiB without a cap, and no real peer has this many dials pending.
 */
export const MAX_PENDING_CONN_INFO = 1024;
const DIAL_TIMEOUT_MS = 5000;
const CHANNEL_CLOSE_WAIT_MS = 1000;

export function createBroker(options: BrokerOptions): Broker {
  let lastId = 0;
  const pending = new Map<number, { info: ConnInfo; timer: NodeJS.Timeout }>();
  const waiters = new Map<number, (info: ConnInfo) => void>();
  const servers = new Set<BrokerServer>();
  const channels = new Set<Channel>();
  let closed = false;
  const muxer = options.muxer;
  const knocks = muxer && createKnocks(options.send, () => muxer);

  function serveMultiplexed(id: number, server: Server): BrokerServer {
    muxer!.route(id, (stream) => server.serveConnection(stream, { tls: options.tls?.().server }));
    const handle: BrokerServer = {
      id,
      address: '',
      async close(graceMs = 2000) {
        servers.delete(handle);
        muxer!.route(id, undefined);
        await server.close(graceMs);
      },
    };
    servers.add(handle);
    knocks!.accepted(id);
    return handle;
  }

  async function dialMultiplexed(id: number): Promise<Channel> {
    const clientTls = options.tls?.().client;
    // Each (re)connect knocks again, as go-plugin's dialer does; the address only names the authority.
    const channel = createChannel('unix:yamux', { ...(clientTls ? { tls: clientTls } : {}), createConnection: () => knocks!.dial(id) });
    channels.add(channel);
    try {
      await channel.session();
    } catch (err) {
      channels.delete(channel);
      await channel.close();
      throw new Error(`broker id ${id}: ${errorMessage(err)}`, { cause: err });
    }
    return channel;
  }

  return {
    nextId() {
      lastId = (lastId + 1) >>> 0 || 1;
      return lastId;
    },
    async acceptAndServe(id, register) {
      if (closed) throw new Error('the broker is closed');
      checkId(id);
      const server = createServer({
        maxReceiveMessageSize: options.maxReceiveMessageSize,
        maxSendMessageSize: options.maxSendMessageSize,
      });
      await register(server);
      if (muxer) return serveMultiplexed(id, server);
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
    },
    dial(id, dialOptions = {}) {
      if (closed) return Promise.reject(new Error('the broker is closed'));
      checkId(id);
      if (knocks) return dialMultiplexed(id);
      const timeoutMs = dialOptions.timeoutMs ?? DIAL_TIMEOUT_MS;
      return new Promise<ConnInfo>((resolve, reject) => {
        const ready = pending.get(id);
        if (ready) {
          clearTimeout(ready.timer);
          pending.delete(id);
          resolve(ready.info);
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(id);
          reject(new Error(`timeout waiting for connection info for broker id ${id} (${timeoutMs} ms); the peer never called acceptAndServe for it`));
        }, timeoutMs);
        waiters.set(id, (info) => {
          clearTimeout(timer);
          resolve(info);
        });
      }).then((info) => {
        if (info.knock?.error) throw new Error(`the peer refused broker id ${id}: ${info.knock.error}`);
        if (info.network !== 'unix' && info.network !== 'tcp') {
          throw new Error(`broker id ${id}: unknown network "${info.network}" in ConnInfo`);
        }
        const target = grpcTarget(info.network, info.address);
        const clientTls = options.tls?.().client;
        const channel = createChannel(target, clientTls ? { tls: clientTls } : {});
        channels.add(channel);
        return channel;
      });
    },
    receive(info) {
      if (knocks?.receive(info)) return;
      const id = info.serviceId;
      const waiter = waiters.get(id);
      if (waiter) {
        waiters.delete(id);
        waiter(info);
        return;
      }
      const old = pending.get(id);
      if (old) {
        clearTimeout(old.timer);
        pending.delete(id);
      }
      if (pending.size >= MAX_PENDING_CONN_INFO) {
        // A Map iterates in insertion order: the first key is the oldest.
        const [oldestId, oldest] = pending.entries().next().value as [number, { timer: NodeJS.Timeout }];
        clearTimeout(oldest.timer);
        pending.delete(oldestId);
      }
      const timer = setTimeout(() => pending.delete(id), CONN_INFO_TTL_MS);
      timer.unref?.();
      pending.set(id, { info, timer });
    },
    async close() {
      closed = true;
      knocks?.close();
      for (const { timer } of pending.values()) clearTimeout(timer);
      pending.clear();
      await Promise.all([...servers].map((s) => s.close(1000)));
      // Bounded: a channel closes only once its calls end, and a call the peer never finishes must
      // not hold up the host's kill() or the plugin's shutdown.
      await Promise.all([...channels].map((c) => within(c.close(), CHANNEL_CLOSE_WAIT_MS)));
    },
  };
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`a broker id is an integer from 1 to 4294967295, got ${id}`);
}

