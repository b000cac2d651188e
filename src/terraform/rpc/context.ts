// What every RPC group shares: the provider's definition, its cached cty types, the handlers' context,
// the DynamicValue codecs, and the rule that every failure becomes a diagnostic in the response.
import type { Logger } from '../core.js';
import { decodeJson } from '../cty/json-value.js';
import { decodeMsgpack, encodeMsgpack } from '../cty/msgpack-value.js';
import { CtyValueError } from '../cty/path.js';
import type { CtyType } from '../cty/types.js';
import { isWhollyKnown } from '../cty/values.js';
import { diagnosticFromError, diagnosticMessage, Diagnostics } from '../diagnostics.js';
import type { DataSourceDefinition, FunctionDefinition, HandlerContext, ProviderDefinition, ResourceDefinition } from '../provider.js';
import { absentValue, blockType, schema as s, type Schema } from '../schema.js';
import { validateBlock } from '../validate.js';

export type Msg = Record<string, any>;
export interface DynamicValue {
  msgpack?: Uint8Array;
  json?: Uint8Array;
}

export interface RpcContext {
  readonly definition: ProviderDefinition;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly resources: Record<string, ResourceDefinition<any>>;
  readonly dataSources: Record<string, DataSourceDefinition<any>>;
  readonly functions: Record<string, FunctionDefinition<any, any, any>>;
  readonly providerSchema: Schema<any>;
  /** What `configure` returned; handlers see it as `ctx.provider`. */
  configured: unknown;
  /** The schema's cty object type, computed once per schema. */
  typeOf(schema: Schema<any>): CtyType;
  handlerContext(typeName: string, diagnostics: Diagnostics): HandlerContext;
}

const EMPTY_SCHEMA = s.of({});

export function createRpcContext(definition: ProviderDefinition, logger: Logger, signal: AbortSignal): RpcContext {
  const types = new WeakMap<Schema<any>, CtyType>();
  const rpc: RpcContext = {
    definition,
    logger,
    signal,
    resources: definition.resources ?? {},
    dataSources: definition.dataSources ?? {},
    functions: definition.functions ?? {},
    providerSchema: definition.schema ?? EMPTY_SCHEMA,
    configured: undefined,
    typeOf(sc) {
      let t = types.get(sc);
      if (!t) types.set(sc, (t = blockType(sc.block)));
      return t;
    },
    handlerContext: (typeName, diagnostics) => ({ signal, provider: rpc.configured, logger, diagnostics, typeName }),
  };
  return rpc;
}

/** Runs `body`; whatever it throws joins the diagnostics, and the response is then `failed`. */
export async function call(body: (diagnostics: Diagnostics) => Promise<Msg>, failed: Msg = {}): Promise<Msg> {
  const diagnostics = new Diagnostics();
  let response: Msg;
  try {
    response = await body(diagnostics);
  } catch (err) {
    diagnostics.list.push(diagnosticFromError(err));
    response = failed;
  }
  return { ...response, diagnostics: diagnostics.list.map(diagnosticMessage) };
}

export function resourceNamed(rpc: RpcContext, name: string): ResourceDefinition<any> {
  const r = Object.hasOwn(rpc.resources, name) ? rpc.resources[name] : undefined;
  if (!r) throw new Error(`this provider has no resource type "${name}"`);
  return r;
}

export function dataSourceNamed(rpc: RpcContext, name: string): DataSourceDefinition<any> {
  const d = Object.hasOwn(rpc.dataSources, name) ? rpc.dataSources[name] : undefined;
  if (!d) throw new Error(`this provider has no data source "${name}"`);
  return d;
}

export function decode(value: DynamicValue | undefined | null, type: CtyType): any {
  if (value?.msgpack && value.msgpack.length > 0) return decodeMsgpack(value.msgpack, type);
  if (value?.json && value.json.length > 0) return decodeJson(value.json, type);
  return null;
}

export function encode(value: unknown, type: CtyType): DynamicValue {
  return { msgpack: encodeMsgpack(value, type) };
}

/** Fills what a handler left out from `base`, and insists the result is known. */
export function complete(
  rpc: RpcContext,
  sc: Schema<any>,
  base: Record<string, unknown> | null,
  returned: unknown,
  what: string,
): Record<string, unknown> {
  if (returned === null || typeof returned !== 'object' || Array.isArray(returned)) {
    throw new Error(`${what} must return an object of the resource's attributes, got ${returned === null ? 'null' : typeof returned}`);
  }
  const type = rpc.typeOf(sc) as Extract<CtyType, { kind: 'object' }>;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(type.attributes)) {
    const given = (returned as Record<string, unknown>)[name];
    out[name] = given !== undefined ? given : (base?.[name] ?? absentValue(sc.block, name));
  }
  for (const key of Object.keys(returned)) {
    if (!(key in type.attributes)) throw new CtyValueError([], `${what} returned the attribute "${key}", which is not in the schema`);
  }
  for (const [name, value] of Object.entries(out)) {
    if (!isWhollyKnown(value)) throw new CtyValueError([{ attribute: name }], `${what} left this attribute unknown; set it to a value (or null)`);
  }
  return out;
}

/** The schema's validators, then the definition's own `validate` when those found nothing. */
export async function validateConfig(
  rpc: RpcContext,
  d: ResourceDefinition<any> | DataSourceDefinition<any>,
  request: Msg,
  diagnostics: Diagnostics,
): Promise<Msg> {
  const config = decode(request.config, rpc.typeOf(d.schema));
  validateBlock(d.schema.block, config, diagnostics);
  if (!diagnostics.hasErrors) {
    const returned = await d.validate?.(config, rpc.handlerContext(request.typeName, diagnostics));
    if (returned) diagnostics.add(...returned);
  }
  return {};
}
