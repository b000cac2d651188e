// The provider's RPCs on protocol messages (as loadProto decodes them: lowerCamel fields, bytes as
// Uint8Array, int64 as bigint), common to protocols 5 and 6; serve-provider.ts maps each protocol's
// method names onto them. Every failure becomes a diagnostic in the response, never a gRPC error.
// One file per group of RPCs under rpc/, as terraform-plugin-framework's fwserver has one per RPC.
import type { Logger } from './core.js';
import type { ProviderDefinition } from './provider.js';
import { createRpcContext, type Msg } from './rpc/context.js';
import { dataSourceRpcs } from './rpc/data-source.js';
import { functionRpcs } from './rpc/function.js';
import { providerRpcs } from './rpc/provider.js';
import { resourceRpcs } from './rpc/resource.js';
import { stateRpcs } from './rpc/state.js';

export interface ProviderRpc {
  getMetadata(): Msg;
  getProviderSchema(protocol?: 5 | 6): Msg;
  validateProviderConfig(request: Msg): Promise<Msg>;
  validateResourceConfig(request: Msg): Promise<Msg>;
  validateDataResourceConfig(request: Msg): Promise<Msg>;
  configureProvider(request: Msg): Promise<Msg>;
  upgradeResourceState(request: Msg): Promise<Msg>;
  readResource(request: Msg): Promise<Msg>;
  planResourceChange(request: Msg): Promise<Msg>;
  applyResourceChange(request: Msg): Promise<Msg>;
  importResourceState(request: Msg): Promise<Msg>;
  readDataSource(request: Msg): Promise<Msg>;
  getFunctions(): Msg;
  callFunction(request: Msg): Promise<Msg>;
  stopProvider(): Msg;
  /** Aborted by stopProvider. */
  readonly signal: AbortSignal;
}

export function createProviderRpc(definition: ProviderDefinition, logger: Logger): ProviderRpc {
  const stop = new AbortController();
  const rpc = createRpcContext(definition, logger, stop.signal);
  return {
    signal: stop.signal,
    ...providerRpcs(rpc),
    ...resourceRpcs(rpc),
    ...stateRpcs(rpc),
    ...dataSourceRpcs(rpc),
    ...functionRpcs(rpc),
    stopProvider() {
      logger.info('stop requested by Terraform; aborting running handlers');
      stop.abort(new Error('Terraform asked the provider to stop'));
      return { Error: '' };
    },
  };
}
