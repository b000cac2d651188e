// Schemas as code: attributes and nested blocks declared with small builders whose TypeScript
// types flow into the handlers (`ValueOf<typeof schema>`), turned into the protocol's Schema
// message and into the cty object type the codec reads and writes values with.
import type { CtyNumber } from './cty/number.js';
import { cty, typeToJson, type CtyType } from './cty/types.js';

/** A cty type that also carries the JavaScript type of its values. */
export interface Typed<T> {
  readonly type: CtyType;
  /** Type-level only. */
  readonly __value?: T;
}

type Of<X> = X extends Typed<infer T> ? T : never;

const typed = <T>(type: CtyType): Typed<T> => ({ type });

/** Element types for collection, object and tuple attributes and for function parameters. */
export const types = {
  string: typed<string>(cty.string),
  number: typed<CtyNumber>(cty.number),
  bool: typed<boolean>(cty.bool),
  dynamic: typed<unknown>(cty.dynamic),
  list: <T>(element: Typed<T>): Typed<Array<T | null>> => typed(cty.list(element.type)),
  set: <T>(element: Typed<T>): Typed<Array<T | null>> => typed(cty.set(element.type)),
  map: <T>(element: Typed<T>): Typed<Record<string, T | null>> => typed(cty.map(element.type)),
  object: <A extends Record<string, Typed<any>>>(attributes: A): Typed<{ -readonly [K in keyof A]: Of<A[K]> | null }> =>
    typed(cty.object(Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.type])))),
  tuple: <E extends Typed<any>[]>(...elements: E): Typed<{ [I in keyof E]: Of<E[I]> | null }> => typed(cty.tuple(elements.map((e) => e.type))),
};

export interface AttributeOptions<T> {
  required?: boolean;
  optional?: boolean;
  /** Set by the provider (with `optional`: by config or, when config leaves it null, by the provider). */
  computed?: boolean;
  /** Hidden in plan output. */
  sensitive?: boolean;
  description?: string;
  /** Markdown description. */
  markdown?: boolean;
  /** `true` or a message telling users what to use instead. */
  deprecated?: boolean | string;
  /** A change to this attribute destroys and re-creates the object. */
  requiresReplace?: boolean;
  /** Keep the prior value in plans of an update instead of "(known after apply)" (computed attributes). */
  useStateForUnknown?: boolean;
  /** The planned value when config leaves an optional + computed attribute null. */
  default?: T;
  /** A message for a known value that is not acceptable (run in validation; return nothing when fine). */
  validate?: (value: T) => string | undefined | void;
}

export interface Attribute<T = unknown, Req extends boolean = boolean> extends AttributeOptions<T> {
  readonly kind: 'attribute';
  readonly type: CtyType;
  /** Set for nested attributes (`s.nested`): the attributes of each nested object. */
  readonly nested?: { readonly nesting: AttributeNesting; readonly attributes: Record<string, Attribute<any, boolean>> };
  readonly __value?: T;
  readonly __required?: Req;
}

/** How many objects a nested attribute holds. */
export type AttributeNesting = 'single' | 'list' | 'set' | 'map';

type NestedValue<N extends AttributeNesting, A extends Record<string, Attribute<any, boolean>>> = N extends 'single'
  ? ValueOfBlock<{ attributes: A }>
  : N extends 'map'
    ? Record<string, ValueOfBlock<{ attributes: A }>>
    : Array<ValueOfBlock<{ attributes: A }>>;

type IsRequired<O> = O extends { required: true } ? true : false;

function attribute<T, O extends AttributeOptions<T>>(t: Typed<T>, options: O): Attribute<T, IsRequired<O>> {
  const { required, optional, computed } = options;
  if (!required && !optional && !computed) throw new TypeError('an attribute must be required, optional or computed (or optional and computed)');
  if (required && (optional || computed)) throw new TypeError('a required attribute cannot also be optional or computed');
  if (options.default !== undefined && !(optional && computed)) throw new TypeError('an attribute with a default must be optional and computed');
  return { kind: 'attribute', type: t.type, ...options };
}

