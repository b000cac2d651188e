// plugin.GRPCStdio: what the plugin writes to stdout and stderr, streamed to the host (docs/protocol.md#grpcstdio).
import type { Server } from '../../grpc/server.js';
import { internalServices } from '../internal-services.js';
import type { StdioRouter } from './stdio.js';

export function addStdioService(server: Server, stdio: StdioRouter, lifetime: AbortSignal): void {
  server.addService(internalServices().stdio, {
    StreamStdio: (_request, call) => stdio.stream(AbortSignal.any([call.signal, lifetime])),
  });
}
