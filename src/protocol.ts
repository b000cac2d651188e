// go-plugin-ts/protocol: the go-plugin protocol's rules as pure functions, for tools that read or write
// it without running a plugin or a host (docs/protocol.md). Documented in README.md, "API".
export { formatHandshake, parseHandshake, HandshakeError, type Handshake, type HandshakeFields, type ParseHandshakeOptions } from './plugin/handshake.js';
export { negotiateVersion, parseProtocolVersions, type NegotiatedVersion, type ProtocolVersions } from './plugin/negotiate.js';
export { createLogLineParser, formatLogLine, parseLogLine, LEVELS, type LogRecord, type ParsedLogLine } from './plugin/hclog.js';
export {
  CORE_PROTOCOL_VERSION,
  DEFAULT_MAX_PORT,
  DEFAULT_MIN_PORT,
  GO_PLUGIN_DEBUG,
  KNOWN_HOSTS,
  PLUGIN_CLIENT_CERT,
  PLUGIN_ENV_VARS,
  PLUGIN_MAX_PORT,
  PLUGIN_MIN_PORT,
  PLUGIN_MULTIPLEX_GRPC,
  PLUGIN_PROTOCOL_VERSIONS,
  PLUGIN_UNIX_SOCKET_DIR,
  PLUGIN_UNIX_SOCKET_GROUP,
  type HandshakeConfig,
  type KnownHost,
} from './plugin/env.js';
export { certificateFromBase64Der, certificateToBase64Der } from './tls/mtls.js';
export { formatReattachInstructions, goReattachJson } from './plugin/serve/debug.js';
