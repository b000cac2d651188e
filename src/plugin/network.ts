// The two networks go-plugin speaks on: a unix socket path or a TCP host:port (docs/protocol.md#listeners).
import type { Network } from '../http2/address.js';

export type { Network } from '../http2/address.js';

/** The gRPC dial target for an address on `network`. */
export function grpcTarget(network: Network, address: string): string {
  return network === 'unix' ? `unix:${address}` : address;
}
