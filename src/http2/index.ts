export { type Address, parseAddress, formatAddress } from './address.js';
export type { TlsServerOptions, TlsClientOptions } from './tls-options.js';
export { listen, serveConnections, type Http2Listener, type Http2ConnectionServer, type ListenOptions, type StreamHandler } from './listener.js';
export { createChannel, type Channel, type ChannelOptions } from './channel.js';
