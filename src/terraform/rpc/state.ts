// Stored state coming in from outside the plan: UpgradeResourceState (state written by an older
// schema version, as JSON) and ImportResourceState.
import { decodeJson, parseJson } from '../cty/json-value.js';
import { numberFromText } from '../cty/number.js';
import { call, complete, encode, resourceNamed, type Msg, type RpcContext } from './context.js';

export function stateRpcs(rpc: RpcContext) {
  return {
    upgradeResourceState: (request: Msg) => upgradeResourceState(rpc, request),
    importResourceState: (request: Msg) => importResourceState(rpc, request),
  };
}

function upgradeResourceState(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(async (diagnostics) => {
    const r = resourceNamed(rpc, request.typeName);
    const type = rpc.typeOf(r.schema);
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
    const upgraded = await r.upgradeState({ version, state }, rpc.handlerContext(request.typeName, diagnostics));
    return { upgradedState: encode(complete(rpc, r.schema, null, upgraded, 'upgradeState'), type) };
  });
}

function importResourceState(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(async (diagnostics) => {
    const r = resourceNamed(rpc, request.typeName);
    if (!r.importState) throw new Error(`resource type "${request.typeName}" does not support import`);
    const imported = await r.importState(request.id, rpc.handlerContext(request.typeName, diagnostics));
    const state = complete(rpc, r.schema, null, imported, 'importState');
    return { importedResources: [{ typeName: request.typeName, state: encode(state, rpc.typeOf(r.schema)) }] };
  });
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
