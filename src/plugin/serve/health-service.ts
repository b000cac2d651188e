// grpc.health.v1.Health as go-plugin's plugin serves it: "plugin" (and "") are SERVING until the plugin
// stops (docs/protocol.md#health).
import type { Server } from '../../grpc/server.js';
import { GrpcError, Status } from '../../grpc/status.js';
import { internalServices, type HealthCheckResponse } from '../internal-services.js';

const isKnown = (service: string) => service === '' || service === 'plugin';

export function addHealthService(server: Server, lifetime: AbortSignal): void {
  server.addService(internalServices().health, {
    Check: ({ service }) => {
      // grpc-go's health server answers like this for the names it does not know.
      if (isKnown(service)) return { status: 'SERVING' } satisfies HealthCheckResponse;
      throw new GrpcError(Status.NOT_FOUND, 'unknown service');
    },
    async *Watch({ service }, call) {
      const known = isKnown(service);
      yield { status: known ? 'SERVING' : 'SERVICE_UNKNOWN' } satisfies HealthCheckResponse;
      await untilAborted(call.signal, lifetime);
      if (!call.signal.aborted && known) yield { status: 'NOT_SERVING' } satisfies HealthCheckResponse;
    },
  });
}

function untilAborted(...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    for (const s of signals) {
      if (s.aborted) return resolve();
      s.addEventListener('abort', () => resolve(), { once: true });
    }
  });
}
