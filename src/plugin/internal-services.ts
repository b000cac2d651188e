// go-plugin's internal services (go-plugin-protocol.md §6), defined from embedded .proto text so no
// file lookup is needed at run time (bundlers, Bun, Deno). Wire-identical to proto/plugin/*.proto and
// proto/grpc/health/v1/health.proto, which ship in the package for other languages and tools.
import { parseProto, serviceOf } from '../grpc/proto.js';
import type { BidiStreamMethod, ServerStreamMethod, UnaryMethod } from '../grpc/service.js';

const SOURCE = `
syntax = "proto3";
package plugin;
message ConnInfo {
  uint32 service_id = 1;
  string network = 2;
  string address = 3;
  message Knock { bool knock = 1; bool ack = 2; string error = 3; }
  Knock knock = 4;
}
service GRPCBroker { rpc StartStream(stream ConnInfo) returns (stream ConnInfo); }
message Empty {}
service GRPCController { rpc Shutdown(Empty) returns (Empty); }
message StdioData {
  enum Channel { INVALID = 0; STDOUT = 1; STDERR = 2; }
  Channel channel = 1;
  bytes data = 2;
}
message StdioEmpty {}
service GRPCStdio { rpc StreamStdio(StdioEmpty) returns (stream StdioData); }
`;

// google.protobuf.Empty and plugin.Empty have the same (empty) encoding; only paths must match.
const HEALTH_SOURCE = `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

export interface ConnInfo {
  serviceId: number;
  network: string;
  address: string;
  knock?: { knock: boolean; ack: boolean; error: string } | null;
}
export type StdioChannelName = 'INVALID' | 'STDOUT' | 'STDERR';
export interface StdioData {
  channel: StdioChannelName | number;
  data: Uint8Array;
}
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: ServingStatus;
}
type Empty = Record<string, never>;

export type BrokerService = { StartStream: BidiStreamMethod<ConnInfo, ConnInfo> };
export type ControllerService = { Shutdown: UnaryMethod<Empty, Empty> };
export type StdioService = { StreamStdio: ServerStreamMethod<Empty, StdioData> };
export type HealthService = {
  Check: UnaryMethod<HealthCheckRequest, HealthCheckResponse>;
  Watch: ServerStreamMethod<HealthCheckRequest, HealthCheckResponse>;
};

let cache:
  | { broker: BrokerService; controller: ControllerService; stdio: StdioService; health: HealthService }
  | undefined;

export function internalServices() {
  if (cache) return cache;
  const plugin = parseProto(SOURCE, { longs: 'number' });
  const health = parseProto(HEALTH_SOURCE);
  const stdio = serviceOf<StdioService>(plugin, 'plugin.GRPCStdio');
  cache = {
    broker: serviceOf<BrokerService>(plugin, 'plugin.GRPCBroker'),
    controller: serviceOf<ControllerService>(plugin, 'plugin.GRPCController'),
    stdio,
    health: serviceOf<HealthService>(health, 'grpc.health.v1.Health'),
  };
  return cache;
}
