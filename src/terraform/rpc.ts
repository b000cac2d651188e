// The provider's RPCs on protocol messages (as loadProto decodes them: lowerCamel fields, bytes as
// Uint8Array, int64 as bigint), common to protocols 5 and 6; serve-provider.ts maps each protocol's
// method names onto them. Every failure becomes a diagnostic in the response, never a gRPC error.
import type { Logger } from './core.js';
import { decodeJson, parseJson } from './cty/json-value.js';
import { decodeMsgpack, encodeMsgpack } from './cty/msgpack-value.js';
import { numberFromText } from './cty/number.js';
import { CtyValueError, type AttributePath } from './cty/path.js';
import { typeToJson, type CtyType } from './cty/types.js';
import { isWhollyKnown } from './cty/values.js';
import { diagnosticFromError, diagnosticMessage, Diagnostics, pathMessage, toPath } from './diagnostics.js';
import { planResourceChange } from './plan.js';
import type { DataSourceDefinition, FunctionDefinition, HandlerContext, ProviderDefinition, ResourceDefinition } from './provider.js';
import { FunctionArgumentError } from './provider.js';
import { absentValue, blockType, schema as s, schemaMessage, type Schema } from './schema.js';
import { validateBlock } from './validate.js';

type Msg = Record<string, any>;
interface DynamicValue {
  msgpack?: Uint8Array;
  json?: Uint8Array;
}

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

const EMPTY_SCHEMA = s.of({});

