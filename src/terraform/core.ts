// What go-plugin-ts/terraform uses of the core package, in one place. The published build resolves this
// module's import to the package's own root entry (tsup.config.ts), so a provider and the root share one
// copy of serve(), the stdio capture and GrpcError instead of carrying a second one.
export { createLogger, isLogLevel, protoFromJson, serve, serviceOf } from '../index.js';
// A plain string constant: bundling its own copy costs nothing and shares no state.
export { GO_PLUGIN_DEBUG } from '../plugin/env.js';
export type { LogLevel, Logger, PluginServer, ServeOptions, ServiceDefinition } from '../index.js';
