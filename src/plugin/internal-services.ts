// go-plugin's internal services (docs/protocol.md#internal-services) with hand-written codecs: no .proto is loaded
// or parsed at start-up. Wire-identical to proto/plugin/*.proto and proto/grpc/health/v1/health.proto,
// which ship in the package for other languages and tools.
import type { BidiStreamMethod, MethodDefinition, ServerStreamMethod, UnaryMethod } from '../grpc/service.js';
import { camelCase } from '../grpc/service.js';
import { attachPackagedDescriptors } from '../grpc/packaged-protos.js';
import { WireWriter, decodeString, readFields } from './wire.js';

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

interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const empty: Codec<Empty> = {
  encode: () => new Uint8Array(0),
  decode: () => ({}),
};

export const connInfoCodec: Codec<ConnInfo> = {
  encode(info) {
    const w = new WireWriter().varint(1, info.serviceId).string(2, info.network ?? '').string(3, info.address ?? '');
    if (info.knock) {
      const k = new WireWriter().bool(1, info.knock.knock).bool(2, info.knock.ack).string(3, info.knock.error ?? '').finish();
      w.message(4, k);
    }
    return w.finish();
  },
  decode(bytes) {
    const info: ConnInfo = { serviceId: 0, network: '', address: '', knock: null };
    readFields(bytes, (field, v) => {
      if (field === 1 && v.wireType === 0) info.serviceId = v.value;
      else if (field === 2) info.network = decodeString(v);
      else if (field === 3) info.address = decodeString(v);
      else if (field === 4 && v.wireType === 2) {
        const knock = { knock: false, ack: false, error: '' };
        readFields(v.value, (f, kv) => {
          if (f === 1 && kv.wireType === 0) knock.knock = kv.value !== 0;
          else if (f === 2 && kv.wireType === 0) knock.ack = kv.value !== 0;
          else if (f === 3) knock.error = decodeString(kv);
        });
        info.knock = knock;
      }
    });
    return info;
  },
};

const STDIO_CHANNELS: readonly StdioChannelName[] = ['INVALID', 'STDOUT', 'STDERR'];

export const stdioDataCodec: Codec<StdioData> = {
  encode(d) {
    const channel = typeof d.channel === 'number' ? d.channel : STDIO_CHANNELS.indexOf(d.channel);
    return new WireWriter().varint(1, Math.max(0, channel)).bytes(2, d.data).finish();
  },
  decode(bytes) {
    const d: StdioData = { channel: 'INVALID', data: new Uint8Array(0) };
    readFields(bytes, (field, v) => {
      if (field === 1 && v.wireType === 0) d.channel = STDIO_CHANNELS[v.value] ?? v.value;
      else if (field === 2 && v.wireType === 2) d.data = v.value.slice();
    });
    return d;
  },
};

const SERVING: readonly ServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

const healthRequestCodec: Codec<HealthCheckRequest> = {
  encode: (r) => new WireWriter().string(1, r.service ?? '').finish(),
  decode(bytes) {
    const r = { service: '' };
    readFields(bytes, (field, v) => {
      if (field === 1) r.service = decodeString(v);
    });
    return r;
  },
};

const healthResponseCodec: Codec<HealthCheckResponse> = {
  encode: (r) => new WireWriter().varint(1, Math.max(0, SERVING.indexOf(r.status))).finish(),
  decode(bytes) {
    const r: HealthCheckResponse = { status: 'UNKNOWN' };
    readFields(bytes, (field, v) => {
      if (field === 1 && v.wireType === 0) r.status = SERVING[v.value] ?? 'UNKNOWN';
    });
    return r;
  },
};

function method<Req, Res, RS extends boolean, SS extends boolean>(
  path: string,
  requestStream: RS,
  responseStream: SS,
  req: Codec<Req>,
  res: Codec<Res>,
): MethodDefinition<Req, Res, RS, SS> {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: req.encode,
    requestDeserialize: req.decode,
    responseSerialize: res.encode,
    responseDeserialize: res.decode,
    originalName: camelCase(path.slice(path.lastIndexOf('/') + 1)),
  };
}

let cache: { broker: BrokerService; controller: ControllerService; stdio: StdioService; health: HealthService } | undefined;

export function internalServices() {
  if (cache) return cache;
  cache = {
    broker: { StartStream: method('/plugin.GRPCBroker/StartStream', true, true, connInfoCodec, connInfoCodec) },
    controller: { Shutdown: method('/plugin.GRPCController/Shutdown', false, false, empty, empty) },
    stdio: { StreamStdio: method('/plugin.GRPCStdio/StreamStdio', false, true, empty, stdioDataCodec) },
    health: {
      Check: method('/grpc.health.v1.Health/Check', false, false, healthRequestCodec, healthResponseCodec),
      Watch: method('/grpc.health.v1.Health/Watch', false, true, healthRequestCodec, healthResponseCodec),
    },
  };
  // For reflection only, read from the shipped .proto files when first asked (never at start-up).
  attachPackagedDescriptors(cache.broker, 'plugin/grpc_broker.proto', 'plugin.GRPCBroker');
  attachPackagedDescriptors(cache.controller, 'plugin/grpc_controller.proto', 'plugin.GRPCController');
  attachPackagedDescriptors(cache.stdio, 'plugin/grpc_stdio.proto', 'plugin.GRPCStdio');
  attachPackagedDescriptors(cache.health, 'grpc/health/v1/health.proto', 'grpc.health.v1.Health');
  return cache;
}
