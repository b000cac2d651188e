// serve(): go-plugin's Serve, read top to bottom (docs/protocol.md#lifecycle): check the cookie, make the
// gRPC server with the internal services (prepare.ts), negotiate the app version (../negotiate.ts),
// register that version's services, then listen, set up AutoMTLS and print the handshake (prepare.ts).
import { tracePhase } from '../../grpc/startup-trace.js';
import { PLUGIN_PROTOCOL_VERSIONS } from '../env.js';
import { negotiateVersion } from '../negotiate.js';
import { debugMode } from './debug.js';
import { serveDebug } from './serve-debug.js';
import type { PluginServer, ServeOptions } from './options.js';
import { preparePlugin } from './prepare.js';
import { failStart } from './start-failure.js';

/**
 * Starts the plugin: checks the cookie, negotiates the version, listens, prints the handshake and serves.
 * With `exitProcess` (default) any start-up failure prints one line on stderr and exits 1.
 */
export async function serve(options: ServeOptions): Promise<PluginServer> {
  try {
    const served = Object.keys(options.versions ?? {}).map(Number);
    if (served.length === 0 || served.some((v) => !Number.isSafeInteger(v))) {
      throw new TypeError('versions must map at least one integer app protocol version to a register function');
    }
    tracePhase('serve() called');
    const debug = debugMode(options.debug, options.env ?? process.env);
    if (debug) return await serveDebug(options, Math.max(...served), debug);
    const plugin = preparePlugin(options);
    tracePhase('serve: prepared (cookie, gRPC server, internal services)');
    const negotiated = negotiateVersion(served, plugin.env[PLUGIN_PROTOCOL_VERSIONS]);
    for (const item of negotiated.skipped) plugin.logger.warn('ignoring a PLUGIN_PROTOCOL_VERSIONS item that is not an integer', { item });
    await options.versions[negotiated.version]!(plugin.server, plugin.broker, { logger: plugin.logger, console: plugin.stdio.console });
    tracePhase(`serve: version ${negotiated.version}'s services registered`);
    return await plugin.start(negotiated.version);
  } catch (err) {
    return failStart(err, options.exitProcess ?? true);
  }
}

