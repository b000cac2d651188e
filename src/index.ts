export * from './http2/index.js';
export * from './grpc/index.js';
export * from './plugin/index.js';
export * from './tls/index.js';
export * from './yamux/index.js';
