// The KV plugin's services, apart from serve() so tests can run them in-process (see plugin.test.ts).
import type { RegisterVersion } from '../../src/index.js';
import { KV, KV_VERSION } from './handshake.js';

/** The plugin's register functions per protocol version; each call gets a fresh, empty store. */
export function kvVersions(): Record<number, RegisterVersion> {
  const store = new Map<string, Uint8Array>();
  return {
    [KV_VERSION]: (server, _broker, { logger }) => {
      server.addService(KV, {
        Get: ({ key }) => {
          const value = store.get(key);
          logger.debug('get', { key, found: value !== undefined });
          return { value: value ?? new Uint8Array(), found: value !== undefined };
        },
        Put: ({ key, value }) => {
          store.set(key, value);
          logger.info('put', { key, bytes: value.length });
          return {};
        },
        async *List() {
          for (const [key, value] of store) yield { key, value };
        },
      });
    },
  };
}
