// The cty type of a JavaScript value written into a `dynamic` slot without a type (see withType):
// strings, numbers, booleans, arrays as tuples and plain objects as objects, as HCL types literals.
import { describe, isCtyNumber } from './number.js';
import { CtyValueError, type PathStep } from './path.js';
import type { CtyType } from './types.js';
import { isUnknown, rememberedType } from './values.js';

export function inferType(value: unknown, path: PathStep[] = []): CtyType {
  const remembered = rememberedType(value);
  if (remembered) return remembered;
  if (value === null || value === undefined || isUnknown(value)) return { kind: 'dynamic' };
  if (typeof value === 'string') return { kind: 'string' };
  if (typeof value === 'boolean') return { kind: 'bool' };
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (!isCtyNumber(value) || Number.isNaN(value)) throw new CtyValueError([...path], 'NaN is not a cty number');
    return { kind: 'number' };
  }
  if (Array.isArray(value)) return { kind: 'tuple', elements: value.map((v, i) => inferType(v, [...path, { index: i }])) };
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const attributes: Record<string, CtyType> = {};
    for (const [k, v] of Object.entries(value)) attributes[k] = inferType(v, [...path, { attribute: k }]);
    return { kind: 'object', attributes };
  }
  throw new CtyValueError([...path], `cannot send ${describe(value)} as a cty value`);
}
