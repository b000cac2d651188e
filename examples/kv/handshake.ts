// What the KV host and plugin agree on: the cookie, the protocol version, and the service.
import { fileURLToPath } from 'node:url';
import { loadProto, serviceOf, type ServerStreamMethod, type UnaryMethod } from '../../src/index.js';

export const KV_COOKIE = { magicCookieKey: 'KV_PLUGIN', magicCookieValue: 'hello-kv' } as const;
export const KV_VERSION = 1;

export interface GetRequest { key: string }
export interface GetResponse { value: Uint8Array; found: boolean }
export interface PutRequest { key: string; value: Uint8Array }
export interface Entry { key: string; value: Uint8Array }

export type KVService = {
  Get: UnaryMethod<GetRequest, GetResponse>;
  Put: UnaryMethod<PutRequest, Record<string, never>>;
  List: ServerStreamMethod<Record<string, never>, Entry>;
};

export const KV = serviceOf<KVService>(loadProto(fileURLToPath(new URL('./kv.proto', import.meta.url))), 'kv.KV');
