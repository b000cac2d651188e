// The package's public API: exactly what README.md documents (its "API" section lists these names, and
// test/unit/public-api.test.ts holds the two together). Protocol helpers for other tools are in
// go-plugin-ts/protocol (src/protocol.ts); everything else is private.
// First, so that the start-up trace's first mark is when the runtime reached this package.
import { tracePhase } from './grpc/startup-trace.js';
// Second: a plugin under AutoMTLS starts its key pair before the rest of the package loads.
import './plugin/serve/early-certificate.js';

// Writing a plugin.
export { serve } from './plugin/serve/serve.js';
export { createGOPluginServer, type GOPluginServer, type GOPluginServerOptions } from './plugin/serve/seed.js';
export {
  MagicCookieError,
  type PluginOptions,
  type PluginServer,
  type RegisterContext,
  type RegisterVersion,
  type ServeOptions,
} from './plugin/serve/options.js';
export type { DebugOptions } from './plugin/serve/debug.js';
export { testPlugin, type TestLogEntry, type TestPluginClient, type TestPluginOptions } from './plugin/testing.js';
export { createLogger, type Logger, type LoggerOptions } from './plugin/logger.js';
export { isLogLevel, type LogFields, type LogLevel } from './plugin/hclog.js';
export type { Broker } from './plugin/broker.js';
export type { ConnInfo } from './plugin/internal-services.js';
export type { Network } from './plugin/network.js';

// Hosting a plugin.
export { startPlugin } from './plugin/host/start.js';
export { PluginStartError, type LaunchEvent, type PluginClient, type ReattachConfig, type StartPluginOptions } from './plugin/host/options.js';

// The gRPC layer.
export { createServer, type Server, type ServerListenOptions, type ServerOptions } from './grpc/server.js';
export { createClient, type Client, type ClientOptions } from './grpc/client.js';
export { createChannel, type Channel, type ChannelOptions } from './http2/channel.js';
export { GrpcError, Status } from './grpc/status.js';
export { Metadata, type MetadataInit, type MetadataValue } from './grpc/metadata.js';
export { loadProto, parseProto, protoFromJson, serviceOf, type LoadedProto, type LoadProtoOptions } from './grpc/proto.js';
export { FILE_DESCRIPTORS } from './grpc/descriptors.js';
export {
  defineService,
  type BidiStreamHandler,
  type BidiStreamMethod,
  type CallOptions,
  type ClientMethodFor,
  type ClientStreamHandler,
  type ClientStreamMethod,
  type HandlerFor,
  type MethodDefinition,
  type RequestOf,
  type ResponseOf,
  type ServerCallContext,
  type ServerStreamHandler,
  type ServerStreamMethod,
  type ServiceClient,
  type ServiceDefinition,
  type ServiceHandlers,
  type UnaryHandler,
  type UnaryMethod,
} from './grpc/service.js';
export { generatedCodecs, generatedService, type CodecRuntime, type GeneratedEnum, type GeneratedMessage, type GeneratedMethod } from './grpc/generated.js';
export type { MessageCodec } from './grpc/proto-codec.js';
export type { Encoding } from './grpc/compression.js';
export type { TlsClientOptions, TlsServerOptions } from './http2/tls-options.js';

// Certificates (AutoMTLS).
export { generateCertificate, type Certificate, type CertificateOptions, type Curve } from './tls/x509.js';
export { hostClientTls, hostServerTls, parseCertificatePem, pluginClientTls, pluginServerTls, type OwnCertificate, type ParsedCertificate } from './tls/mtls.js';

// Multiplexing: yamux for other uses.
export { createSession as createYamuxSession, type SessionOptions as YamuxSessionOptions, type YamuxSession } from './yamux/session.js';

tracePhase('go-plugin-ts imported');
