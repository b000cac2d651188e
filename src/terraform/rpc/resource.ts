// The managed resource's RPCs: ValidateResourceConfig, ReadResource, PlanResourceChange and
// ApplyResourceChange (state upgrade and import are in state.ts).
import type { AttributePath } from '../cty/path.js';
import { pathMessage, toPath } from '../diagnostics.js';
import { planResourceChange } from '../plan.js';
import { call, complete, decode, encode, resourceNamed, validateConfig, type Msg, type RpcContext } from './context.js';

export function resourceRpcs(rpc: RpcContext) {
  return {
    validateResourceConfig: (request: Msg) => call((diagnostics) => validateConfig(rpc, resourceNamed(rpc, request.typeName), request, diagnostics)),
    readResource: (request: Msg) => readResource(rpc, request),
    planResourceChange: (request: Msg) => planResource(rpc, request),
    applyResourceChange: (request: Msg) => applyResourceChange(rpc, request),
  };
}

function readResource(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(
    async (diagnostics) => {
      const r = resourceNamed(rpc, request.typeName);
      const type = rpc.typeOf(r.schema);
      const state = decode(request.currentState, type);
      if (state === null) return { newState: encode(null, type), private: request.private };
      const read = await r.read({ state }, rpc.handlerContext(request.typeName, diagnostics));
      const newState = read === null ? null : complete(rpc, r.schema, state, read, 'read');
      return { newState: encode(newState, type), private: request.private };
    },
    { newState: request.currentState, private: request.private },
  );
}

/** The framework's plan (plan.ts), then the resource's own `plan` hook when there is an object to plan. */
function planResource(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(
    async (diagnostics) => {
      const r = resourceNamed(rpc, request.typeName);
      const type = rpc.typeOf(r.schema);
      const prior = decode(request.priorState, type);
      const proposed = decode(request.proposedNewState, type);
      const config = decode(request.config, type);
      const result = planResourceChange({ schema: r.schema, prior, proposed, config });
      let planned: any = result.planned;
      const replace: AttributePath[] = [...result.requiresReplace];
      if (r.plan && planned !== null) {
        const changed = await r.plan(
          { prior, config, planned },
          { ...rpc.handlerContext(request.typeName, diagnostics), requireReplace: (path) => replace.push(toPath(path)) },
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
  );
}

/** A null plan deletes, a null prior creates, anything else updates in place. */
function applyResourceChange(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(
    async (diagnostics) => {
      const r = resourceNamed(rpc, request.typeName);
      const type = rpc.typeOf(r.schema);
      const prior = decode(request.priorState, type);
      const planned = decode(request.plannedState, type);
      const config = decode(request.config, type);
      const ctx = rpc.handlerContext(request.typeName, diagnostics);
      if (planned === null) {
        await r.delete({ state: prior }, ctx);
        return { newState: encode(null, type) };
      }
      let state: Record<string, unknown>;
      if (prior === null) state = complete(rpc, r.schema, planned, await r.create({ planned, config }, ctx), 'create');
      else {
        if (!r.update) throw new Error(`resource type "${request.typeName}" cannot be updated in place; mark its attributes requiresReplace`);
        state = complete(rpc, r.schema, planned, await r.update({ prior, planned, config }, ctx), 'update');
      }
      return { newState: encode(state, type), private: request.plannedPrivate };
    },
    // Keep what existed: Terraform records the prior object when apply fails.
    { newState: request.priorState },
  );
}
