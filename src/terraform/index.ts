// go-plugin-ts/terraform: Terraform and OpenTofu providers in TypeScript.
export { serveProvider, logLevelFromEnv, TF_PLUGIN_MAGIC_COOKIE, type ServeProviderOptions } from './serve-provider.js';
export {
  resource,
  dataSource,
  providerFunction,
  FunctionArgumentError,
  type ProviderDefinition,
  type ResourceDefinition,
  type DataSourceDefinition,
  type FunctionDefinition,
  type FunctionParameter,
  type HandlerContext,
  type PlanContext,
  type Planned,
  type ValidateResult,
} from './provider.js';
export { schema, types, type Schema, type ValueOf, type Attribute, type AttributeOptions, type NestedBlock, type BlockSpec, type Typed } from './schema.js';
export { TerraformError, Diagnostics, type Diagnostic, type DiagnosticInput, type PathInput } from './diagnostics.js';
export { planResourceChange, valuesEqual, type PlanInput, type PlanOutput } from './plan.js';
export { createProviderRpc, type ProviderRpc } from './rpc.js';
export { providerService, type ProtocolVersion } from './protocol.js';
export * from './cty/index.js';
