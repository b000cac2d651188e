// Connecting to a plugin that has printed its handshake (or is reattached): the gRPC channel (over
// yamux when multiplexed), the broker and stdio streams, Ping and the kill ladder (docs/protocol.md#lifecycle).
import { createChannel, type Channel } from '../../http2/channel.js';
import type { TlsClientOptions, TlsServerOptions } from '../../http2/tls-options.js';
import { errorMessage } from '../../errors.js';
import { createClient } from '../../grpc/client.js';
import { GrpcError, Status } from '../../grpc/status.js';
import { createBroker, type Broker } from '../broker.js';
import { createBrokerOutbox, receiveBrokerMessages } from '../broker-stream.js';
import type { Handshake } from '../handshake.js';
import { internalServices } from '../internal-services.js';
import { connectHostMuxer, type HostMuxer } from '../multiplex.js';
import { grpcTarget } from '../network.js';
import { within } from '../within.js';
import type { PluginClient, ReattachConfig, StartPluginOptions } from './options.js';
import type { PluginProcess } from './process.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const KILL_WAIT_MS = 2000;
/** After SIGKILL the kernel ends the process at once; this only bounds waiting for the exit event. */
const SIGKILL_WAIT_MS = 500;
const HOST_MAX_MESSAGE_SIZE = 2 ** 31 - 1;

export interface ConnectArgs {
  options: StartPluginOptions;
  handshake: Handshake;
  clientTls?: TlsClientOptions;
  serverTls?: TlsServerOptions;
  process: PluginProcess;
  /** The launched plugin's stdout and stderr have ended. */
  ioDone?: Promise<void>;
  tlsMaterial?: ReattachConfig['tls'];
  test?: boolean;
  connectTimeoutMs: number;
  /** Aborting it ends the broker and stdio streams (kill() does; reattach does when the ping fails). */
  lifetime?: AbortController;
}

export async function connect(args: ConnectArgs): Promise<PluginClient> {
  const { options, handshake, clientTls, serverTls } = args;
  const services = internalServices();
  const clientOptions = { maxReceiveMessageSize: options.maxReceiveMessageSize ?? HOST_MAX_MESSAGE_SIZE };
  const { channel, muxer } = await openChannel(args);
  options.onLaunchEvent?.({ phase: 'connected', tls: clientTls !== undefined });

  // Broker stream: opened at once, errors ignored (go-plugin starts it asynchronously).
  const lifetime = args.lifetime ?? new AbortController();
  const outbox = createBrokerOutbox();
  const broker = createBroker({
    send: outbox.send,
    tls: () => ({ server: serverTls, client: clientTls }),
    transport: options.brokerTransport,
    maxReceiveMessageSize: clientOptions.maxReceiveMessageSize,
    muxer,
  });
  const brokerClient = createClient(services.broker, channel, clientOptions);
  receiveBrokerMessages(brokerClient.StartStream(outbox.messages(lifetime.signal), { signal: lifetime.signal }), (info) => broker.receive(info));
  streamStdio(channel, clientOptions, options, lifetime.signal);

  const health = createClient(services.health, channel, clientOptions);
  const controller = createClient(services.controller, channel, clientOptions);
  const reattachConfig: ReattachConfig = {
    protocol: 'grpc',
    protocolVersion: handshake.appVersion,
    network: handshake.network,
    address: handshake.address,
    pid: args.process.pid,
    ...(args.test ? { test: true } : {}),
    ...(args.tlsMaterial ? { tls: args.tlsMaterial } : {}),
  };
  let killing: Promise<void> | undefined;
  const stopping: Stopping = { args, lifetime, broker, channel, muxer, shutdown: (timeoutMs) => controller.Shutdown({}, { timeoutMs }) };
  return {
    negotiatedVersion: handshake.appVersion,
    channel,
    broker,
    pid: args.process.pid,
    reattachConfig,
    exited: args.process.exited,
    client: (definition) => createClient(definition, channel, clientOptions),
    async ping(pingOptions = {}) {
      const reply = await health.Check({ service: 'plugin' }, { timeoutMs: pingOptions.timeoutMs ?? 10_000 });
      if (reply.status !== 'SERVING') throw new GrpcError(Status.UNAVAILABLE, `the plugin reports ${reply.status}`);
    },
    kill: () => (killing ??= args.test ? detach(stopping) : killPlugin(stopping)),
  };
}

