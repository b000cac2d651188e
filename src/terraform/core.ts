// What go-plugin-ts/terraform uses of the core package, in one place. The published build resolves this
// module's import to the package's own root entry (tsup.config.ts), so a provider and the root share one
// copy of serve(), the stdio capture and GrpcError instead of carrying a second one.
export { createLogger, GO_PLUGIN_DEBUG, isLogLevel, loadProto, parseProto, serve, serviceOf } from '../index.js';
export type { LogLevel, Logger, PluginServer, ServeOptions, ServiceDefinition } from '../index.js';
