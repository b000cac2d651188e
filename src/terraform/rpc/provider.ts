// The provider-wide RPCs: GetMetadata, GetProviderSchema, ValidateProviderConfig (protocol 5's
// PrepareProviderConfig) and ConfigureProvider.
import { schemaMessage, type Schema } from '../schema.js';
import { validateBlock } from '../validate.js';
import { call, decode, type Msg, type RpcContext } from './context.js';
import { functionMessage } from './function.js';

const capabilities = { planDestroy: false, getProviderSchemaOptional: false, moveResourceState: false, generateResourceConfig: false };

export function providerRpcs(rpc: RpcContext) {
  return {
    getMetadata: (): Msg => ({
      serverCapabilities: capabilities,
      diagnostics: [],
      resources: Object.keys(rpc.resources).map((typeName) => ({ typeName })),
      dataSources: Object.keys(rpc.dataSources).map((typeName) => ({ typeName })),
      functions: Object.keys(rpc.functions).map((name) => ({ name })),
    }),
    getProviderSchema: (protocol: 5 | 6 = 6) => providerSchema(rpc, protocol),
    validateProviderConfig: (request: Msg) => validateProviderConfig(rpc, request),
    configureProvider: (request: Msg) => configureProvider(rpc, request),
  };
}

function providerSchema(rpc: RpcContext, protocol: 5 | 6): Msg {
  const schemas = (definitions: Record<string, { schema: Schema<any> }>) =>
    Object.fromEntries(Object.entries(definitions).map(([name, d]) => [name, schemaMessage(d.schema, protocol)]));
  return {
    provider: schemaMessage(rpc.providerSchema, protocol),
    resourceSchemas: schemas(rpc.resources),
    dataSourceSchemas: schemas(rpc.dataSources),
    functions: Object.fromEntries(Object.entries(rpc.functions).map(([name, f]) => [name, functionMessage(f)])),
    serverCapabilities: capabilities,
    diagnostics: [],
  };
}

function validateProviderConfig(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(async (diagnostics) => {
    const config = decode(request.config, rpc.typeOf(rpc.providerSchema));
    validateBlock(rpc.providerSchema.block, config, diagnostics);
    // Protocol 5's PrepareProviderConfig answers with the configuration to use: the same one.
    return { preparedConfig: request.config };
  });
}

function configureProvider(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(async (diagnostics) => {
    const config = decode(request.config, rpc.typeOf(rpc.providerSchema));
    if (rpc.definition.configure) {
      const ctx = { ...rpc.handlerContext('provider', diagnostics), terraformVersion: request.terraformVersion ?? '' };
      rpc.configured = await rpc.definition.configure(config, ctx);
    }
    return {};
  });
}
