// serve() in debug mode (see debug.ts): a plugin started by hand, with no host to hand it a cookie,
// certificate or version list.
import { Console } from 'node:console';
import { PLUGIN_CLIENT_CERT, PLUGIN_MULTIPLEX_GRPC, PLUGIN_PROTOCOL_VERSIONS, type Env } from '../env.js';
import type { ReattachConfig } from '../host/options.js';
import { defaultProviderAddress, formatReattachInstructions, type DebugOptions } from './debug.js';
import type { PluginServer, ServeOptions } from './options.js';
import { preparePlugin } from './prepare.js';

/** Debug mode's serve(): the highest version, no AutoMTLS, reflection on, reattach instructions printed. */
export async function serveDebug(options: ServeOptions, version: number, debug: DebugOptions): Promise<PluginServer> {
  // As a host would set it: the cookie matches, and no certificate or version list means no AutoMTLS
  // and our own choice of version.
  const env: Env = { ...(options.env ?? process.env), [options.magicCookieKey]: options.magicCookieValue };
  delete env[PLUGIN_CLIENT_CERT];
  delete env[PLUGIN_PROTOCOL_VERSIONS];
  delete env[PLUGIN_MULTIPLEX_GRPC];
  const plugin = preparePlugin({ ...options, env, reflection: options.reflection ?? true });
  // Nobody streams stdio from a plugin run by hand: its output belongs on the terminal.
  const terminal = new Console({ stdout: process.stdout, stderr: process.stderr });
  await options.versions[version]!(plugin.server, plugin.broker, { logger: plugin.logger, console: terminal });
  const running = await plugin.start(version, { debug: true });
  const reattachConfig: ReattachConfig = { protocol: 'grpc', protocolVersion: version, network: running.network, address: running.address, pid: process.pid, test: true };
  const held = plugin.stdio.drainHeld();
  plugin.stdio.restore();
  for (const bytes of held) process.stdout.write(bytes);
  const text = formatReattachInstructions(reattachConfig, debug.providerAddress ?? defaultProviderAddress());
  if (debug.print) debug.print(text);
  else process.stdout.write(text);
  return { ...running, console: terminal, reattachConfig };
}
