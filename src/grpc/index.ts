export { Status, GrpcError, statusName, parseStatus } from './status.js';
export { Metadata, type MetadataValue, type MetadataInit, isReservedKey, METADATA_BUDGET_BYTES } from './metadata.js';
export { encodeGrpcMessage, decodeGrpcMessage } from './percent.js';
export { parseGrpcTimeout, formatGrpcTimeout } from './timeout.js';
export { encodeFrame, FrameDecoder, type Frame } from './framing.js';
export { type Encoding } from './compression.js';
export {
  defineService,
  type MethodDefinition,
  type UnaryMethod,
  type ServerStreamMethod,
  type ClientStreamMethod,
  type BidiStreamMethod,
  type ServiceDefinition,
  type ServerCallContext,
  type UnaryHandler,
  type ServerStreamHandler,
  type ClientStreamHandler,
  type BidiStreamHandler,
  type ServiceHandlers,
  type HandlerFor,
  type CallOptions,
  type ServiceClient,
  type ClientMethodFor,
  type RequestOf,
  type ResponseOf,
} from './service.js';
export { loadProto, parseProto, serviceOf, messageOf, type LoadProtoOptions, type LoadedProto } from './proto.js';
export { FILE_DESCRIPTORS, fileDescriptorsOf } from './descriptors.js';
export {
  generatedCodecs,
  generatedService,
  type GeneratedMessage,
  type GeneratedEnum,
  type GeneratedMethod,
  type CodecRuntime,
} from './generated.js';
export { type MessageCodec } from './proto-codec.js';
export { createServer, type Server, type ServerOptions, type ServerListenOptions } from './server.js';
export { createClient, type Client, type ClientOptions } from './client.js';
export { GO_PLUGIN_TS_TRACE } from './startup-trace.js';
