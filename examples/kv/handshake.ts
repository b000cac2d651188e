// What the KV host and plugin agree on: the cookie, the protocol version, and the service, whose
// definitions and message types `npm run generate` writes into gen/kv.ts from kv.proto.
export { KV, type KVService, type GetRequest, type GetResponse, type PutRequest, type Entry } from './gen/kv.js';

export const KV_COOKIE = { magicCookieKey: 'KV_PLUGIN', magicCookieValue: 'hello-kv' } as const;
export const KV_VERSION = 1;