/** The channel, up (HTTP/2 SETTINGS seen); multiplexed, the main connection and every broker connection are yamux streams on one socket. */
async function openChannel(args: ConnectArgs): Promise<{ channel: Channel; muxer?: HostMuxer }> {
  const { handshake } = args;
  const muxer = handshake.multiplex ? await connectHostMuxer(handshake.network, handshake.address, args.connectTimeoutMs) : undefined;
  const channel = createChannel(grpcTarget(handshake.network, handshake.address), {
    connectTimeoutMs: args.connectTimeoutMs,
    ...(args.clientTls ? { tls: args.clientTls } : {}),
    ...(muxer ? { createConnection: () => muxer.openMain() } : {}),
  });
  try {
    await channel.session();
  } catch (err) {
    await muxer?.close();
    throw err;
  }
  return { channel, muxer };
}

/** What the plugin writes to its stdout and stderr after the handshake, from plugin.GRPCStdio. */
function streamStdio(channel: Channel, clientOptions: { maxReceiveMessageSize: number }, options: StartPluginOptions, signal: AbortSignal): void {
  const stdioClient = createClient(internalServices().stdio, channel, clientOptions);
  void (async () => {
    try {
      for await (const chunk of stdioClient.StreamStdio({}, { signal })) {
        if (chunk.channel === 'STDOUT' || chunk.channel === 1) options.onStdout?.(chunk.data);
        else if (chunk.channel === 'STDERR' || chunk.channel === 2) options.onStderr?.(chunk.data);
        else options.logger?.warn('unknown stdio channel from plugin, dropping data', { channel: chunk.channel });
      }
    } catch (err) {
      const code = err instanceof GrpcError ? err.code : undefined;
      if (code !== Status.UNIMPLEMENTED && code !== Status.UNAVAILABLE && code !== Status.CANCELLED) {
        options.logger?.debug('stdio stream from plugin ended', { error: errorMessage(err) });
      }
    }
  })();
}

interface Stopping {
  args: ConnectArgs;
  lifetime: AbortController;
  broker: Broker;
  channel: Channel;
  muxer?: HostMuxer;
  shutdown(timeoutMs: number): Promise<unknown>;
}

/** kill() of a test plugin (ReattachConfig.Test): disconnect, leave it running. */
async function detach(s: Stopping): Promise<void> {
  s.lifetime.abort();
  await s.broker.close().catch(() => {});
  // Bounded by a ref'd timer: otherwise a script whose last act is this kill() can exit mid-await with
  // nothing printed after it (seen with go-plugin-ts inspect --reattach).
  await within(s.channel.close(), 500);
  await s.muxer?.close();
}

/**
 * go-plugin's Kill: Shutdown, then SIGKILL when the plugin has not exited. One 2 s budget for Shutdown and
 * the exit together: a plugin that never answers Shutdown must not get a second 2 s to exit.
 */
async function killPlugin(s: Stopping): Promise<void> {
  const { process: plugin, options } = s.args;
  const killDeadline = Date.now() + KILL_WAIT_MS;
  const left = () => Math.max(0, killDeadline - Date.now());
  await within(s.broker.close().catch(() => {}), left());
  // The result does not matter: a Go plugin stops inside the handler and never answers (docs/protocol.md#internal-services).
  await s.shutdown(Math.max(1, left())).catch(() => {});
  s.lifetime.abort();
  await within(s.channel.close(), Math.min(500, left()));
  await within(s.muxer?.close() ?? Promise.resolve(), Math.min(500, left()));
  const graceful = (await within(Promise.all([plugin.exited, s.args.ioDone ?? Promise.resolve()]).then(() => true), left())) ?? false;
  if (!graceful) {
    options.logger?.warn('plugin failed to exit gracefully', { pid: plugin.pid });
    plugin.kill();
    await within(plugin.exited, SIGKILL_WAIT_MS);
  }
  // A wrapper's children share the group; nothing of the plugin may outlive kill().
  if (plugin.launched) plugin.kill();
}