export interface BlockSpec {
  attributes?: Record<string, Attribute<any, boolean>>;
  blocks?: Record<string, NestedBlock<any, any>>;
  description?: string;
  markdown?: boolean;
  deprecated?: boolean | string;
}

export type Nesting = 'single' | 'list' | 'set' | 'map' | 'group';

export interface NestedBlock<B extends BlockSpec = BlockSpec, N extends Nesting = Nesting> {
  readonly kind: 'block';
  readonly nesting: N;
  readonly block: B;
  readonly minItems?: number;
  readonly maxItems?: number;
}

export interface Schema<B extends BlockSpec = BlockSpec> {
  /** Raise it when stored state needs `upgradeState` to be read again. */
  readonly version: number;
  readonly block: B;
}

type AttributeValue<A> = A extends Attribute<infer T, infer R> ? (R extends true ? T : T | null) : never;

type BlockValue<B extends NestedBlock<any, any>> =
  B extends NestedBlock<infer S, infer N>
    ? N extends 'list' | 'set'
      ? Array<ValueOfBlock<S>>
      : N extends 'map'
        ? Record<string, ValueOfBlock<S>>
        : N extends 'group'
          ? ValueOfBlock<S>
          : ValueOfBlock<S> | null
    : never;

/** One object type instead of an intersection, so editors show the attributes. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type ValueOfBlock<B extends BlockSpec> = Simplify<
  {
    -readonly [K in keyof NonNullable<B['attributes']>]: AttributeValue<NonNullable<B['attributes']>[K]>;
  } & {
    -readonly [K in keyof NonNullable<B['blocks']>]: BlockValue<NonNullable<B['blocks']>[K]>;
  }
>;

/** The value of an object of this schema as handlers see it (known values; null where optional). */
export type ValueOf<S extends Schema<any> | BlockSpec> = S extends Schema<infer B> ? ValueOfBlock<B> : S extends BlockSpec ? ValueOfBlock<S> : never;

export const schema = {
  string: <O extends AttributeOptions<string>>(options: O) => attribute(types.string, options),
  number: <O extends AttributeOptions<CtyNumber>>(options: O) => attribute(types.number, options),
  bool: <O extends AttributeOptions<boolean>>(options: O) => attribute(types.bool, options),
  dynamic: <O extends AttributeOptions<unknown>>(options: O) => attribute(types.dynamic, options),
  list: <T, O extends AttributeOptions<Array<T | null>>>(element: Typed<T>, options: O) => attribute(types.list(element), options),
  set: <T, O extends AttributeOptions<Array<T | null>>>(element: Typed<T>, options: O) => attribute(types.set(element), options),
  map: <T, O extends AttributeOptions<Record<string, T | null>>>(element: Typed<T>, options: O) => attribute(types.map(element), options),
  object: <A extends Record<string, Typed<any>>, O extends AttributeOptions<Of<Typed<{ [K in keyof A]: Of<A[K]> | null }>>>>(attributes: A, options: O) =>
    attribute(types.object(attributes), options),
  /**
   * A nested attribute (protocol 6): its value is one object (`single`), or a list, set or map of
   * objects, each with these attributes. Protocol 5 hosts see it as an attribute of object type.
   */
  nested: <N extends AttributeNesting, A extends Record<string, Attribute<any, boolean>>, O extends AttributeOptions<NestedValue<N, A>>>(
    nesting: N,
    attributes: A,
    options: O,
  ): Attribute<NestedValue<N, A>, IsRequired<O>> => {
    const inner = blockType({ attributes });
    const type = nesting === 'single' ? inner : nesting === 'list' ? cty.list(inner) : nesting === 'set' ? cty.set(inner) : cty.map(inner);
    return { ...attribute<NestedValue<N, A>, O>({ type }, options), nested: { nesting, attributes } };
  },
  /** A nested block: `nesting` says how many (`list`, `set`, `map`, `single`, `group`). */
  block: <B extends BlockSpec, N extends Nesting>(nesting: N, block: B, limits: { minItems?: number; maxItems?: number } = {}): NestedBlock<B, N> => ({
    kind: 'block',
    nesting,
    block,
    ...limits,
  }),
  /** The top-level schema of a provider, resource or data source. */
  of: <B extends BlockSpec>(block: B, options: { version?: number } = {}): Schema<B> => ({ version: options.version ?? 0, block }),
};

