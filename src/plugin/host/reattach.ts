// Reattaching to a running plugin (go-plugin's ClientConfig.Reattach): check the pid, connect with the
// saved TLS material, and ping once as go-plugin's test dial does (docs/protocol.md#reattach).
import { errorMessage } from '../../errors.js';
import { hostClientTls, hostServerTls } from '../../tls/index.js';
import type { Handshake } from '../handshake.js';
import { within } from '../within.js';
import { connect, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
import { PluginStartError, type PluginClient, type ReattachConfig, type StartPluginOptions } from './options.js';
import { attachProcess } from './process.js';

/** A reattach whose ping failed closes its channel within this; an open call must not hold it. */
const REATTACH_CLOSE_WAIT_MS = 1000;
const REATTACH_PING_TIMEOUT_MS = 5000;

export async function reattach(options: StartPluginOptions, config: ReattachConfig): Promise<PluginClient> {
  if (config.protocol !== 'grpc') throw new PluginStartError(`reattach: protocol "${config.protocol}" is not supported; only grpc`);
  const plugin = attachProcess(config.pid);
  const own = config.tls ? { certPem: config.tls.hostCertPem, keyPem: config.tls.hostKeyPem } : undefined;
  const clientTls = own && config.tls ? hostClientTls(own, config.tls.pluginCertPem) : undefined;
  const serverTls = own && config.tls ? hostServerTls(own, config.tls.pluginCertPem) : undefined;
  const handshake: Handshake = {
    coreVersion: 1,
    appVersion: config.protocolVersion,
    network: config.network,
    address: config.address,
    protocol: 'grpc',
    multiplex: false,
  };
  // go-plugin's one test dial: a socket that refuses the connection fails like a failed Ping.
  const unreachable = (err: unknown) =>
    new PluginStartError(`reattachment process not found: cannot reach the plugin at ${config.address}: ${errorMessage(err)}`, null, [], { cause: err });
  // Ends the broker and stdio streams connect() opens if the ping fails: a channel closes only once
  // its streams end, and a plugin that never ends them would hold the reattach forever.
  const lifetime = new AbortController();
  let client: PluginClient;
  try {
    client = await connect({
      lifetime,
      options,
      handshake,
      clientTls,
      serverTls,
      process: plugin,
      tlsMaterial: config.tls,
      test: config.test,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw unreachable(err);
  }
  try {
    await client.ping({ timeoutMs: REATTACH_PING_TIMEOUT_MS });
  } catch (err) {
    lifetime.abort();
    await within(client.channel.close(), REATTACH_CLOSE_WAIT_MS);
    throw unreachable(err);
  }
  return client;
}
