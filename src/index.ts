// First, so that the start-up trace's first mark is when the runtime reached this package.
import { tracePhase } from './grpc/startup-trace.js';
export * from './http2/index.js';
export * from './grpc/index.js';
export * from './plugin/index.js';
export * from './tls/index.js';

tracePhase('go-plugin-ts imported');