/** The cty object type of a block's values. */
export function blockType(block: BlockSpec): CtyType {
  const attributes: Record<string, CtyType> = {};
  for (const [name, a] of Object.entries(block.attributes ?? {})) attributes[name] = a.type;
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const inner = blockType(nested.block);
    attributes[name] =
      nested.nesting === 'list' ? cty.list(inner) : nested.nesting === 'set' ? cty.set(inner) : nested.nesting === 'map' ? cty.map(inner) : inner;
  }
  return cty.object(attributes);
}

const NESTING: Record<Nesting, string> = { single: 'SINGLE', list: 'LIST', set: 'SET', map: 'MAP', group: 'GROUP' };

/**
 * The protocol's Schema message (field names as loadProto gives them). Protocol 5 has no nested
 * attributes: they go out as attributes of object type, their optional attributes listed in the type.
 */
export function schemaMessage(s: Schema<any>, protocol: 5 | 6 = 6): Record<string, unknown> {
  return { version: BigInt(s.version), block: blockMessage(s.block, protocol) };
}

function attributeMessages(attributes: Record<string, Attribute<any, boolean>>, protocol: 5 | 6): Record<string, unknown>[] {
  return Object.entries(attributes)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, a]) => ({
      name,
      ...(a.nested && protocol === 6
        ? { nestedType: { attributes: attributeMessages(a.nested.attributes, protocol), nesting: a.nested.nesting.toUpperCase() } }
        : { type: new TextEncoder().encode(JSON.stringify(typeToJson(a.nested ? protocol5Type(a) : a.type))) }),
      description: a.description ?? '',
      descriptionKind: a.markdown ? 'MARKDOWN' : 'PLAIN',
      required: a.required === true,
      optional: a.optional === true,
      computed: a.computed === true,
      sensitive: a.sensitive === true,
      deprecated: a.deprecated !== undefined && a.deprecated !== false,
      deprecationMessage: typeof a.deprecated === 'string' ? a.deprecated : '',
    }));
}

/** A nested attribute's type for protocol 5: objects whose not-required attributes are optional. */
function protocol5Type(a: Attribute<any, boolean>): CtyType {
  const attributes: Record<string, CtyType> = {};
  const optional: string[] = [];
  for (const [name, inner] of Object.entries(a.nested!.attributes)) {
    attributes[name] = inner.nested ? protocol5Type(inner) : inner.type;
    if (!inner.required) optional.push(name);
  }
  const object = cty.object(attributes, optional);
  const nesting = a.nested!.nesting;
  return nesting === 'single' ? object : nesting === 'list' ? cty.list(object) : nesting === 'set' ? cty.set(object) : cty.map(object);
}

function blockMessage(block: BlockSpec, protocol: 5 | 6): Record<string, unknown> {
  return {
    attributes: attributeMessages(block.attributes ?? {}, protocol),
    blockTypes: Object.entries(block.blocks ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([typeName, nested]) => ({
        typeName,
        block: blockMessage(nested.block, protocol),
        nesting: NESTING[nested.nesting as Nesting],
        minItems: BigInt(nested.minItems ?? 0),
        maxItems: BigInt(nested.maxItems ?? 0),
      })),
    description: block.description ?? '',
    descriptionKind: block.markdown ? 'MARKDOWN' : 'PLAIN',
    deprecated: block.deprecated !== undefined && block.deprecated !== false,
    deprecationMessage: typeof block.deprecated === 'string' ? block.deprecated : '',
  };
}

/** What an attribute or block a handler left out stands for: null, or no blocks (Terraform never has null block lists). */
export function absentValue(block: BlockSpec, name: string): unknown {
  const nested = block.blocks?.[name];
  if (nested?.nesting === 'list' || nested?.nesting === 'set') return [];
  if (nested?.nesting === 'map') return {};
  return null;
}
