export { type Address, parseAddress, formatAddress } from './address.js';
export type { TlsServerOptions, TlsClientOptions } from './tls-options.js';
export { listen, type Http2Listener, type ListenOptions, type StreamHandler } from './listener.js';
export { createChannel, type Channel, type ChannelOptions } from './channel.js';
