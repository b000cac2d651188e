export * from './env.js';
export * from './handshake.js';
export * from './negotiate.js';
export * from './hclog.js';
export * from './logger.js';
export * from './socket-path.js';
export * from './stdio-buffer.js';
