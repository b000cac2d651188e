// serveProvider: a Terraform (or OpenTofu) provider on go-plugin's serve, speaking protocols 5 and 6.
// The host picks the newest version both sides know (see docs/protocol.md#handshake-line); each
// protocol's method names map onto the same RPCs. Methods of newer minor versions that the
// provider has nothing for (ephemeral resources, lists, actions, state stores, identities, moves)
// answer UNIMPLEMENTED, as a provider built on an older minor version does; hosts expect that.
import { isLogLevel, type LogLevel } from './core.js';
import { createLogger, type Logger } from './core.js';
import { GO_PLUGIN_DEBUG, serve, type PluginServer, type ServeOptions } from './core.js';
import { providerService, type ProtocolVersion } from './protocol.js';
import type { ProviderDefinition } from './provider.js';
import { createProviderRpc, type ProviderRpc } from './rpc.js';

/** The cookie every Terraform and OpenTofu release sends its providers. */
export const TF_PLUGIN_MAGIC_COOKIE = Object.freeze({
  key: 'TF_PLUGIN_MAGIC_COOKIE',
  value: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
});

export interface ServeProviderOptions extends Pick<ServeOptions, 'transport' | 'exitProcess' | 'env' | 'logger'> {
  /** Protocol versions offered (default both, 5 and 6; the host picks the newest it knows). */
  protocolVersions?: ProtocolVersion[];
  /** Default: TF_LOG_PROVIDER, else TF_LOG, else info. */
  logLevel?: LogLevel;
  /**
   * Debug mode, for a provider started by hand (under a debugger): serves without Terraform, prints
   * the TF_REATTACH_PROVIDERS to export, and runs until Ctrl-C. Default: on when the command line has
   * `--debug` (terraform-plugin-framework's convention) or GO_PLUGIN_DEBUG=1; `false` turns both off.
   */
  debug?: boolean;
  /** The provider's source address, TF_REATTACH_PROVIDERS' key: the `source` configurations give it, in full (`registry.terraform.io/acme/kv`). */
  providerAddress?: string;
  /** Where `--debug` is looked for (default process.argv). */
  argv?: readonly string[];
}

export async function serveProvider(definition: ProviderDefinition<any>, options: ServeProviderOptions = {}): Promise<PluginServer> {
  const env = options.env ?? process.env;
  const level = options.logLevel ?? logLevelFromEnv(env);
  const logger = options.logger ?? (level === 'off' ? silentLogger : createLogger({ level, write: (line) => process.stderr.write(line + '\n') }));
  const rpc = createProviderRpc(definition, logger);
  const versions: ServeOptions['versions'] = {};
  for (const version of options.protocolVersions ?? [5, 6]) {
    if (version !== 5 && version !== 6) throw new TypeError(`protocolVersions may hold 5 and 6, got ${String(version)}`);
    versions[version] = (server) => server.addService(providerService(version), handlers(rpc, version));
  }
  return serve({
    magicCookieKey: TF_PLUGIN_MAGIC_COOKIE.key,
    magicCookieValue: TF_PLUGIN_MAGIC_COOKIE.value,
    versions,
    transport: options.transport,
    exitProcess: options.exitProcess,
    env,
    logger,
    debug: debugRequested(options, env) ? { providerAddress: options.providerAddress } : false,
  });
}

function debugRequested(options: ServeProviderOptions, env: Record<string, string | undefined>): boolean {
  if (options.debug !== undefined) return options.debug;
  if ((options.argv ?? process.argv).slice(2).includes('--debug')) return true;
  const flag = env[GO_PLUGIN_DEBUG]?.trim().toLowerCase();
  return flag === '1' || flag === 'true';
}

function handlers(rpc: ProviderRpc, version: ProtocolVersion): Record<string, (request: any) => unknown> {
  const common = {
    GetMetadata: () => rpc.getMetadata(),
    UpgradeResourceState: rpc.upgradeResourceState,
    ReadResource: rpc.readResource,
    PlanResourceChange: rpc.planResourceChange,
    ApplyResourceChange: rpc.applyResourceChange,
    ImportResourceState: rpc.importResourceState,
    ReadDataSource: rpc.readDataSource,
    GetFunctions: () => rpc.getFunctions(),
    CallFunction: rpc.callFunction,
    // An empty answer rather than UNIMPLEMENTED: hosts of 1.12+ call it whatever the provider serves.
    GetResourceIdentitySchemas: () => ({ identitySchemas: {}, diagnostics: [] }),
  };
  if (version === 5) {
    return {
      ...common,
      GetSchema: () => rpc.getProviderSchema(5),
      PrepareProviderConfig: rpc.validateProviderConfig,
      ValidateResourceTypeConfig: rpc.validateResourceConfig,
      ValidateDataSourceConfig: rpc.validateDataResourceConfig,
      Configure: rpc.configureProvider,
      Stop: () => rpc.stopProvider(),
    };
  }
  return {
    ...common,
    GetProviderSchema: () => rpc.getProviderSchema(6),
    ValidateProviderConfig: async (request) => {
      const { preparedConfig: _, ...response } = await rpc.validateProviderConfig(request);
      return response;
    },
    ValidateResourceConfig: rpc.validateResourceConfig,
    ValidateDataResourceConfig: rpc.validateDataResourceConfig,
    ConfigureProvider: rpc.configureProvider,
    StopProvider: () => rpc.stopProvider(),
  };
}

/** terraform-plugin-log's variables: TF_LOG_PROVIDER wins over TF_LOG; JSON means trace. */
export function logLevelFromEnv(env: Record<string, string | undefined>): LogLevel | 'off' {
  for (const name of ['TF_LOG_PROVIDER', 'TF_LOG']) {
    const value = env[name]?.trim().toLowerCase();
    if (!value) continue;
    if (value === 'json') return 'trace';
    if (value === 'off') return 'off';
    if (isLogLevel(value)) return value;
  }
  return 'info';
}

const silentLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

