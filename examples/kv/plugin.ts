// The KV plugin: launched by a go-plugin host (ours in host.ts, or the Go host in go-host/).
import { serve } from '../../src/index.js';
import { KV_COOKIE } from './handshake.js';
import { kvVersions } from './kv-plugin.js';

const plugin = await serve({ ...KV_COOKIE, logLevel: 'debug', reflection: true, versions: kvVersions() });
// console output goes to the host through the stdio stream, never onto the handshake's stdout.
console.log(`kv plugin serving protocol ${plugin.version} on ${plugin.network} ${plugin.address}`);
