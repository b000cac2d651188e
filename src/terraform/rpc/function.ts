// Provider functions: GetFunctions, CallFunction, and the function's schema message that
// GetProviderSchema shares. A failed call answers with a FunctionError, not diagnostics.
import { typeToJson } from '../cty/types.js';
import { Diagnostics } from '../diagnostics.js';
import { FunctionArgumentError, type FunctionDefinition } from '../provider.js';
import { decode, encode, type DynamicValue, type Msg, type RpcContext } from './context.js';

export function functionRpcs(rpc: RpcContext) {
  return {
    getFunctions: (): Msg => ({
      functions: Object.fromEntries(Object.entries(rpc.functions).map(([name, f]) => [name, functionMessage(f)])),
      diagnostics: [],
    }),
    callFunction: (request: Msg) => callFunction(rpc, request),
  };
}

export function functionMessage(f: FunctionDefinition<any, any, any>): Msg {
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
}

async function callFunction(rpc: RpcContext, request: Msg): Promise<Msg> {
  const f = Object.hasOwn(rpc.functions, request.name) ? rpc.functions[request.name] : undefined;
  if (!f) return { error: { text: `this provider has no function "${request.name}"` } };
  try {
    const args = functionArguments(f, request.name, request.arguments ?? []);
    const result = await f.run(args as any, rpc.handlerContext(request.name, new Diagnostics()));
    return { result: encode(result, f.returns.type) };
  } catch (err) {
    if (err instanceof FunctionArgumentError) return { error: { text: err.message, functionArgument: BigInt(err.argument) } };
    return { error: { text: err instanceof Error ? err.message : String(err) } };
  }
}

/** Decodes each argument to its parameter's type; a bad one throws a FunctionArgumentError naming it. */
function functionArguments(f: FunctionDefinition<any, any, any>, name: string, given: DynamicValue[]): unknown[] {
  return given.map((value, i) => {
    const parameter = i < f.parameters.length ? f.parameters[i] : f.variadic;
    if (!parameter) throw new FunctionArgumentError(i, `${name} takes ${f.parameters.length} arguments, got ${given.length}`);
    try {
      return decode(value, parameter.type.type);
    } catch (err) {
      throw new FunctionArgumentError(i, `invalid ${parameter.name}: ${(err as Error).message}`);
    }
  });
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
