// startPlugin(): the host side of go-plugin, read top to bottom (docs/protocol.md#lifecycle). Launch:
// find and check the executable (executable.ts), spawn it with the go-plugin environment (launch.ts,
// process.ts), read its handshake line (plugin-output.ts), connect with AutoMTLS and open the broker and
// stdio streams (connect.ts). Or reattach to a running plugin (reattach.ts). kill() is in connect.ts.
import { launch } from './launch.js';
import type { PluginClient, StartPluginOptions } from './options.js';
import { reattach } from './reattach.js';

export { PluginStartError, type LaunchEvent, type PluginClient, type ReattachConfig, type StartPluginOptions } from './options.js';

export async function startPlugin(options: StartPluginOptions): Promise<PluginClient> {
  if (!options.magicCookieKey || typeof options.magicCookieValue !== 'string') {
    throw new TypeError('magicCookieKey and magicCookieValue are required: the values the plugin expects');
  }
  if (!Array.isArray(options.versions) || options.versions.length === 0 || options.versions.some((v) => !Number.isSafeInteger(v))) {
    throw new TypeError('versions must list the integer app protocol versions this host speaks');
  }
  if (options.reattach && options.multiplex) {
    throw new TypeError('gRPC broker multiplexing is not supported with reattach: leave multiplex off to reattach');
  }
  if (options.reattach) return reattach(options, options.reattach);
  if (!options.command) throw new TypeError('command is required unless reattach is given');
  return launch(options, options.command);
}
