// The plan a framework makes before the provider's own `plan` hook runs (the defaults of
// terraform-plugin-framework, https://github.com/hashicorp/terraform-plugin-framework/blob/v1.15.0/internal/fwserver/server_planresourcechange.go):
// on create, computed attributes the configuration leaves null become unknown (or their default);
// on an update that changes something they become unknown too, unless `useStateForUnknown`; when
// nothing changes the prior values stay; attributes marked `requiresReplace` that change ask for
// replacement.
import { numberWire } from './cty/number.js';
import type { AttributePath, PathStep } from './cty/path.js';
import { isUnknown, unknown } from './cty/values.js';
import type { BlockSpec, Schema } from './schema.js';

export interface PlanInput {
  schema: Schema<any>;
  /** null when the object is being created */
  prior: unknown;
  /** Terraform's proposal: the configuration with prior values where config is null for computed attributes */
  proposed: unknown;
  config: unknown;
}

export interface PlanOutput {
  planned: unknown;
  requiresReplace: AttributePath[];
}

type Obj = Record<string, unknown>;

export function planResourceChange(input: PlanInput): PlanOutput {
  if (input.proposed === null) return { planned: null, requiresReplace: [] }; // destroy
  const creating = input.prior === null;
  const changed = creating || !valuesEqual(input.prior, input.proposed);
  const requiresReplace: AttributePath[] = [];
  const planned = planBlock(input.schema.block, input.proposed as Obj, (input.config ?? {}) as Obj, creating ? null : (input.prior as Obj), changed, [], requiresReplace);
  return { planned, requiresReplace };
}

function planBlock(block: BlockSpec, proposed: Obj, config: Obj, prior: Obj | null, changed: boolean, path: PathStep[], replace: AttributePath[]): Obj {
  const out: Obj = { ...proposed };
  for (const [name, a] of Object.entries(block.attributes ?? {})) {
    const configured = config?.[name] ?? null;
    if (a.computed && configured === null) {
      if (a.default !== undefined) out[name] = a.default;
      else if (prior === null) out[name] = unknown;
      else if (changed && !a.useStateForUnknown) out[name] = unknown;
    }
    if (a.nested) {
      out[name] = planNested(a.nested.nesting, { attributes: a.nested.attributes }, out[name], config?.[name], prior?.[name], changed, [...path, { attribute: name }], replace);
    }
    if (a.requiresReplace && prior !== null && !valuesEqual(out[name] ?? null, prior[name] ?? null)) replace.push([...path, { attribute: name }]);
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    out[name] = planNested(nested.nesting, nested.block, proposed[name], config?.[name], prior?.[name], changed, [...path, { attribute: name }], replace);
  }
  return out;
}

/** The objects inside a nested block or nested attribute, each planned against its config and prior object. */
function planNested(nesting: string, spec: BlockSpec, p: unknown, c: unknown, before: unknown, changed: boolean, here: PathStep[], replace: AttributePath[]): unknown {
  if (p === null || p === undefined || isUnknown(p)) return p;
  const one = (value: unknown, config: unknown, prior: unknown, path: PathStep[]) =>
    value === null || isUnknown(value) ? value : planBlock(spec, value as Obj, (config ?? {}) as Obj, (prior ?? null) as Obj | null, changed, path, replace);
  if (nesting === 'list' && Array.isArray(p)) {
    return p.map((element, i) => one(element, (c as unknown[] | null)?.[i], (before as unknown[] | null)?.[i], [...here, { index: i }]));
  }
  if (nesting === 'map' && typeof p === 'object') {
    return Object.fromEntries(Object.entries(p as Obj).map(([key, element]) => [key, one(element, (c as Obj | null)?.[key], (before as Obj | null)?.[key], [...here, { key }])]));
  }
  if (nesting === 'single' || nesting === 'group') return one(p, c, before, here);
  // Sets are left as proposed: their elements have no stable identity to plan against.
  return p;
}

/** cty equality of two known-or-unknown values: an unknown equals nothing, numbers compare by value. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (isUnknown(a) || isUnknown(b)) return false;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (isNumeric(a) && isNumeric(b)) {
    try {
      return JSON.stringify(numberWire(a), bigintReplacer) === JSON.stringify(numberWire(b), bigintReplacer);
    } catch {
      return false;
    }
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a as Obj), ...Object.keys(b as Obj)]);
    for (const key of keys) if (!valuesEqual((a as Obj)[key], (b as Obj)[key])) return false;
    return true;
  }
  return a === b;
}

function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'bigint';
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
