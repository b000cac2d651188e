// cty values in JavaScript: null, `Unknown` (a value Terraform will know only after apply, possibly
// refined), string, boolean, CtyNumber, arrays (list, set, tuple) and plain objects (map, object).
import type { CtyNumber } from './number.js';
import type { CtyType } from './types.js';

/** What Terraform already knows about an unknown value (cty refinements). */
export interface Refinement {
  /** The value will not be null. */
  notNull?: boolean;
  /** string: the value will start with this. */
  stringPrefix?: string;
  /** number: lower bound and whether it is inclusive. */
  numberMin?: readonly [CtyNumber, boolean];
  numberMax?: readonly [CtyNumber, boolean];
  /** list, set, map: bounds on the number of elements. */
  lengthMin?: number;
  lengthMax?: number;
}

const UNKNOWN_BRAND = Symbol.for('go-plugin-ts.cty.unknown');

/** A value not known until apply ("(known after apply)"). */
export class Unknown {
  readonly [UNKNOWN_BRAND] = true;
  constructor(readonly refinement: Readonly<Refinement> = {}) {
    Object.freeze(this);
  }

  /** Works across duplicated copies of this package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[UNKNOWN_BRAND] === true;
  }

  toJSON(): string {
    return '(known after apply)';
  }
}

/** The unknown value without refinements. */
export const unknown = new Unknown();

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

/** True when the value and everything inside it is known. */
export function isWhollyKnown(value: unknown): boolean {
  if (isUnknown(value)) return false;
  if (Array.isArray(value)) return value.every(isWhollyKnown);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isWhollyKnown);
  return true;
}

// The concrete type of values decoded from a dynamic slot, so that writing one back (state after a
// plan, say) keeps a list a list and does not turn it into a tuple.
const dynamicTypes = new WeakMap<object, CtyType>();

/** Marks the type a value in a `dynamic` attribute is sent with (otherwise inferred from the value). */
export function withType<T extends object>(value: T, type: CtyType): T {
  dynamicTypes.set(value, type);
  return value;
}

export function rememberedType(value: unknown): CtyType | undefined {
  return value !== null && typeof value === 'object' ? dynamicTypes.get(value) : undefined;
}

/** Sets a key on a plain object, safe for "__proto__". */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
