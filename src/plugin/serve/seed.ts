// The seed library's API: createGOPluginServer, one protocol version, services added before start().
import type { Server } from '../../grpc/server.js';
import type { Broker } from '../broker.js';
import { PLUGIN_PROTOCOL_VERSIONS } from '../env.js';
import type { Logger } from '../logger.js';
import { negotiateVersion } from '../negotiate.js';
import type { PluginOptions, PluginServer } from './options.js';
import { preparePlugin } from './prepare.js';
import { failStart } from './start-failure.js';

export interface GOPluginServerOptions extends PluginOptions {
  /** The app protocol version this plugin serves (a number or decimal string, as in the seed library). */
  pluginVersion: number | string;
}

export interface GOPluginServer {
  /** Listens and prints the handshake; add services to `server` before. */
  start(): Promise<void>;
  /** The gRPC server: `server.addService(definition, handlers)`. */
  readonly server: Server;
  /** Stops serving (graceful) without exiting the process. */
  close(): Promise<void>;
  /** A Console whose output reaches the host through the stdio stream. */
  readonly console: Console;
  readonly logger: Logger;
  readonly broker: Broker;
}

/**
 * The seed library's API: one protocol version, services added to `server` before `start()`.
 * Throws MagicCookieError at once when the program was not launched by its host.
 */
export function createGOPluginServer(options: GOPluginServerOptions): GOPluginServer {
  const version = Number(options.pluginVersion);
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(`pluginVersion must be a non-negative integer, got ${JSON.stringify(options.pluginVersion)}`);
  }
  const plugin = preparePlugin({ ...options, exitProcess: options.exitProcess ?? true });
  let running: PluginServer | undefined;
  return {
    server: plugin.server,
    broker: plugin.broker,
    logger: plugin.logger,
    console: plugin.stdio.console,
    async start() {
      // The seed served one version whatever the host offered; the host reports a mismatch.
      const negotiated = negotiateVersion([version], plugin.env[PLUGIN_PROTOCOL_VERSIONS]);
      try {
        running = await plugin.start(negotiated.version);
      } catch (err) {
        failStart(err, options.exitProcess ?? true);
      }
    },
    async close() {
      await running?.close();
    },
  };
}
