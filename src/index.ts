// First, so that the start-up trace's first mark is when the runtime reached this package.
import { tracePhase } from './grpc/startup-trace.js';
// Second: a plugin under AutoMTLS starts its key pair before the rest of the package loads.
import './plugin/serve/early-certificate.js';
export * from './http2/index.js';
export * from './grpc/index.js';
export * from './plugin/index.js';
export * from './tls/index.js';
export * from './yamux/index.js';

tracePhase('go-plugin-ts imported');
