// The KV plugin: launched by a go-plugin host (ours in host.ts, or the Go host in go-host/).
import { serve } from '../../src/index.js';
import { KV, KV_COOKIE, KV_VERSION } from './handshake.js';

const store = new Map<string, Uint8Array>();

const plugin = await serve({
  ...KV_COOKIE,
  logLevel: 'debug',
  versions: {
    [KV_VERSION]: (server) =>
      server.addService(KV, {
        Get: ({ key }) => {
          const value = store.get(key);
          plugin.logger.debug('get', { key, found: value !== undefined });
          return { value: value ?? new Uint8Array(), found: value !== undefined };
        },
        Put: ({ key, value }) => {
          store.set(key, value);
          plugin.logger.info('put', { key, bytes: value.length });
          return {};
        },
        async *List() {
          for (const [key, value] of store) yield { key, value };
        },
      }),
  },
});

// console output goes to the host through the stdio stream, never onto the handshake's stdout.
console.log(`kv plugin serving protocol ${plugin.version} on ${plugin.network} ${plugin.address}`);
