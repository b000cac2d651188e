// plugin.GRPCController: the host's Shutdown (docs/protocol.md#grpccontroller).
import type { Server } from '../../grpc/server.js';
import { internalServices } from '../internal-services.js';

export function addControllerService(server: Server, shutdown: () => void): void {
  server.addService(internalServices().controller, {
    Shutdown: () => {
      // Answer first, then stop: a Go host waits at most 2 s for the exit.
      setImmediate(shutdown);
      return {};
    },
  });
}