export function createProviderRpc(definition: ProviderDefinition, logger: Logger): ProviderRpc {
  const resources = definition.resources ?? {};
  const dataSources = definition.dataSources ?? {};
  const functions = definition.functions ?? {};
  const providerSchema: Schema<any> = definition.schema ?? EMPTY_SCHEMA;
  const stop = new AbortController();
  const types = new WeakMap<Schema<any>, CtyType>();
  const typeOf = (sc: Schema<any>) => {
    let t = types.get(sc);
    if (!t) types.set(sc, (t = blockType(sc.block)));
    return t;
  };
  let configured: unknown;

  const context = (typeName: string, diagnostics: Diagnostics): HandlerContext => ({
    signal: stop.signal,
    provider: configured,
    logger,
    diagnostics,
    typeName,
  });

  /** Runs `body`; whatever it throws joins the diagnostics. */
  async function call(body: (diagnostics: Diagnostics) => Promise<Msg>, failed: Msg = {}): Promise<Msg> {
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

  function resourceNamed(name: string): ResourceDefinition<any> {
    const r = Object.hasOwn(resources, name) ? resources[name] : undefined;
    if (!r) throw new Error(`this provider has no resource type "${name}"`);
    return r;
  }

  function dataSourceNamed(name: string): DataSourceDefinition<any> {
    const d = Object.hasOwn(dataSources, name) ? dataSources[name] : undefined;
    if (!d) throw new Error(`this provider has no data source "${name}"`);
    return d;
  }

  const decode = (value: DynamicValue | undefined | null, type: CtyType): any => {
    if (value?.msgpack && value.msgpack.length > 0) return decodeMsgpack(value.msgpack, type);
    if (value?.json && value.json.length > 0) return decodeJson(value.json, type);
    return null;
  };
  const encode = (value: unknown, type: CtyType): DynamicValue => ({ msgpack: encodeMsgpack(value, type) });

  /** Fills what a handler left out from `base`, and insists the result is known. */
  function complete(sc: Schema<any>, base: Record<string, unknown> | null, returned: unknown, what: string): Record<string, unknown> {
    if (returned === null || typeof returned !== 'object' || Array.isArray(returned)) {
      throw new Error(`${what} must return an object of the resource's attributes, got ${returned === null ? 'null' : typeof returned}`);
    }
    const type = typeOf(sc) as Extract<CtyType, { kind: 'object' }>;
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
  async function validate(d: ResourceDefinition<any> | DataSourceDefinition<any>, request: Msg, diagnostics: Diagnostics): Promise<Msg> {
    const config = decode(request.config, typeOf(d.schema));
    validateBlock(d.schema.block, config, diagnostics);
    if (!diagnostics.hasErrors) {
      const returned = await d.validate?.(config, context(request.typeName, diagnostics));
      if (returned) diagnostics.add(...returned);
    }
    return {};
  }

  const functionMessage = (f: FunctionDefinition<any, any, any>): Msg => {
    const parameter = (p: FunctionDefinition['parameters'][number]) => ({
      name: p.name,
      type: jsonBytes(typeToJson(p.type.type)),
      allowNullValue: p.allowNull === true,
      allowUnknownValues: p.allowUnknown === true,
      description: p.description ?? '',
      descriptionKind: 'PLAIN',
    });
    return {
      parameters: f.parameters.map(parameter),
      ...(f.variadic ? { variadicParameter: parameter(f.variadic) } : {}),
      return: { type: jsonBytes(typeToJson(f.returns.type)) },
      summary: f.summary ?? '',
      description: f.description ?? '',
      descriptionKind: 'PLAIN',
      deprecationMessage: f.deprecated ?? '',
    };
  };

  const capabilities = { planDestroy: false, getProviderSchemaOptional: false, moveResourceState: false, generateResourceConfig: false };

  return {
    signal: stop.signal,

    getMetadata: () => ({
      serverCapabilities: capabilities,
      diagnostics: [],
      resources: Object.keys(resources).map((typeName) => ({ typeName })),
      dataSources: Object.keys(dataSources).map((typeName) => ({ typeName })),
      functions: Object.keys(functions).map((name) => ({ name })),
    }),

    getProviderSchema: (protocol = 6) => ({
      provider: schemaMessage(providerSchema, protocol),
      resourceSchemas: Object.fromEntries(Object.entries(resources).map(([name, r]) => [name, schemaMessage(r.schema, protocol)])),
      dataSourceSchemas: Object.fromEntries(Object.entries(dataSources).map(([name, d]) => [name, schemaMessage(d.schema, protocol)])),
      functions: Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, functionMessage(f)])),
      serverCapabilities: capabilities,
      diagnostics: [],
    }),

    validateProviderConfig: (request) =>
      call(async (diagnostics) => {
        const config = decode(request.config, typeOf(providerSchema));
        validateBlock(providerSchema.block, config, diagnostics);
        // Protocol 5's PrepareProviderConfig answers with the configuration to use: the same one.
        return { preparedConfig: request.config };
      }),

    validateResourceConfig: (request) => call((diagnostics) => validate(resourceNamed(request.typeName), request, diagnostics)),

    validateDataResourceConfig: (request) => call((diagnostics) => validate(dataSourceNamed(request.typeName), request, diagnostics)),

    configureProvider: (request) =>
      call(async (diagnostics) => {
        const config = decode(request.config, typeOf(providerSchema));
        if (definition.configure) {
          configured = await definition.configure(config, { ...context('provider', diagnostics), terraformVersion: request.terraformVersion ?? '' });
        }
        return {};
      }),

    upgradeResourceState: (request) =>
      call(async (diagnostics) => {
        const r = resourceNamed(request.typeName);
        const type = typeOf(r.schema);
        const raw: Msg = request.rawState ?? {};
        const version = Number(request.version ?? 0);
        if (!raw.json || raw.json.length === 0) {
          if (raw.flatmap && Object.keys(raw.flatmap).length > 0) {
            throw new Error('this provider cannot read state in the flatmap format of Terraform 0.11 and earlier; upgrade it with an older provider first');
          }
          return { upgradedState: encode(null, type) };
        }
        if (version === r.schema.version || !r.upgradeState) {
          if (version > r.schema.version) {
            throw new Error(`the stored state has schema version ${version}, newer than this provider's ${r.schema.version}; use a newer provider`);
          }
          return { upgradedState: encode(decodeJson(raw.json, type, { ignoreUndefinedAttributes: true }), type) };
        }
        const state = plainJson(new TextDecoder().decode(raw.json));
        const upgraded = await r.upgradeState({ version, state }, context(request.typeName, diagnostics));
        return { upgradedState: encode(complete(r.schema, null, upgraded, 'upgradeState'), type) };
      }),

    readResource: (request) =>
      call(
        async (diagnostics) => {
          const r = resourceNamed(request.typeName);
          const type = typeOf(r.schema);
          const state = decode(request.currentState, type);
          if (state === null) return { newState: encode(null, type), private: request.private };
          const read = await r.read({ state }, context(request.typeName, diagnostics));
          const newState = read === null ? null : complete(r.schema, state, read, 'read');
          return { newState: encode(newState, type), private: request.private };
        },
        { newState: request.currentState, private: request.private },
      ),

    planResourceChange: (request) =>
      call(
        async (diagnostics) => {
          const r = resourceNamed(request.typeName);
          const type = typeOf(r.schema);
          const prior = decode(request.priorState, type);
          const proposed = decode(request.proposedNewState, type);
          const config = decode(request.config, type);
          const result = planResourceChange({ schema: r.schema, prior, proposed, config });
          let planned: any = result.planned;
          const replace: AttributePath[] = [...result.requiresReplace];
          if (r.plan && planned !== null) {
            const changed = await r.plan(
              { prior, config, planned },
              { ...context(request.typeName, diagnostics), requireReplace: (path) => replace.push(toPath(path)) },
            );
            if (changed !== undefined) planned = changed as unknown;
          }
          return {
            plannedState: encode(planned, type),
            requiresReplace: replace.map(pathMessage),
            plannedPrivate: request.priorPrivate,
          };
        },
        { plannedState: request.proposedNewState },
      ),

    applyResourceChange: (request) =>
      call(
        async (diagnostics) => {
          const r = resourceNamed(request.typeName);
          const type = typeOf(r.schema);
          const prior = decode(request.priorState, type);
          const planned = decode(request.plannedState, type);
          const config = decode(request.config, type);
          const ctx = context(request.typeName, diagnostics);
          if (planned === null) {
            await r.delete({ state: prior }, ctx);
            return { newState: encode(null, type) };
          }
          let state: Record<string, unknown>;
          if (prior === null) state = complete(r.schema, planned, await r.create({ planned, config }, ctx), 'create');
          else {
            if (!r.update) throw new Error(`resource type "${request.typeName}" cannot be updated in place; mark its attributes requiresReplace`);
            state = complete(r.schema, planned, await r.update({ prior, planned, config }, ctx), 'update');
          }
          return { newState: encode(state, type), private: request.plannedPrivate };
        },
        // Keep what existed: Terraform records the prior object when apply fails.
        { newState: request.priorState },
      ),

    importResourceState: (request) =>
      call(async (diagnostics) => {
        const r = resourceNamed(request.typeName);
        if (!r.importState) throw new Error(`resource type "${request.typeName}" does not support import`);
        const state = complete(r.schema, null, await r.importState(request.id, context(request.typeName, diagnostics)), 'importState');
        return { importedResources: [{ typeName: request.typeName, state: encode(state, typeOf(r.schema)) }] };
      }),

    readDataSource: (request) =>
      call(async (diagnostics) => {
        const d = dataSourceNamed(request.typeName);
        const type = typeOf(d.schema);
        const config = decode(request.config, type);
        const data = await d.read({ config }, context(request.typeName, diagnostics));
        return { state: encode(complete(d.schema, config, data, 'read'), type) };
      }),

    getFunctions: () => ({
      functions: Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, functionMessage(f)])),
      diagnostics: [],
    }),

    async callFunction(request) {
      const f = Object.hasOwn(functions, request.name) ? functions[request.name] : undefined;
      if (!f) return { error: { text: `this provider has no function "${request.name}"` } };
      const args: unknown[] = [];
      const given: DynamicValue[] = request.arguments ?? [];
      try {
        given.forEach((value, i) => {
          const parameter = i < f.parameters.length ? f.parameters[i] : f.variadic;
          if (!parameter) throw new FunctionArgumentError(i, `${request.name} takes ${f.parameters.length} arguments, got ${given.length}`);
          try {
            args.push(decode(value, parameter.type.type));
          } catch (err) {
            throw new FunctionArgumentError(i, `invalid ${parameter.name}: ${(err as Error).message}`);
          }
        });
        const result = await f.run(args as any, context(request.name, new Diagnostics()));
        return { result: encode(result, f.returns.type) };
      } catch (err) {
        if (err instanceof FunctionArgumentError) return { error: { text: err.message, functionArgument: BigInt(err.argument) } };
        return { error: { text: err instanceof Error ? err.message : String(err) } };
      }
    },

    stopProvider() {
      logger.info('stop requested by Terraform; aborting running handlers');
      stop.abort(new Error('Terraform asked the provider to stop'));
      return { Error: '' };
    },
  };
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** JSON as plain values, numbers exact (number, bigint or decimal text). */
function plainJson(text: string): unknown {
  const convert = (node: any): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) return node.map(convert);
    if ('number' in node) return numberFromText(node.number);
    return Object.fromEntries((node.object as Array<[string, unknown]>).map(([k, v]) => [k, convert(v)]));
  };
  return convert(parseJson(text));
}

